"""(to be written)"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

# Route name -> roles, merged into auth.PERMISSIONS (every route needs an entry).
PERMISSIONS: dict[str, frozenset[str]] = {}


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add this feature's routes to the app."""
