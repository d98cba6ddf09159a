"""Local accounts: users and roles, passwords, sign-in with a rate limit, sessions and API
tokens. The web app and the CLI call these; neither holds account rules of its own.

Roles (issue #7): ``admin``; ``analyst`` (the delivery unit: everything but admin);
``owner`` (edits the plans and actions of their own priorities); ``provider`` (submits data
and sees drafts for their unit and the units below it); ``executive`` (reads everything).

Secrets are kept only as hashes: passwords with argon2id (argon2-cffi's PasswordHasher,
rehashed at the next sign-in when its parameters change), session and API tokens as
SHA-256 of 256 random bits (enough entropy that a fast hash is the right tool).

Security events (sign-ins, failures, account changes, tokens) go to the audit log
(services.audit) in the same transaction as the change. ``ip`` arguments say where a
request came from; None means the command line.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from ...errors import Conflict, Forbidden, Invalid, NotFound, StocktakeError
from ...model.entities import DeliveryModel
from ...store import accounts as q
from ...store import model_repo
from ...store.db import utcnow, writing
from . import audit

ROLES = ("admin", "analyst", "owner", "provider", "executive")
ROLE_TEXT = {
    "admin": "administers accounts and the model, and does everything an analyst does",
    "analyst": "works in the delivery unit: reads and edits everything except accounts",
    "owner": "reads everything; edits the plans and actions of their own priorities",
    "provider": "submits data and sees drafts for their unit and the units below it",
    "executive": "reads everything",
}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap stops megabyte "passwords"
SESSION_TTL = timedelta(hours=12)
SESSION_SLIDE_STEP = timedelta(minutes=1)  # extend at most once a minute, not every request
TOKEN_TOUCH_STEP = timedelta(minutes=1)
# zxcvbn's score from 0 to 4; 3 is "safely unguessable" (about 10^8 guesses and more), so
# common, breached-style and keyboard-pattern passwords are refused even when long enough.
MIN_STRENGTH = 3
STRENGTH_CHECKED = 100  # zxcvbn's time grows with length; past this a password is long enough
# Sign-in throttling, per account AND address together (issue #15): a stranger's failures
# from elsewhere never hold up the account's owner. After FREE_FAILURES failures in a row
# the pair waits FIRST_DELAY, doubling with each further failure up to MAX_DELAY.
FREE_FAILURES = 5
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
FAILURE_MEMORY = timedelta(hours=24)  # older failures are forgotten
TOKEN_PREFIX = "stocktake_"
# Token scopes (besides ``unit:CODE``): ``read`` reads with the account's role; ``routines``
# also writes the routines of delivery (plans, assessments, stocktakes, actions, alert
# reviews) through the API, as far as the account's role allows at each use.
READ_SCOPE, ROUTINES_SCOPE = "read", "routines"
ROUTINE_WRITERS = ("admin", "analyst", "owner")  # the roles that write any routine
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")

# argon2id with the library's defaults (RFC 9106 "low memory": t=3, m=64 MiB, p=4). Tests
# may swap in cheaper parameters; stored hashes made with others are rehashed at sign-in.
HASHER = PasswordHasher()


class AccountError(StocktakeError):
    """An account operation refused, said plainly; always raised as one of the kinds below,
    so a caller may catch them all (the web's account forms) or one kind."""


class AccountInvalid(AccountError, Invalid):
    """A username, password, role, unit or token scope that is not allowed."""


class UnknownAccount(AccountError, NotFound):
    """No such user, token, unit or priority."""


class AccountConflict(AccountError, Conflict):
    """The account's state forbids it: taken, disabled, or the only active admin."""


class LoginFailed(AccountError, Forbidden):
    """Wrong username or password, or a disabled account."""


class LoginRefused(AccountError, Forbidden):
    """Too many failed attempts: refused until ``until`` without checking the password."""

    def __init__(self, until: datetime, now: datetime):
        self.until = until
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        minutes = -(-self.retry_after // 60)
        super().__init__(
            f"Too many failed sign-in attempts for this account from this address. "
            f"Sign-in is refused for {minutes} more minute{'s' if minutes != 1 else ''}; "
            f"try again after {until:%H:%M} UTC.")


class TokenRefused(AccountError, Forbidden):
    """An API token whose scope its account no longer has (a demotion, a move to another
    unit): a token can only narrow its account's powers, never keep old ones."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    unit: str | None
    priorities: tuple[str, ...]
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    language: str | None = None  # the language they chose for the web, if any (e-mails too)


@dataclass(frozen=True)
class Principal:
    """Who is making a request, and with what powers.

    A session acts with the user's role. An API token with scope ``unit:X`` acts as a
    provider for X; a ``read`` token acts with the user's role but may not change anything;
    a ``routines`` token acts with the user's role but writes only the routines (the web's
    guard holds it to their routes). ``scope`` is the token's (None for a session).
    """

    user_id: int
    username: str
    role: str
    unit: str | None = None
    priorities: tuple[str, ...] = ()
    via: str = "session"  # session | token
    read_only: bool = False
    csrf_token: str | None = None  # sessions only
    scope: str | None = None  # tokens only: read, routines or unit:CODE
    language: str | None = None  # sessions only: the web's language they chose, if any

    def may_edit_priority(self, code: str) -> bool:
        """Plans and actions: analysts and admins edit all; an owner edits their own."""
        if self.read_only:
            return False
        return self.role in ("admin", "analyst") or (
            self.role == "owner" and code in self.priorities)

    def remit(self, model: DeliveryModel) -> frozenset[str] | None:
        """The units whose drafts this principal may see (None: every unit)."""
        if self.role != "provider":
            return None
        return unit_remit(model, self.unit)


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; only its hash is stored
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ApiToken:
    id: int
    scope: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    last_used_ip: str | None = None
    username: str | None = None  # filled in lists of every user's tokens


def unit_remit(model: DeliveryModel, unit: str | None) -> frozenset[str]:
    """A unit and every unit below it."""
    if unit is None or unit not in model.units:
        return frozenset()
    return frozenset([unit, *(u.code for u in model.descendants(unit))])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- checks -----------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise AccountInvalid(
            f"username '{username}' is not allowed: use 1 to 64 lower-case letters, digits and "
            f". _ @ -, starting with a letter or digit")
    return name


def check_password(password: str, *, username: str | None = None) -> None:
    """The password policy: at least 12 characters, not the username, and not easy to guess
    (zxcvbn, offline: common and breached-style passwords, keyboard patterns, dates,
    words with digits and symbols, the username inside it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid(f"the password is too short: it needs at least "
                             f"{MIN_PASSWORD_LENGTH} characters (it has {len(password)})")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountInvalid(f"the password is too long: at most {MAX_PASSWORD_LENGTH} "
                             f"characters")
    if username is not None and password.strip().lower() == username.lower():
        raise AccountInvalid("the password must not be the username")
    strength = zxcvbn(password[:STRENGTH_CHECKED],
                      user_inputs=[u for u in (username, "stocktake") if u])
    if strength["score"] < MIN_STRENGTH:
        why = strength["feedback"].get("warning") or "It is a common password or close to one"
        raise AccountInvalid(f"the password is too easy to guess ({why.rstrip('.').lower()}): "
                             f"use a longer phrase of unrelated words")


def _check_role(conn: Connection, role: str, unit: str | None,
                priorities: Iterable[str]) -> tuple[str, str | None, tuple[str, ...]]:
    """The role with its unit (providers) or priorities (owners), checked against the model."""
    if role not in ROLES:
        raise AccountInvalid(f"unknown role '{role}': choose one of {', '.join(ROLES)}")
    unit = (unit or "").strip() or None
    codes = tuple(dict.fromkeys(c.strip() for c in priorities if c and c.strip()))
    if role == "provider":
        if unit is None:
            raise AccountInvalid("a provider needs a unit: the unit they report for")
        model = model_repo.read_model(conn)
        if unit not in model.units:
            raise UnknownAccount(f"'{unit}' is not a reporting unit in the model")
    elif unit is not None:
        raise AccountInvalid(f"only providers have a unit; a {role} sees every unit")
    if role == "owner":
        if not codes:
            raise AccountInvalid("an owner needs at least one priority: the priorities they own")
        model = model_repo.read_model(conn)
        unknown = [c for c in codes if c not in model.priorities]
        if unknown:
            raise UnknownAccount(f"no priority {', '.join(repr(c) for c in unknown)} in the model")
    elif codes:
        raise AccountInvalid(f"only owners have priorities; a {role} has none of their own")
    return role, unit, codes


def _user(row: dict[str, Any]) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], unit=row["unit"],
                priorities=tuple(row["priorities"] or ()), active=bool(row["active"]),
                created_at=row["created_at"], last_login_at=row["last_login_at"],
                language=row.get("language"))


