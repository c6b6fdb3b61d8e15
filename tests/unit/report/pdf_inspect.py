"""Looking inside rendered PDFs for the report tests.

Embedded fonts are read from the PDF itself (its streams inflated with zlib), so that check
runs everywhere. Text, word positions and PNG pages need Poppler (Debian's poppler-utils,
installed by ``.ci/run``); without it those tests skip, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

__all__ = ["embedded_fonts", "need_poppler", "page_texts", "png_pages", "words"]


def need_poppler(tool: str) -> str:
    """The path of a Poppler tool, or skip the test saying what is missing."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"needs {tool} from Poppler (apt-get install -y poppler-utils)")
    return path


def embedded_fonts(data: bytes) -> list[str]:
    """Names of the fonts embedded in a PDF (``/FontName`` of descriptors with a font file),
    subset prefixes ("ABCDEF+") removed."""
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    blob = b"\n".join(chunks)
    if b"/FontFile" not in blob:
        return []
    names = re.findall(rb"/FontName\s*/(?:[A-Z]{6}\+)?([^\s/<>\[\]()]+)", blob)
    return sorted({name.decode("latin-1") for name in names})


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, reading order)."""
    text = subprocess.run([need_poppler("pdftotext"), str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def words(pdf: Path, page: int = 1) -> list[tuple[str, float, float]]:
    """(word, x_min, y_min) of every word on a page (pdftotext -bbox), in points."""
    out = subprocess.run([need_poppler("pdftotext"), "-bbox", "-f", str(page), "-l", str(page),
                          str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>'
    return [(w, float(x), float(y)) for x, y, w in re.findall(pattern, out)]


def png_pages(pdf: Path, folder: Path, dpi: int = 50) -> list[Path]:
    """Render every page to ``folder/page-N.png`` (pdftoppm) and return them in order."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([need_poppler("pdftoppm"), "-r", str(dpi), "-png", str(pdf),
                    str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
