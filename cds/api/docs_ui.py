"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from assets the service serves itself.

FastAPI's own pages load their JavaScript, CSS, favicon and (ReDoc) Google Fonts from CDNs, so
they stay blank without internet access, and every view would tell a third party that someone
reads this API. Here every URL in the pages is under ``/static/vendor`` of this service (the
files, their versions and licences: ``cds/static/vendor/README.md``; packaged with the
distribution, ``[tool.setuptools.package-data]``). Swagger UI's online validator is switched off
for the same reason. Public like ``/openapi.json`` (README «Authentication (JWT)»).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

# Only the vendored assets are mounted: the sandbox page's files are served by its own routes,
# with its Content-Security-Policy (cds/api/sandbox.py).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
STATIC_URL = "/static/vendor"
_SWAGGER = f"{STATIC_URL}/swagger-ui"
_REDOC = f"{STATIC_URL}/redoc"
FAVICON_URL = f"{_SWAGGER}/favicon-32x32.png"


def install_docs(app: FastAPI) -> None:
    """Mount the static assets and add ``/docs`` and ``/redoc`` (create the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not there as well)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} – Swagger UI",
            swagger_js_url=f"{_SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{_SWAGGER}/swagger-ui.css",
            swagger_favicon_url=FAVICON_URL,
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} – ReDoc",
            redoc_js_url=f"{_REDOC}/redoc.standalone.js",
            redoc_favicon_url=FAVICON_URL,
            with_google_fonts=False,
        )

    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="vendor")
    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