def _existing(conn: Connection, username: str) -> dict[str, Any]:
    row = q.user_by_name(conn, normalise_username(username))
    if row is None:
        raise UnknownAccount(f"no user '{username}'")
    return row


def _keep_an_admin(conn: Connection, row: dict[str, Any]) -> None:
    if row["role"] == "admin" and row["active"] and q.active_admins(conn) == [row["username"]]:
        raise AccountConflict(f"'{row['username']}' is the only active admin: make another "
                              f"admin first, so that someone can still manage accounts")


# -- users ------------------------------------------------------------------------------


def create_user(engine: Engine, username: str, role: str, password: str, *,
                unit: str | None = None, priorities: Iterable[str] = (), by: str = "system",
                ip: str | None = None, now: datetime | None = None) -> User:
    """A new, active account. Raises an AccountError of the right kind saying what is wrong."""
    name = _check_username(username)
    check_password(password, username=name)
    now = now or utcnow()
    hashed = HASHER.hash(password)
    taken = AccountConflict(f"there is already a user '{name}'")
    try:
        with writing(engine) as conn:
            role, unit, codes = _check_role(conn, role, unit, priorities)
            if q.user_by_name(conn, name) is not None:
                raise taken
            q.insert_user(conn, username=name, role=role, password_hash=hashed, unit=unit,
                          priorities=list(codes), active=True, created_at=now,
                          last_login_at=None)
            q.record_event(conn, name, "created", {"role": role, "unit": unit,
                                                   "priorities": list(codes)}, by=by, at=now)
            audit.record(conn, "user_created", actor=by, subject=name, ip=ip, at=now,
                         detail={"role": role, "unit": unit, "priorities": list(codes)})
            return _user(q.user_by_name(conn, name))
    except IntegrityError:  # made at the same moment by another request
        raise taken from None


