"""What every row of a data package's ``sources.csv`` must give a reader to find the figure.

Rules (:func:`citation_problems`):

* ``url`` holds one address: a DOI (``https://doi.org/10.…`` or ``doi:10.…``) or an
  ``https://`` URL whose host is a name, not a bare IP address (such addresses move);
* a ``primary`` source (the publisher's own release) has a ``url``;
* a ``secondary`` source (a figure read in someone else's report or copy of it) has a
  ``reason``: why that copy is cited and what the original is;
* no row calls itself a placeholder, and no citation is left without a publisher
  ("underlying source not named" belongs in the reason, with why the figure is kept).

The embedded package is built to these rules (``tools/build_data.py`` refuses to write a
package that breaks one); a user's own package is not held to them.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pandas as pd

__all__ = ["citation_problems", "url_problem"]

_DOI = re.compile(r"^(https://doi\.org/|doi:)10\.\d{4,9}/\S+$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_IP_ANYWHERE = re.compile(r"(?<![\d.])(\d{1,3}\.){3}\d{1,3}(?![\d.])")
_BANNED = ("placeholder", "underlying source not named")


def url_problem(url: str) -> str | None:
    """Why ``url`` is not one stable address (None when it is)."""
    if _DOI.match(url):
        return None
    if any(ch.isspace() for ch in url):
        return "holds more than one address or free text (one URL or DOI only)"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"uses {parts.scheme or 'no scheme'}:// (https or a DOI expected)"
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        return f"points at the bare IP address {host}, not a host name"
    except ValueError:
        pass
    if not _HOST.match(host):
        return f"has no valid host name ({host!r})"
    return None


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def citation_problems(sources: pd.DataFrame) -> list[str]:
    """Every broken rule in a ``sources`` table, as "sources.csv id 'x': ..." lines."""
    problems = []
    for row in sources.to_dict("records"):
        where = f"sources.csv id {row.get('id')!r}"
        url, kind = _text(row.get("url")).strip(), _text(row.get("kind")).strip()
        if url and (problem := url_problem(url)):
            problems.append(f"{where}: url {url!r} {problem}")
        if kind == "primary" and not url:
            problems.append(f"{where}: a primary source needs a url (or DOI)")
        if kind == "secondary" and not _text(row.get("reason")).strip():
            problems.append(f"{where}: a secondary source needs a reason (why this copy is "
                            "cited, and what the original is)")
        for field in ("citation", "url", "note", "reason"):
            text = _text(row.get(field))
            if _IP_ANYWHERE.search(text):
                problems.append(f"{where}: {field} names a bare IP address")
            for phrase in _BANNED if field == "citation" else _BANNED[:1]:
                if phrase in text.lower():
                    problems.append(f"{where}: {field} says {phrase!r}")
    return problems
