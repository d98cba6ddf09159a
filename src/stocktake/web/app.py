"""The web application (FastAPI + Jinja2). Pages call services; they hold no business logic."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from ..services.overview import priority_overview
from ..store.db import get_meta
from . import formatting

HERE = Path(__file__).parent


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="stocktake", docs_url="/api/docs", openapi_url="/api/v1/openapi.json")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(formatting.FILTERS)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def world_label() -> str | None:
        return get_meta(engine, "world_label")

    @app.get("/", response_class=HTMLResponse)
    def portfolio(request: Request) -> HTMLResponse:
        overview = priority_overview(engine)
        return templates.TemplateResponse(request, "portfolio.html", {
            "overview": overview, "world_label": world_label(),
        })

    @app.get("/api/v1/priorities")
    def api_priorities() -> JSONResponse:
        return JSONResponse(priority_overview(engine))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