def get_user(engine: Engine, username: str) -> User:
    with engine.connect() as conn:
        return _user(_existing(conn, username))


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in q.all_users(conn)]


def set_role(engine: Engine, username: str, role: str, *, unit: str | None = None,
             priorities: Iterable[str] = (), by: str = "system", ip: str | None = None,
             now: datetime | None = None) -> User:
    """Change a user's role (with the unit or priorities it needs). Takes effect at once."""
    now = now or utcnow()
    with writing(engine) as conn:
        row = _existing(conn, username)
        role, unit, codes = _check_role(conn, role, unit, priorities)
        if role != "admin":
            _keep_an_admin(conn, row)
        q.update_user(conn, row["id"], role=role, unit=unit, priorities=list(codes))
        change = {"before": {"role": row["role"], "unit": row["unit"],
                             "priorities": row["priorities"]},
                  "after": {"role": role, "unit": unit, "priorities": list(codes)}}
        q.record_event(conn, row["username"], "role", change, by=by, at=now)
        audit.record(conn, "role_changed", actor=by, subject=row["username"], ip=ip, at=now,
                     detail=change)
        return _user(q.user_by_name(conn, row["username"]))


def disable_user(engine: Engine, username: str, *, by: str = "system",
                 ip: str | None = None, now: datetime | None = None) -> User:
    """Stop an account: its sessions end now and its API tokens stop working."""
    now = now or utcnow()
    with writing(engine) as conn:
        row = _existing(conn, username)
        _keep_an_admin(conn, row)
        q.update_user(conn, row["id"], active=False)
        q.delete_user_sessions(conn, row["id"])
        q.record_event(conn, row["username"], "disabled", {}, by=by, at=now)
        audit.record(conn, "user_disabled", actor=by, subject=row["username"], ip=ip, at=now)
        return _user(q.user_by_name(conn, row["username"]))


