"""HTML reports to PDF with WeasyPrint, with no straggling last page.

WeasyPrint is imported once, lazily (it loads pango and harfbuzz through cffi). A report
whose last page would hold only a few lines (the tail of the source list) is laid out again
with a denser source list, then with the sources starting a page of their own, and the first
layout whose last page is filled at least :data:`MIN_LAST_PAGE_FILL` is kept.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Any

from paxsilica.errors import PaxsilicaError

__all__ = ["HARFBUZZ_SUBSET_WARNING", "MIN_LAST_PAGE_FILL", "TAIL_STYLES", "last_page_fill",
           "lay_out", "pdf_bytes"]

#: What WeasyPrint (>= 61) says at import when Debian's optional libharfbuzz-subset0 is absent.
HARFBUZZ_SUBSET_WARNING = "HarfBuzz-Subset will be required by future versions of WeasyPrint"

#: A last page filled less than this share of its content height is a straggler.
MIN_LAST_PAGE_FILL = 0.15

#: Styles tried in turn when the last page is a straggler: none; a denser, two-column source
#: list; the sources section starting on a new page (so the last page holds all of it).
TAIL_STYLES = (
    "",
    "ul.sources { columns: 2; column-gap: 1.2em; } "
    "ul.sources li { font-size: 8pt; margin-bottom: .1em; line-height: 1.3; }",
    "h2.sources { break-before: page; }",
)

#: The empty style element that :func:`pdf_bytes` fills with a tail style.
TAIL_SLOT = "<style class='tail'></style>"


def pdf_bytes(document: str) -> bytes:
    """Render an HTML document to PDF bytes with WeasyPrint (laid out by :func:`lay_out`)."""
    return lay_out(document).write_pdf()


def lay_out(document: str) -> Any:
    """WeasyPrint's laid-out document (``HTML.render()``).

    A document holding :data:`TAIL_SLOT` (reports do) is laid out with each of
    :data:`TAIL_STYLES` until its last page is filled at least :data:`MIN_LAST_PAGE_FILL`;
    when none is, the layout with the fullest last page is used.
    """
    html_class = _weasyprint_html()
    if TAIL_SLOT not in document:
        return html_class(string=document).render()
    best: tuple[float, Any] | None = None
    for style in TAIL_STYLES:
        laid_out = html_class(string=document.replace(
            TAIL_SLOT, f"<style class='tail'>{style}</style>")).render()
        fill = last_page_fill(laid_out)
        if best is None or fill > best[0]:
            best = (fill, laid_out)
        if fill >= MIN_LAST_PAGE_FILL:
            break
    assert best is not None  # TAIL_STYLES is not empty
    return best[1]


def last_page_fill(laid_out: Any) -> float:
    """Share (0..1) of the last page's content height that its content occupies; 1 for a
    one-page document (nothing to pull back) or when the layout cannot be measured."""
    pages = laid_out.pages
    if len(pages) < 2:
        return 1.0
    try:  # WeasyPrint's page box tree: page -> html box, whose height is this page's share
        page_box = pages[-1]._page_box
        return float(page_box.children[0].margin_height()) / float(page_box.height)
    except (AttributeError, IndexError, TypeError, ZeroDivisionError):
        return 1.0


@functools.cache
def _weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, imported once.

    Without libharfbuzz-subset0 (not in a base Debian image) WeasyPrint subsets the embedded
    fonts with fontTools instead, which still embeds subset fonts (the report tests check
    them), and announces a future requirement with a DeprecationWarning at import. That one
    warning concerns WeasyPrint's next versions, not this PDF, so it is not passed on: under
    ``-W error`` (this project's pytest) it would fail every PDF on a fresh machine. Any
    other warning still reaches the caller.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(HARFBUZZ_SUBSET_WARNING),
                                category=DeprecationWarning)
        try:
            from weasyprint import HTML
        except (ImportError, OSError) as exc:  # OSError: pango/harfbuzz libraries missing
            raise PaxsilicaError(f"PDF output needs WeasyPrint and its system libraries "
                                 f"(pango, harfbuzz): {exc}") from None
    return HTML
