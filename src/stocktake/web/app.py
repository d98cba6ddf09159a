"""The web application (FastAPI + Jinja2). Pages call services; they hold no business logic.

``create_app`` is the one place the app is put together: the shared objects on
``app.state`` (read back by the dependencies in deps.py), one router per feature, and one
handler per kind of failure (error_pages.py). Who may call each route is auth.PERMISSIONS;
the security headers and the trusted proxies are security.py's middlewares.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp

from ..reports import contracts
from ..store.db import open_engine, require_current, resolve_url
from . import (
    account_pages,
    alert_pages,
    api,
    auth,
    commitment_pages,
    data_pages,
    delivery_pages,
    error_pages,
    formatting,
    i18n,
    language_pages,
    logs,
    mail_pages,
    model_pages,
    monitoring,
    overview_pages,
    public,
    public_words,
    register_pages,
    security,
    spc_pages,
)
from .cache import COMMITMENTS, ResultCache

# Each feature has its router and the permissions of its routes (a route without one is
# refused); account_pages' and overview_pages' are in auth.PERMISSIONS itself.
FEATURES = (delivery_pages, data_pages, api, public, model_pages, spc_pages, alert_pages,
            mail_pages, commitment_pages, register_pages, language_pages)
for _feature in FEATURES:
    auth.PERMISSIONS.update(_feature.PERMISSIONS)

HERE = Path(__file__).parent
ALLOWED_HOSTS_ENV = "STOCKTAKE_ALLOWED_HOSTS"

ROUTERS = (account_pages.router, *(f.router for f in FEATURES), overview_pages.router,
           api.docs_router, monitoring.router)


def templates() -> Jinja2Templates:
    """The app's templates with every page's filters and globals."""
    t = Jinja2Templates(directory=HERE / "templates")
    t.env.filters.update(delivery_pages.FILTERS)
    for name, f in data_pages.FILTERS.items():
        t.env.filters.setdefault(name, f)
    # Last: figures, dates and words in the page's language (in English, the same as above).
    t.env.filters.update(formatting.FILTERS)
    t.env.globals.update(auth.template_globals())
    t.env.filters["tr"] = public_words.tr
    i18n.install(t.env)  # the catalogue of each request's language (i18n.LanguageChoice)
    contracts.enforce(t.env)  # in the tests: every page checked against its contract
    return t


class StocktakeApp(FastAPI):
    """FastAPI with the security middlewares outside everything else, even the handler of
    unexpected errors, so that every response (a 500 too) carries the security headers and
    every part of the app sees the client address a trusted proxy forwarded; inside them,
    the request log (logs.py), which sees the forwarded address and every response."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = security.SecurityHeaders(super().build_middleware_stack())
        return security.ForwardedHeaders(logs.RequestLog(inner), self.state.trusted_proxies)


def create_app(engine: Engine, *, trusted_proxies: str | None = None) -> FastAPI:
    """The app on ``engine``. ``trusted_proxies`` (addresses or networks, comma-separated)
    defaults to the STOCKTAKE_TRUSTED_PROXIES environment variable; by default, none."""
    # Every route passes auth.guard (sign-in, the role table, CSRF); the API's docs are
    # ordinary routes so that the guard covers them too.
    app = StocktakeApp(title="stocktake", docs_url=None, redoc_url=None, openapi_url=None,
                       dependencies=[Depends(auth.guard), Depends(i18n.for_the_user)])
    auth.check_guarded(app)
    app.state.trusted_proxies = (security.trusted_proxies_from_env() if trusted_proxies is None
                                 else security.parse_proxies(trusted_proxies))
    app.state.metrics_allowed = monitoring.metrics_allowed()
    app.state.engine = engine
    app.state.templates = templates()
    # Pages are read far more often than data arrives. Each worker keeps its own caches:
    # their keys hold the data version read from the database, so none is ever stale.
    app.state.cache = ResultCache(engine, name="results")
    app.state.walks = ResultCache(engine, size=16, name="walks")  # recent observation walks
    app.state.public_site = ResultCache(engine, size=4, name="public_site")  # the whole site
    app.state.commitments = ResultCache(engine, size=64, name="commitments",
                                        versioned=COMMITMENTS)
    app.state.uploads = data_pages.Uploads()
    hosts = [h.strip() for h in os.environ.get(ALLOWED_HOSTS_ENV, "*").split(",") if h.strip()]
    app.add_middleware(i18n.LanguageChoice)
    if hosts and "*" not in hosts:  # a request for another host name gets 400
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    error_pages.add_handlers(app)
    for r in ROUTERS:
        app.include_router(r)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker of ``stocktake serve --workers N``: each process opens the
    database named by STOCKTAKE_DATABASE_URL (serve sets it) and refuses one that needs
    upgrading, as serve itself did before starting them."""
    engine = open_engine(resolve_url(None), migrate=False)
    require_current(engine)
    return create_app(engine)