def enable_user(engine: Engine, username: str, *, by: str = "system",
                ip: str | None = None, now: datetime | None = None) -> User:
    now = now or utcnow()
    with writing(engine) as conn:
        row = _existing(conn, username)
        q.update_user(conn, row["id"], active=True)
        q.record_event(conn, row["username"], "enabled", {}, by=by, at=now)
        audit.record(conn, "user_enabled", actor=by, subject=row["username"], ip=ip, at=now)
        return _user(q.user_by_name(conn, row["username"]))


def set_password(engine: Engine, username: str, password: str, *, by: str = "system",
                 ip: str | None = None, now: datetime | None = None) -> None:
    """A new password; every session of the user ends (sign in again with the new one)."""
    now = now or utcnow()
    with engine.connect() as conn:
        name = _existing(conn, username)["username"]
    check_password(password, username=name)
    hashed = HASHER.hash(password)
    with writing(engine) as conn:
        row = _existing(conn, name)
        q.update_user(conn, row["id"], password_hash=hashed)
        q.delete_user_sessions(conn, row["id"])
        q.record_event(conn, name, "password", {}, by=by, at=now)
        audit.record(conn, "password_set", actor=by, subject=name, ip=ip, at=now)


def change_own_password(engine: Engine, username: str, current: str, new: str, *, ip: str,
                        now: datetime | None = None) -> None:
    """A signed-in user changing their password proves the current one first (rate-limited
    like a sign-in, so a stolen session cannot be used to guess it)."""
    if current == new:
        raise AccountInvalid("the new password is the same as the current one")
    check_password(new, username=normalise_username(username))
    authenticate(engine, username, current, ip=ip, now=now, record_login=False)
    set_password(engine, username, new, by=normalise_username(username), ip=ip, now=now)


