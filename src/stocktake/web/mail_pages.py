"""Reminders on the web: a provider's home page, "due from me" (``/data/due``: what their
units owe, late or coming, what was rejected, and the reminders sent to them); each
account's own address and choice of reminders (``/account/mail``); and the administrators'
record of every message (``/admin/mail``). The reminders themselves are sent by ``stocktake
remind`` or ``serve --remind-every`` (services/routines/reminders.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..delivery.reminders import KIND_TEXT
from ..errors import StocktakeError
from ..services.admin.addresses import (
    address_book,
    list_addresses,
    remove_address,
    set_address,
)
from ..services.reading.dues import dues
from ..services.routines.reminders import message_log
from .auth import ADMINS, READERS, SIGNED_IN
from .deps import CurrentPrincipal, EngineDep, SnapshotDep, render, world_label
from .i18n import gettext as _
from .public_words import N_

PERMISSIONS: dict[str, frozenset[str]] = {
    "data_due": READERS | {"provider"},
    "admin_mail": ADMINS,
    "account_mail": SIGNED_IN,
    "account_mail_set": SIGNED_IN,
}
MAIL_PAGE_SIZE = 200
# Words Python holds that these pages translate where they show them (`| tr`): each kind
# of reminder (delivery.reminders.KIND_TEXT), a message's state (store.mail) and each kind
# of address (services.admin.addresses.ADDRESS_KINDS); tests/web/test_translations.py
# checks they are these.
KIND_WORDS = (N_("late data returns from your reporting units"),
              N_("coming stocktakes you attend, with the pack"),
              N_("your actions and milestones coming due or overdue"),
              N_("the weekly digest for the delivery unit"))
STATUS_WORDS = (N_("sending"), N_("sent"), N_("failed"))
ADDRESS_WORDS = (N_("user"), N_("unit"), N_("person"))

router = APIRouter()


@router.get("/data/due", response_class=HTMLResponse, name="data_due")
def data_due(request: Request, snap: SnapshotDep, principal: CurrentPrincipal,
             unit: str = "") -> Response:
    """What is due from the principal's units (a provider's: their unit and those below;
    the delivery unit's: every unit, or ``unit`` and those below it)."""
    model = snap.model
    remit = principal.remit(model)
    if remit is not None and not remit:
        return render(request, "data_due.html", {
            "due": None, "unit": "", "units": [], "reminders": [],
            "problem": _("%(user)s is a provider with no reporting unit: ask an "
                         "administrator to set one.") % {"user": principal.username},
            "world_label": world_label(request)}, 403)
    shown = remit
    if unit and unit in model.units:
        below = {unit, *(u.code for u in model.descendants(unit))}
        shown = below if remit is None else (below & remit)
    report = dues(snap, shown)
    mine = address_book(snap.engine).get(("user", principal.username))
    reminders = message_log(snap.engine, recipients=[mine.address], limit=20) if mine else []
    choices = [u for c, u in model.units.items() if remit is None or c in remit]
    return render(request, "data_due.html", {
        "due": report, "unit": unit if unit in model.units else "", "units": choices,
        "reminders": reminders, "problem": None, "world_label": world_label(request)})


@router.get("/admin/mail", response_class=HTMLResponse, name="admin_mail")
def admin_mail(request: Request, engine: EngineDep) -> Response:
    """Every message sent or tried, newest first, and the address book."""
    return render(request, "admin_mail.html", {
        "messages": message_log(engine, limit=MAIL_PAGE_SIZE), "limit": MAIL_PAGE_SIZE,
        "addresses": list_addresses(engine), "world_label": world_label(request)})


def _account_mail_page(request: Request, username: str, *, done: bool = False,
                       error: str | None = None, status: int = 200) -> Response:
    mine = address_book(request.app.state.engine).get(("user", username))
    return render(request, "account_mail.html", {
        "address": mine.address if mine else "",
        "wanted": set(mine.reminders) if mine and mine.reminders is not None else set(KIND_TEXT),
        "kinds": KIND_TEXT, "done": done, "error": error,
        "world_label": world_label(request)}, status)


@router.get("/account/mail", response_class=HTMLResponse, name="account_mail")
def account_mail(request: Request, principal: CurrentPrincipal, done: str = "") -> Response:
    """The account's own e-mail address and the reminders it wants."""
    return _account_mail_page(request, principal.username, done=bool(done))


@router.post("/account/mail", response_class=HTMLResponse, name="account_mail_set")
def account_mail_set(request: Request, engine: EngineDep, principal: CurrentPrincipal,
                     address: Annotated[str, Form()] = "",
                     reminders: Annotated[list[str] | None, Form()] = None) -> Response:
    """Set (or, left empty, remove) the account's address and its choice of reminders."""
    try:
        if address.strip():
            set_address(engine, "user", principal.username, address,
                        reminders=list(reminders or []), by=principal.username)
        elif ("user", principal.username) in address_book(engine):
            remove_address(engine, "user", principal.username, by=principal.username)
    except StocktakeError as exc:
        return _account_mail_page(request, principal.username, error=str(exc), status=400)
    return RedirectResponse("/account/mail?done=1", status_code=303)
