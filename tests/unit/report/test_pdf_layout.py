"""The PDF's last page never holds a straggling line or two of the source list."""

from __future__ import annotations

from paxsilica.report.pdf import MIN_LAST_PAGE_FILL, TAIL_SLOT, last_page_fill, lay_out


def _document(items: int) -> str:
    body = "".join(f"<p>Paragraph {i} of the report body, long enough to wrap once or twice "
                   "on an A4 page at eleven points, like a summary would.</p>" for i in range(30))
    sources = "".join(f"<li>Source {i}: publisher, title, year · https://example.org/{i}</li>"
                      for i in range(items))
    return (f"<html><head><style>@page {{ size: A4; margin: 16mm 14mm; }} body {{ font-size: "
            f"11pt; }} ul.sources li {{ font-size: 9pt; }}</style>{TAIL_SLOT}</head><body>"
            f"{body}<h2 class='sources'>Sources</h2><ul class='sources'>{sources}</ul>"
            "</body></html>")


def test_a_straggling_last_page_is_pulled_back_or_filled() -> None:
    plain = None
    for items in range(10, 120, 2):  # find a source list that spills one or two lines over
        document = _document(items)
        plain = lay_out(document.replace(TAIL_SLOT, ""))
        if len(plain.pages) > 1 and last_page_fill(plain) < MIN_LAST_PAGE_FILL / 2:
            break
    assert plain is not None and last_page_fill(plain) < MIN_LAST_PAGE_FILL / 2
    fixed = lay_out(document)
    assert last_page_fill(fixed) >= MIN_LAST_PAGE_FILL
    assert len(fixed.pages) <= len(plain.pages) + 1


def test_a_document_without_the_slot_is_laid_out_once_as_written() -> None:
    laid_out = lay_out("<html><body><p>One line.</p></body></html>")
    assert len(laid_out.pages) == 1 and last_page_fill(laid_out) == 1.0
