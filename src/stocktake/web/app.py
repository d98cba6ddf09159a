"""The web application (FastAPI + Jinja2). Pages call services; they hold no business logic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..reports.charts import funnel_chart, headline_chart, unit_panel
from ..services.overview import portfolio_rows, priority_overview
from ..services.overview import priority_page as priority_page_data
from ..store.db import get_meta
from . import (
    api,
    auth,
    data_pages,
    delivery_pages,
    formatting,
    model_pages,
    public,
    spc_pages,
)
from .cache import ResultCache

# Each feature adds its routes and their permissions (a route without one is refused).
FEATURES = (delivery_pages, data_pages, api, public, model_pages, spc_pages)
for _feature in FEATURES:
    auth.PERMISSIONS.update(_feature.PERMISSIONS)

HERE = Path(__file__).parent


def create_app(engine: Engine) -> FastAPI:
    # Every route passes auth.guard (sign-in, the role table, CSRF); the API's docs are
    # ordinary routes below so that the guard covers them too.
    app = FastAPI(title="stocktake", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(auth.guard)])
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(formatting.FILTERS)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    auth.install(app, engine, templates)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The API answers in JSON; a person gets a page (with its title, language, way home).
        if request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        title = {404: "Not found", 400: "Bad request", 405: "Not allowed"}.get(
            exc.status_code, "Something went wrong")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is no page at {request.url.path}."
        return templates.TemplateResponse(request, "error.html", {
            "title": title, "message": detail, "world_label": get_meta(engine, "world_label"),
        }, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    app.add_exception_handler(StarletteHTTPException, http_error)
    for feature in FEATURES:
        feature.install(app, engine, templates)

    def world_label() -> str | None:
        return get_meta(engine, "world_label")

    cache = ResultCache(engine)  # pages are read far more often than data arrives

    def priority_view(code: str) -> dict[str, Any]:
        """Everything the priority page shows, computed once per data version."""
        try:
            view = priority_page_data(engine, code)
        except ValueError:
            raise HTTPException(status_code=404, detail=f"no priority '{code}'") from None
        units = view["units"]["units"]
        return {**view, "chart": headline_chart(view["trajectory"], view["spc"]),
                "panels": {u["unit"]: unit_panel(u) for u in units},
                "funnel_svg": funnel_chart(view["funnel"]) if view["funnel"] else None}

    @app.get("/", response_class=HTMLResponse)
    def portfolio(request: Request) -> HTMLResponse:
        rows = cache.get("portfolio", lambda: portfolio_rows(engine))
        return templates.TemplateResponse(request, "portfolio.html", {
            "overview": rows, "world_label": world_label(),
        })

    @app.get("/priorities/{code}", response_class=HTMLResponse)
    def priority_page(request: Request, code: str) -> HTMLResponse:
        view = cache.get(("priority", code), lambda: priority_view(code))
        return templates.TemplateResponse(request, "priority.html", {
            **view, "world_label": world_label()})

    @app.get("/api/v1/priorities")
    def api_priorities() -> JSONResponse:
        return JSONResponse(cache.get("overview", lambda: priority_overview(engine)))

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        # The endpoints listed from the OpenAPI document: no Swagger UI from a CDN.
        return api.render_api_docs(app, request, templates)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
