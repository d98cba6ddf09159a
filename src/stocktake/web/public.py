"""The public progress site under /public: the published priorities only, complete periods
only, open to everyone. The pages are the ones ``stocktake publish`` writes to a folder
(services.publish builds them; the same templates render both), so the site served here and
the static copy are the same files with the same relative links."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ..reports.formatting import FILTERS
from ..services import publish
from . import auth
from .cache import ResultCache

HERE = Path(__file__).parent
STYLESHEET = HERE / "static" / "style.css"  # copied into the static site as style.css

# Route name -> roles, merged into auth.PERMISSIONS (every route needs an entry).
PERMISSIONS: dict[str, frozenset[str]] = {
    "public_index": auth.PUBLIC,
    "public_index_html": auth.PUBLIC,
    "public_priority": auth.PUBLIC,
    "public_unit": auth.PUBLIC,
    "public_csv": auth.PUBLIC,
    "public_stylesheet": auth.PUBLIC,
}


@cache
def environment() -> jinja2.Environment:
    # Its own environment, not the app's: the static site has no request, no url_for and
    # no sign-in, so the public templates use only bare relative file names.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=jinja2.select_autoescape(("html",)),
                             undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    return env


def render_page(template: str, context: dict[str, Any]) -> str:
    """One public page as HTML (the ``render`` that services.publish expects)."""
    return environment().get_template(template).render(context)


def publish_site(engine: Engine, out: str | Path, **options: Any) -> dict[str, Any]:
    """Write the static public site into ``out`` (see services.publish.write_site)."""
    return publish.write_site(engine, out, render=render_page, stylesheet=STYLESHEET,
                              **options)


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add this feature's routes to the app."""

    cache = ResultCache(engine, size=4)  # the whole site, once per data version

    def build() -> dict[str, str]:
        return publish.site_pages(publish.public_site(engine), render_page)

    async def files() -> dict[str, str]:
        return await run_in_threadpool(cache.get, "public site", build)

    async def page(name: str) -> Response:
        pages = await files()
        if name not in pages:
            raise HTTPException(status_code=404, detail="no such page on the public site")
        if name.endswith(".csv"):
            return PlainTextResponse(pages[name], media_type="text/csv; charset=utf-8",
                                     headers={"Content-Disposition":
                                              f'attachment; filename="{name}"'})
        return HTMLResponse(pages[name])

    @app.get("/public/", response_class=HTMLResponse, include_in_schema=False)
    async def public_index() -> Response:
        return await page(publish.INDEX)

    @app.get("/public/index.html", response_class=HTMLResponse, include_in_schema=False)
    async def public_index_html() -> Response:
        return await page(publish.INDEX)

    @app.get("/public/priority-{code}.html", response_class=HTMLResponse,
             include_in_schema=False)
    async def public_priority(code: str) -> Response:
        return await page(publish.priority_page(code))

    @app.get("/public/unit-{code}.html", response_class=HTMLResponse, include_in_schema=False)
    async def public_unit(code: str) -> Response:
        return await page(publish.unit_page(code))

    @app.get("/public/data-{code}.csv", include_in_schema=False)
    async def public_csv(code: str) -> Response:
        return await page(publish.csv_file(code))

    @app.get("/public/style.css", include_in_schema=False)
    def public_stylesheet() -> FileResponse:
        return FileResponse(STYLESHEET, media_type="text/css")
