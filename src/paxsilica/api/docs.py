"""``/docs`` offline: Swagger UI vendored into the package, no CDN, no inline script.

FastAPI's own /docs page loads Swagger UI from a CDN (blank without internet) and starts it
with an inline script (refused by the service's Content-Security-Policy). This page loads
the vendored files from ``/docs/assets`` and starts Swagger UI from ``/static/docs.js``.
The files are swagger-ui-dist 5.35.0 (npm, Apache-2.0, LICENSE beside them): the PyPI package
swagger-ui-bundle ships Swagger UI 4.15, which cannot read FastAPI's OpenAPI 3.1 ("Unable
to render this definition"). ReDoc is not served: it has no offline package.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The only Swagger UI files the page needs (nothing else of the folder is served).
_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
           "favicon-32x32.png": "image/png"}

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>paxsilica API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
</head><body><div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>
"""


_FOLDER = Path(__file__).parent / "static" / "vendor" / "swagger-ui"


@router.get("/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    """Swagger UI for the API, served from this service only."""
    return HTMLResponse(_PAGE)


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One vendored Swagger UI file (a fixed list: no path from the URL reaches the disk)."""
    if name not in _ASSETS:
        raise HTTPException(404, "no such documentation asset")
    return FileResponse(_FOLDER / name, media_type=_ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