def account_events(engine: Engine, username: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return q.events(conn, None if username is None else normalise_username(username))


# -- signing in -------------------------------------------------------------------------


def throttle_delay(failures: int) -> timedelta:
    """The wait after the n-th failure in a row of one account from one address: none for
    the first FREE_FAILURES - 1, then FIRST_DELAY doubling with each failure, at most
    MAX_DELAY (5th: 1 min, 6th: 2, 7th: 4 ... 11th and after: 60)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 16)  # 2**16 minutes is past any sane cap
    return min(FIRST_DELAY * 2 ** doublings, MAX_DELAY)


def throttle_until(failures: Iterable[datetime]) -> datetime | None:
    """When one account may be tried again from one address, given the times of its failures
    there since its last success there: the newest failure plus the wait its count earns.
    None when no wait applies."""
    times = sorted(failures)
    delay = throttle_delay(len(times))
    return times[-1] + delay if delay else None


def login_lock(conn: Connection, username: str, ip: str, now: datetime) -> datetime | None:
    """Until when sign-in to this account from this address waits (None: open now)."""
    until = throttle_until(q.failure_times(conn, username, ip, now - FAILURE_MEMORY))
    return until if until is not None and until > now else None


ANONYMOUS_ACTOR = "anonymous"  # who a failed sign-in is, as far as anyone knows
_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    # Verify unknown usernames against a real hash, so timing does not reveal who exists.
    key = f"{HASHER.time_cost}/{HASHER.memory_cost}/{HASHER.parallelism}"
    if key not in _DUMMY:
        _DUMMY[key] = HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


def authenticate(engine: Engine, username: str, password: str, *, ip: str,
                 now: datetime | None = None, record_login: bool = True) -> User:
    """The user, if the password is right and sign-in is not locked.

    Raises LoginRefused (checked before the password, so a locked account cannot be
    guessed at) or LoginFailed. Every attempt is stored: the limit holds across workers
    and restarts.
    """
    now = now or utcnow()
    name = normalise_username(username)[:64]
    ip = (ip or "unknown")[:64]
    with writing(engine) as conn:
        until = login_lock(conn, name, ip, now)
        if until is not None:
            q.record_attempt(conn, name, ip, now, "refused")
            audit.record(conn, "sign_in_refused", actor=ANONYMOUS_ACTOR, subject=name, ip=ip,
                         at=now, detail={"until": until.isoformat(timespec="seconds")})
    if until is not None:
        raise LoginRefused(until, now)
    with engine.connect() as conn:
        row = q.user_by_name(conn, name)
    # argon2 runs outside any transaction: it takes a tenth of a second by design.
    try:
        HASHER.verify(row["password_hash"] if row else _dummy_hash(), password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    changes: dict[str, Any] = {}
    if ok and row["active"]:
        if HASHER.check_needs_rehash(row["password_hash"]):
            changes["password_hash"] = HASHER.hash(password)
        if record_login:
            changes["last_login_at"] = now
    with writing(engine) as conn:
        q.record_attempt(conn, name, ip, now, "success" if ok else "failure")
        if not ok or not row["active"]:
            why = "wrong password" if row is not None else "no such user"
            audit.record(conn, "sign_in_failed", actor=ANONYMOUS_ACTOR, subject=name, ip=ip,
                         at=now, detail={"reason": why if not ok else "account disabled"})
        elif record_login:
            audit.record(conn, "sign_in", actor=name, subject=name, ip=ip, at=now)
        if changes:
            q.update_user(conn, row["id"], **changes)
    if not ok:
        raise LoginFailed("Wrong username or password.")
    if not row["active"]:
        raise LoginFailed("This account is disabled: ask an administrator.")
    return _user({**row, **changes})


# -- sessions ---------------------------------------------------------------------------


def start_session(engine: Engine, username: str, *, ip: str | None = None,
                  now: datetime | None = None, ttl: timedelta = SESSION_TTL) -> NewSession:
    """A new session for an active user (call after ``authenticate``)."""
    now = now or utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with writing(engine) as conn:
        row = _existing(conn, username)
        if not row["active"]:
            raise AccountConflict(f"'{row['username']}' is disabled")
        q.delete_expired_sessions(conn, now)
        q.insert_session(conn, token_hash=token_hash(token), user_id=row["id"],
                         csrf_token=csrf, created_at=now, expires_at=now + ttl,
                         ip=(ip or None) and ip[:64])
    return NewSession(token=token, csrf_token=csrf, expires_at=now + ttl)


def resume_session(engine: Engine, token: str, *, now: datetime | None = None,
                   ttl: timedelta = SESSION_TTL) -> Principal | None:
    """The principal of a live session (sliding its expiry forward), or None."""
    if not token:
        return None
    now = now or utcnow()
    with engine.connect() as conn:
        row = q.live_session(conn, token_hash(token), now)
        if row is None:
            return None
        if now + ttl - row["expires_at"] >= SESSION_SLIDE_STEP:
            q.extend_session(conn, row["session_id"], now + ttl)
            conn.commit()
    return Principal(user_id=row["id"], username=row["username"], role=row["role"],
                     unit=row["unit"], priorities=tuple(row["priorities"] or ()),
                     via="session", csrf_token=row["csrf_token"],
                     language=row.get("language"))


def set_language(engine: Engine, user_id: int, language: str) -> None:
    """Remember the language a user chose for the web (a preference: not audited)."""
    with writing(engine) as conn:
        q.set_language(conn, user_id, language)


def end_session(engine: Engine, token: str) -> None:
    with writing(engine) as conn:
        q.delete_session(conn, token_hash(token))


# -- API tokens -------------------------------------------------------------------------


def create_api_token(engine: Engine, username: str, scope: str, *, label: str = "",
                     by: str | None = None, ip: str | None = None,
                     now: datetime | None = None) -> str:
    """A new API token, returned once (only its hash is kept).

    ``scope`` is ``read`` (read-only, with the user's role), ``routines`` (the user's role,
    writing only plans, assessments, stocktakes, actions and alert reviews: admins,
    analysts and owners) or ``unit:CODE`` (submit and read as a provider for CODE and the
    units below it: admins and analysts for any unit, a provider within their own remit).
    """
    now = now or utcnow()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with writing(engine) as conn:
        row = _existing(conn, username)
        if not row["active"]:
            raise AccountConflict(f"'{row['username']}' is disabled")
        scope = _check_scope(conn, row, scope)
        token_id = q.insert_token(conn, token_hash=token_hash(token), user_id=row["id"],
                                  scope=scope, label=label.strip()[:200], created_at=now)
        q.record_event(conn, row["username"], "token_created", {"scope": scope,
                                                                "label": label.strip()[:200]},
                       by=by or row["username"], at=now)
        audit.record(conn, "token_created", actor=by or row["username"],
                     subject=row["username"], ip=ip, at=now,
                     detail={"token": token_id, "scope": scope,
                             "label": label.strip()[:200]})
    return token


def _check_scope(conn: Connection, row: dict[str, Any], scope: str) -> str:
    scope = scope.strip()
    if scope == READ_SCOPE:
        return scope
    if scope == ROUTINES_SCOPE:
        if row["role"] not in ROUTINE_WRITERS:
            raise AccountInvalid(f"a {row['role']} does not write plans, assessments or "
                                 f"stocktakes: a '{ROUTINES_SCOPE}' token is for admins, "
                                 "analysts and owners")
        return scope
    if not scope.startswith("unit:") or not scope[5:].strip():
        raise AccountInvalid(f"unknown token scope '{scope}': use 'read', 'routines' or "
                             "'unit:CODE'")
    unit = scope[5:].strip()
    model = model_repo.read_model(conn)
    if unit not in model.units:
        raise UnknownAccount(f"'{unit}' is not a reporting unit in the model")
    role = row["role"]
    if role == "provider":
        if unit not in unit_remit(model, row["unit"]):
            raise AccountInvalid(f"'{row['username']}' provides data for {row['unit']} and the "
                                 f"units below it, not for {unit}")
    elif role not in ("admin", "analyst"):
        kinds = "a 'read' or 'routines'" if role in ROUTINE_WRITERS else "only a 'read'"
        raise AccountInvalid(f"a {role} does not submit data: {kinds} token is possible")
    return f"unit:{unit}"


def resolve_api_token(engine: Engine, token: str, *, ip: str | None = None,
                      now: datetime | None = None) -> Principal | None:
    """The principal an API token acts as, or None if it is unknown or revoked.

    Authorised at every use against the account as it is now: a ``read`` token acts with
    the account's current role; a ``routines`` token too (its owner's current priorities)
    while that role writes routines; a ``unit:X`` token acts as a provider for X only while
    the account may still submit for X. Raises TokenRefused (and logs it) when it may not.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    with engine.connect() as conn:
        row = q.live_token(conn, token_hash(token))
        if row is None:
            return None
        refusal = _outgrown(conn, row)
        if refusal is not None:
            audit.record(conn, "token_refused", actor=row["username"], subject=row["username"],
                         ip=ip, at=now, detail={"token": row["token_id"], "scope": row["scope"],
                                                "reason": refusal})
            conn.commit()
            raise TokenRefused(f"this API token (#{row['token_id']}, {row['scope']}) no longer "
                               f"fits its account: {refusal}. Make a new token.")
        if (row["last_used_at"] is None or now - row["last_used_at"] >= TOKEN_TOUCH_STEP
                or (ip and ip[:64] != row["last_used_ip"])):
            q.touch_token(conn, row["token_id"], now, (ip or None) and ip[:64])
            conn.commit()
    if row["scope"].startswith("unit:"):
        return Principal(user_id=row["id"], username=row["username"], role="provider",
                         unit=row["scope"][5:], via="token", scope=row["scope"])
    return Principal(user_id=row["id"], username=row["username"], role=row["role"],
                     unit=row["unit"], priorities=tuple(row["priorities"] or ()),
                     via="token", read_only=row["scope"] != ROUTINES_SCOPE,
                     scope=row["scope"])


