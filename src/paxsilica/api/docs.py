"""``/docs`` offline: Swagger UI from the swagger-ui-bundle wheel, no CDN, no inline script.

FastAPI's own /docs page loads Swagger UI from a CDN (blank without internet) and starts it
with an inline script (refused by the service's Content-Security-Policy). This page loads
the vendored files from ``/docs/assets`` and starts Swagger UI from ``/static/docs.js``.
ReDoc is not served: it has no offline package.
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


def _assets_folder() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(swagger_ui_path)


@router.get("/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    """Swagger UI for the API, served from this service only."""
    return HTMLResponse(_PAGE)


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One vendored Swagger UI file (a fixed list: no path from the URL reaches the disk)."""
    if name not in _ASSETS:
        raise HTTPException(404, "no such documentation asset")
    return FileResponse(_assets_folder() / name, media_type=_ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
