"""The web application (FastAPI + Jinja2). Pages call services; they hold no business logic.

``create_app`` is the one place the app is put together: the shared objects on
``app.state`` (read back by the dependencies in deps.py), one router per feature, and one
handler per kind of failure (error_pages.py). Who may call each route is auth.PERMISSIONS;
the security headers and the trusted proxies are security.py's middlewares.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.types import ASGIApp

from ..reports import contracts
from . import (
    account_pages,
    alert_pages,
    api,
    auth,
    data_pages,
    delivery_pages,
    error_pages,
    formatting,
    model_pages,
    overview_pages,
    public,
    register_pages,
    security,
    spc_pages,
)
from .cache import ResultCache

# Each feature has its router and the permissions of its routes (a route without one is
# refused); account_pages' and overview_pages' are in auth.PERMISSIONS itself.
FEATURES = (delivery_pages, data_pages, api, public, model_pages, spc_pages, alert_pages,
            register_pages)
for _feature in FEATURES:
    auth.PERMISSIONS.update(_feature.PERMISSIONS)

HERE = Path(__file__).parent

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


ROUTERS = (account_pages.router, *(f.router for f in FEATURES), overview_pages.router,
           api.docs_router, router)


def templates() -> Jinja2Templates:
    """The app's templates with every page's filters and globals."""
    t = Jinja2Templates(directory=HERE / "templates")
    t.env.filters.update(formatting.FILTERS)
    t.env.filters.update(delivery_pages.FILTERS)
    for name, f in data_pages.FILTERS.items():
        t.env.filters.setdefault(name, f)
    t.env.globals.update(auth.template_globals())
    contracts.enforce(t.env)  # in the tests: every page checked against its contract
    return t


class StocktakeApp(FastAPI):
    """FastAPI with the security middlewares outside everything else, even the handler of
    unexpected errors, so that every response (a 500 too) carries the security headers and
    every part of the app sees the client address a trusted proxy forwarded."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = security.SecurityHeaders(super().build_middleware_stack())
        return security.ForwardedHeaders(inner, self.state.trusted_proxies)


def create_app(engine: Engine, *, trusted_proxies: str | None = None) -> FastAPI:
    """The app on ``engine``. ``trusted_proxies`` (addresses or networks, comma-separated)
    defaults to the STOCKTAKE_TRUSTED_PROXIES environment variable; by default, none."""
    # Every route passes auth.guard (sign-in, the role table, CSRF); the API's docs are
    # ordinary routes so that the guard covers them too.
    app = StocktakeApp(title="stocktake", docs_url=None, redoc_url=None, openapi_url=None,
                       dependencies=[Depends(auth.guard)])
    auth.check_guarded(app)
    app.state.trusted_proxies = (security.trusted_proxies_from_env() if trusted_proxies is None
                                 else security.parse_proxies(trusted_proxies))
    app.state.engine = engine
    app.state.templates = templates()
    app.state.cache = ResultCache(engine)  # pages are read far more often than data arrives
    app.state.walks = ResultCache(engine, size=16)  # the rows of recent observation walks
    app.state.public_site = ResultCache(engine, size=4)  # the whole site, per data version
    app.state.uploads = data_pages.Uploads()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    error_pages.add_handlers(app)
    for r in ROUTERS:
        app.include_router(r)
    return app