def _outgrown(conn: Connection, row: dict[str, Any]) -> str | None:
    """Why a token's scope is now beyond its account's role and unit, or None if it is not.
    The same rule as making the token (_check_scope), applied to the account of today."""
    scope, role = row["scope"], row["role"]
    article = "an" if role[0] in "aeiou" else "a"
    if scope == ROUTINES_SCOPE and role not in ROUTINE_WRITERS:
        return (f"'{row['username']}' is now {article} {role}, who does not write plans, "
                "assessments or stocktakes")
    if not scope.startswith("unit:") or role in ("admin", "analyst"):
        return None
    unit = scope[5:]
    if role != "provider":
        return f"'{row['username']}' is now {article} {role}, who does not submit data"
    if unit not in unit_remit(model_repo.read_model(conn), row["unit"]):
        return (f"'{row['username']}' now provides data for {row['unit']} and the units "
                f"below it, not for {unit}")
    return None


def list_api_tokens(engine: Engine, username: str) -> list[ApiToken]:
    with engine.connect() as conn:
        return [ApiToken(**r) for r in q.tokens_of(conn, _existing(conn, username)["id"])]


def list_all_api_tokens(engine: Engine, *, live_only: bool = True) -> list[ApiToken]:
    """Every user's API tokens (live ones unless ``live_only`` is False), for administrators."""
    with engine.connect() as conn:
        return [ApiToken(**r) for r in q.all_tokens(conn, live_only=live_only)]


