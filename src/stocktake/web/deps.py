"""What a route may ask for, as ``Annotated`` dependencies: the database, the templates,
the page caches, who is asking, the priority named in the path (or a 404), and that the
person asking may change it (or a 403).

``create_app`` puts the shared objects on ``app.state`` once; these read them back, so a
route is a module-level function that names what it needs in its signature.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from ..errors import not_found
from ..model.entities import DeliveryModel, Priority
from ..services.admin.accounts import Principal
from ..services.data.model_service import current_model
from ..services.reading.snapshot import Snapshot
from ..store.db import get_meta
from . import auth
from .cache import ResultCache


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def templates_of(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def page_cache(request: Request) -> ResultCache:
    return request.app.state.cache


def principal(request: Request) -> Principal:
    """The signed-in principal; the guard has already refused anyone else on routes that
    ask for this (their permission entry holds no anonymous role)."""
    p = auth.principal_of(request)
    assert p is not None, "a route open to the public asked for a principal"
    return p


EngineDep = Annotated[Engine, Depends(engine_of)]
Templates = Annotated[Jinja2Templates, Depends(templates_of)]
PageCache = Annotated[ResultCache, Depends(page_cache)]
CurrentPrincipal = Annotated[Principal, Depends(principal)]


def model_of(engine: EngineDep) -> DeliveryModel:
    return current_model(engine)


Model = Annotated[DeliveryModel, Depends(model_of)]


def snapshot_of(engine: EngineDep) -> Snapshot:
    """One consistent read of the world for this request: every service a page reads
    sees the same model and the same data (loaded once, lazily)."""
    return Snapshot(engine)


SnapshotDep = Annotated[Snapshot, Depends(snapshot_of)]


def priority_in_path(code: str, model: Model) -> Priority:
    """The priority ``{code}`` of the path, or NotFound (a 404, with a did-you-mean)."""
    p = model.priorities.get(code)
    if p is None:
        raise not_found("priority", code, model.priorities)
    return p


PriorityInPath = Annotated[Priority, Depends(priority_in_path)]


def editor(code: str, who: CurrentPrincipal) -> str:
    """The username of someone who may change priority ``{code}``, or a 403: analysts and
    admins any, an owner only their own (after the role table has let them in)."""
    if not who.may_edit_priority(code):
        owns = ", ".join(who.priorities) or "none"
        raise auth.Forbidden(f"You are signed in as {who.username} ({who.role}). You may "
                             f"change only the priorities you own ({owns}); {code} is not "
                             "one of them.")
    return who.username


Editor = Annotated[str, Depends(editor)]


def world_label(request: Request) -> str | None:
    """The name of the loaded world (the demo's or an example's), shown in the header."""
    return get_meta(engine_of(request), "world_label")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page of the app's templates."""
    return templates_of(request).TemplateResponse(request, name, context,
                                                  status_code=status, headers=headers)
