"""Every source of the embedded package has one stable address, or says why it has not.

The offending rows of the package as it stood before the review (issue 15) are kept here, as
they were, and must each be refused; the shipped package must pass with none refused.
"""

from __future__ import annotations

import pandas as pd
import pytest

from paxsilica import load
from paxsilica.data.citations import citation_problems, url_problem

# rows of the old sources.csv, verbatim in the fields the rules read
OLD_ROWS = [
    {"id": "ai_215", "kind": "secondary", "reason": "",
     "citation": "IEA (Energy and AI, Apr 2025), as charted by Graphic News, Energy and AI",
     "url": "http://46.235.172.94/Archive/arch-46500-46999/GN46940T_words_EN.txt (Graphic News "
            "chart 'AI to drive surging global energy demand'); report: "
            "https://www.iea.org/reports/energy-and-ai"},
    {"id": "mp_34", "kind": "secondary", "reason": "",
     "citation": "PC Gamer (citing Reuters/Techcet), Major chipmakers could weather neon "
                 "shortages as result of war in Ukraine for 'two months or more'",
     "url": "https://pcgamer.com/major-chipmakers-could-weather-neon-shortages-as-result-of-"
            "war-in-ukraine-for-two-months-or-more"},
    {"id": "rp_30", "kind": "secondary", "reason": "",
     "citation": "China Cement Net (e.ccement.com), industry review article; underlying source "
                 "not named, Development of global polysilicon industry in 2024",
     "url": "https://e.ccement.com/news/content/51600901568306115.html"},
    {"id": "est_no_country_split", "kind": "estimate", "reason": "", "url": "",
     "citation": "paxsilica placeholder: layer with no country split in the shared data"},
    {"id": "ai_241", "kind": "primary", "reason": "", "url": "",
     "citation": "U.S. Energy Information Administration (EIA), About one-fifth of global LNG"},
]


@pytest.mark.parametrize("row", OLD_ROWS, ids=[r["id"] for r in OLD_ROWS])
def test_each_old_offender_is_refused(row: dict) -> None:
    problems = citation_problems(pd.DataFrame([row]))
    assert problems and all(p.startswith(f"sources.csv id '{row['id']}'") for p in problems)


def test_the_old_offences_are_named() -> None:
    text = "\n".join(citation_problems(pd.DataFrame(OLD_ROWS)))
    assert "bare IP address" in text and "http://" in text
    assert "more than one address" in text
    assert "'mp_34': a secondary source needs a reason" in text
    assert "says 'underlying source not named'" in text and "says 'placeholder'" in text
    assert "'ai_241': a primary source needs a url" in text


@pytest.mark.parametrize(("url", "ok"), [
    ("https://doi.org/10.5066/P1WKQ63T", True),
    ("doi:10.2873/725585", True),
    ("https://www.iea.org/reports/energy-and-ai", True),
    ("https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37", True),
    ("http://www.iea.org/reports/energy-and-ai", False),
    ("https://46.235.172.94/Archive/x.txt", False),
    ("https://[2001:db8::1]/x", False),
    ("https://localhost/x", False),
    ("www.iea.org/reports", False),
    ("https://a.org/x ; https://b.org/y", False),
])
def test_url_rule(url: str, ok: bool) -> None:
    assert (url_problem(url) is None) is ok, url_problem(url)


def test_the_shipped_sources_keep_the_rules() -> None:
    sources = load().sources
    assert citation_problems(sources) == []
    secondary = sources[sources["kind"] == "secondary"]
    assert len(secondary) > 20 and secondary["reason"].str.len().min() > 40
    # the reviewed ones point at their publisher where one is known
    urls = sources.set_index("id")["url"]
    assert urls["ai_215"] == "https://www.iea.org/reports/energy-and-ai"
    assert urls["mp_84"] == "https://doi.org/10.2873/725585"
