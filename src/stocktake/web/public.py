"""The public progress site under /public: the published priorities only, complete periods
only, open to everyone. The pages are the ones ``stocktake publish`` writes to a folder
(services.publish builds them; the same templates render both), so the site served here and
the static copy are the same files with the same relative links."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ..reports import contracts
from ..reports.formatting import FILTERS
from ..services.publishing import publish
from . import auth, i18n, public_words
from .cache import ResultCache
from .deps import EngineDep

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
    "public_translated": auth.PUBLIC,
    "public_translated_index": auth.PUBLIC,
}


@cache
def environment() -> jinja2.Environment:
    # Its own environment, not the app's: the static site has no request, no url_for and
    # no sign-in, so the public templates use only bare relative file names.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=jinja2.select_autoescape(("html",)),
                             undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    env.filters.update(i18n.FILTERS)  # in English, the same as FILTERS'
    env.filters.update(public_words.FILTERS)
    return contracts.enforce(i18n.install(env))


def render_page(template: str, context: dict[str, Any], lang: str = i18n.DEFAULT) -> str:
    """One public page as HTML in ``lang`` (the ``render`` that services.publish expects)."""
    with i18n.language(lang):
        return environment().get_template(template).render(context)


def renderer(lang: str) -> publish.Render:
    """``render_page`` in ``lang``."""
    return lambda template, context: render_page(template, context, lang)


# The other languages of the site: each in its own folder of the site (fr/).
TRANSLATED = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT)


def publish_site(engine: Engine, out: str | Path, **options: Any) -> dict[str, Any]:
    """Write the static public site into ``out``, with each translation in a subfolder
    (see services.publish.write_site)."""
    return publish.write_site(engine, out, render=render_page, stylesheet=STYLESHEET,
                              translations={lang: renderer(lang) for lang in TRANSLATED},
                              **options)


router = APIRouter(include_in_schema=False)


def site_cache(request: Request) -> ResultCache:
    return request.app.state.public_site


SiteCache = Annotated[ResultCache, Depends(site_cache)]


async def page(engine: Engine, cache: ResultCache, name: str) -> Response:
    """One file of the public site, built whole once per data version."""

    def build() -> dict[str, str]:
        site = publish.public_site(engine)
        return publish.site_pages(site, render_page) | publish.translated_pages(
            site, {lang: renderer(lang) for lang in TRANSLATED})

    pages = await run_in_threadpool(cache.get, "public site", build)
    if name not in pages:
        raise HTTPException(status_code=404, detail="no such page on the public site")
    if name.endswith(".csv"):
        return PlainTextResponse(pages[name], media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{Path(name).name}"'})
    return HTMLResponse(pages[name])


@router.get("/public/", response_class=HTMLResponse)
async def public_index(engine: EngineDep, cache: SiteCache) -> Response:
    return await page(engine, cache, publish.INDEX)


@router.get("/public/index.html", response_class=HTMLResponse)
async def public_index_html(engine: EngineDep, cache: SiteCache) -> Response:
    return await page(engine, cache, publish.INDEX)


@router.get("/public/priority-{code}.html", response_class=HTMLResponse)
async def public_priority(code: str, engine: EngineDep, cache: SiteCache) -> Response:
    return await page(engine, cache, publish.priority_page(code))


@router.get("/public/unit-{code}.html", response_class=HTMLResponse)
async def public_unit(code: str, engine: EngineDep, cache: SiteCache) -> Response:
    return await page(engine, cache, publish.unit_page(code))


@router.get("/public/data-{code}.csv")
async def public_csv(code: str, engine: EngineDep, cache: SiteCache) -> Response:
    return await page(engine, cache, publish.csv_file(code))


@router.get("/public/{lang}/", response_class=HTMLResponse)
async def public_translated_index(lang: str, engine: EngineDep, cache: SiteCache) -> Response:
    return await public_translated(lang, publish.INDEX, engine, cache)


@router.get("/public/{lang}/{name}", response_class=HTMLResponse)
async def public_translated(lang: str, name: str, engine: EngineDep,
                            cache: SiteCache) -> Response:
    """A file of a translation of the site (/public/fr/...), as ``publish`` writes it."""
    if lang not in TRANSLATED:
        raise HTTPException(status_code=404, detail="no such page on the public site")
    if name == publish.STYLESHEET:
        return public_stylesheet()
    return await page(engine, cache, f"{lang}/{name}")


@router.get("/public/style.css")
def public_stylesheet() -> FileResponse:
    return FileResponse(STYLESHEET, media_type="text/css")
