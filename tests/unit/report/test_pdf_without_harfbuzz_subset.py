"""PDF reports on a fresh machine: Debian's base image lacks libharfbuzz-subset0.

WeasyPrint then subsets fonts with fontTools and warns, at import, that a future version
will need the library. With warnings as errors (this project's pytest) that warning used
to fail every PDF; the report code now sets exactly that one aside. The library is hidden
from a child interpreter by refusing to dlopen it, as on a machine without the package
(``tools/fresh_machine.sh`` hides the real file for the whole suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

HIDE_AND_RENDER = '''
import cffi
real_dlopen = cffi.FFI.dlopen
def dlopen(self, name, *args, **kwargs):
    if "harfbuzz-subset" in str(name):
        raise OSError(f"{name}: cannot open shared object file (hidden by the test)")
    return real_dlopen(self, name, *args, **kwargs)
cffi.FFI.dlopen = dlopen
import warnings
from paxsilica.report.document import pdf_bytes
data = pdf_bytes('<html lang="ar" dir="rtl"><body><p>مرحبا Hello</p></body></html>')
import weasyprint.text.ffi
assert weasyprint.text.ffi.harfbuzz_subset is None, "the library was not hidden"
assert data.startswith(b"%PDF"), "not a PDF"
from tests.unit.report.pdf_inspect import embedded_fonts
fonts = embedded_fonts(data)
assert any("Arabic" in f for f in fonts) or "DejaVu-Sans" in fonts, fonts
warnings.warn("other warnings still reach the caller", UserWarning)
'''


def _child(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, env=env, timeout=120)


def test_pdf_renders_under_warnings_as_errors_without_harfbuzz_subset() -> None:
    proc = _child(HIDE_AND_RENDER)
    # the script's last line is the only error: the PDF was made and other warnings pass
    assert "UserWarning: other warnings still reach the caller" in proc.stderr, proc.stderr
    assert "HarfBuzz-Subset" not in proc.stderr and "DeprecationWarning" not in proc.stderr