def revoke_api_token(engine: Engine, username: str, token_id: int, *, by: str | None = None,
                     ip: str | None = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    with writing(engine) as conn:
        row = _existing(conn, username)
        if not q.revoke_token(conn, token_id, row["id"], now):
            raise UnknownAccount(f"'{row['username']}' has no live API token {token_id}")
        q.record_event(conn, row["username"], "token_revoked", {"token": token_id},
                       by=by or row["username"], at=now)
        audit.record(conn, "token_revoked", actor=by or row["username"],
                     subject=row["username"], ip=ip, at=now, detail={"token": token_id})


# -- the demo ---------------------------------------------------------------------------


def _demo_password() -> str:
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off a terminal
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def demo_accounts(engine: Engine) -> list[tuple[str, str, str]]:
    """One account per role for the demo, named after its role, with a fresh random
    password each call, returned as (username, role, password) to print.

    Idempotent: existing demo accounts are reset (role, unit, priorities, password; their
    sessions end), never duplicated. The provider reports for the first unit below the
    first root (so it has units below it); the owner owns the first priority.
    """
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
    roots = model.roots()
    if not roots or not model.priorities:
        raise AccountConflict("the demo accounts need a model with units and priorities: "
                              "load or build one first")
    below = model.children(roots[0].code)
    unit = (below[0] if below else roots[0]).code
    owned = (sorted(model.priorities)[0],)
    out = []
    for role in ROLES:
        password = _demo_password()
        extra = {"unit": unit if role == "provider" else None,
                 "priorities": owned if role == "owner" else ()}
        try:
            user = get_user(engine, role)
        except AccountError:
            create_user(engine, role, role, password, by="demo", **extra)
        else:
            if (user.role, user.unit, user.priorities) != (role, extra["unit"],
                                                           extra["priorities"]):
                set_role(engine, role, role, by="demo", **extra)
            set_password(engine, role, password, by="demo")
            if not user.active:
                enable_user(engine, role, by="demo")
        out.append((role, role, password))
    return out
