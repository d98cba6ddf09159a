"""Accounts on real SQLite and PostgreSQL: argon2id passwords, the sign-in rate limit,
sliding sessions, API tokens, roles and the demo accounts."""

import hashlib
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from stocktake.errors import StocktakeError
from stocktake.services.admin import accounts
from stocktake.services.admin.accounts import (
    AccountError,
    LoginFailed,
    LoginRefused,
    Principal,
    unit_remit,
)
from stocktake.services.data.model_service import current_model, load_model
from stocktake.store.db import open_engine
from stocktake.store.schema_accounts import api_tokens, login_attempts, sessions, users

T0 = datetime(2025, 3, 1, 9, 0)
PW = "correct horse battery"  # 21 characters


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def model(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    return engine


def rows(engine, table, **where):
    q = select(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(table.c.id)).mappings()]


# -- users and passwords ----------------------------------------------------------------


def test_a_new_user_has_an_argon2id_hash_and_never_the_password(model):
    user = accounts.create_user(model, "Alice", "analyst", PW, by="root", now=T0)
    assert (user.username, user.role, user.active, user.created_at) == ("alice", "analyst",
                                                                       True, T0)
    [row] = rows(model, users)
    assert row["password_hash"].startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PW not in row["password_hash"]
    assert PasswordHasher().verify(row["password_hash"], PW)  # argon2's own check
    [event] = accounts.account_events(model, "alice")
    assert (event["action"], event["by"], event["at"]) == ("created", "root", T0)
    assert [u.username for u in accounts.list_users(model)] == ["alice"]


@pytest.mark.parametrize("username, role, password, extra, message", [
    ("bob", "analyst", "eleven char", {}, "at least 12 characters (it has 11)"),
    ("bob", "analyst", "x" * 1025, {}, "too long"),
    ("bob-the-analyst", "analyst", "Bob-The-Analyst", {}, "must not be the username"),
    ("Bad Name!", "analyst", PW, {}, "username 'Bad Name!' is not allowed"),
    ("", "analyst", PW, {}, "is not allowed"),
    ("bob", "boss", PW, {}, "unknown role 'boss'"),
    ("bob", "provider", PW, {}, "a provider needs a unit"),
    ("bob", "provider", PW, {"unit": "ZZ"}, "'ZZ' is not a reporting unit"),
    ("bob", "analyst", PW, {"unit": "A"}, "only providers have a unit"),
    ("bob", "owner", PW, {}, "an owner needs at least one priority"),
    ("bob", "owner", PW, {"priorities": ["P1", "P9"]}, "no priority 'P9'"),
    ("bob", "executive", PW, {"priorities": ["P1"]}, "only owners have priorities"),
])
def test_bad_accounts_are_refused_plainly_and_store_nothing(model, username, role, password,
                                                            extra, message):
    with pytest.raises(StocktakeError) as info:
        accounts.create_user(model, username, role, password, **extra)
    assert message in str(info.value)
    assert rows(model, users) == []


def test_the_shortest_allowed_password_is_twelve_characters(model):
    accounts.create_user(model, "bob", "analyst", "twelve chars")
    with pytest.raises(AccountError, match="there is already a user 'bob'"):
        accounts.create_user(model, "BOB", "analyst", "twelve chars")  # names ignore case


@pytest.mark.slow
def test_sign_in_checks_the_password_and_rehashes_when_parameters_change(
        model, monkeypatch):
    accounts.create_user(model, "alice", "analyst", PW)
    old = rows(model, users)[0]["password_hash"]
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        accounts.authenticate(model, "alice", PW + "!", ip="10.0.0.1", now=T0)
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        accounts.authenticate(model, "nobody", PW, ip="10.0.0.1", now=T0)
    assert rows(model, users)[0]["password_hash"] == old  # same parameters: kept

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher())  # the real defaults
    user = accounts.authenticate(model, " Alice ", PW, ip="10.0.0.1", now=T0)
    assert user.username == "alice" and user.last_login_at == T0
    new = rows(model, users)[0]["password_hash"]
    # argon2-cffi's documented defaults (RFC 9106 low-memory): 64 MiB, 3 passes, 4 lanes.
    assert new.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and new != old
    accounts.authenticate(model, "alice", PW, ip="10.0.0.1", now=T0)
    assert rows(model, users)[0]["password_hash"] == new
    outcomes = [a["outcome"] for a in rows(model, login_attempts)]
    assert outcomes == ["failure", "failure", "success", "success"]


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(model):
    accounts.create_user(model, "root", "admin", PW)
    accounts.create_user(model, "alice", "analyst", PW)
    session = accounts.start_session(model, "alice", now=T0)
    accounts.disable_user(model, "alice", by="root", now=T0)
    assert accounts.resume_session(model, session.token, now=T0) is None
    with pytest.raises(LoginFailed, match="disabled"):
        accounts.authenticate(model, "alice", PW, ip="10.0.0.1", now=T0)
    accounts.enable_user(model, "alice", by="root", now=T0)
    assert accounts.authenticate(model, "alice", PW, ip="10.0.0.1", now=T0).active
    assert [e["action"] for e in accounts.account_events(model, "alice")] == [
        "created", "disabled", "enabled"]


def test_the_last_active_admin_stays(model):
    accounts.create_user(model, "root", "admin", PW)
    with pytest.raises(AccountError, match="only active admin"):
        accounts.disable_user(model, "root")
    with pytest.raises(AccountError, match="only active admin"):
        accounts.set_role(model, "root", "analyst")
    accounts.create_user(model, "second", "admin", PW)
    assert accounts.set_role(model, "root", "analyst").role == "analyst"
    with pytest.raises(AccountError, match="no user 'ghost'"):
        accounts.get_user(model, "ghost")


def test_changing_your_own_password_needs_the_current_one(model):
    accounts.create_user(model, "alice", "analyst", PW)
    other = accounts.start_session(model, "alice", now=T0)
    with pytest.raises(LoginFailed):
        accounts.change_own_password(model, "alice", "not my password", "a new passphrase",
                                     ip="10.0.0.1", now=T0)
    with pytest.raises(AccountError, match="at least 12"):
        accounts.change_own_password(model, "alice", PW, "short", ip="10.0.0.1", now=T0)
    accounts.change_own_password(model, "alice", PW, "a new passphrase", ip="10.0.0.1", now=T0)
    assert accounts.resume_session(model, other.token, now=T0) is None  # sessions end
    accounts.authenticate(model, "alice", "a new passphrase", ip="10.0.0.1", now=T0)
    with pytest.raises(LoginFailed):
        accounts.authenticate(model, "alice", PW, ip="10.0.0.1", now=T0)


# -- the sign-in rate limit (by hand, and strangers elsewhere: test_accounts_security.py) --


def minutes(*ms):
    return [T0 + timedelta(minutes=m) for m in ms]


def test_five_failures_make_this_account_wait_at_this_address_on_every_worker(model):
    accounts.create_user(model, "alice", "analyst", PW)
    for m in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, "alice", "guess", ip="10.6.6.6", now=minutes(m)[0])
    # The 5th failure (minute 4) makes this pair wait a minute, even with the right password.
    with pytest.raises(LoginRefused) as info:
        accounts.authenticate(model, "alice", PW, ip="10.6.6.6", now=minutes(4.25)[0])
    assert info.value.until == minutes(5)[0] and info.value.retry_after == 45
    assert "Too many failed sign-in attempts" in str(info.value)
    assert "1 more minute;" in str(info.value) and "09:05 UTC" in str(info.value)
    # A second engine (another worker, or after a restart) sees the same wait.
    other = open_engine(str(model.url.render_as_string(hide_password=False)))
    with pytest.raises(LoginRefused):
        accounts.authenticate(other, "alice", PW, ip="10.6.6.6",
                              now=minutes(5)[0] - timedelta(seconds=1))
    other.dispose()
    # The same person from elsewhere was never held up.
    assert accounts.authenticate(model, "alice", PW, ip="10.1.1.1", now=minutes(4.5)[0])
    assert accounts.authenticate(model, "alice", PW, ip="10.6.6.6", now=minutes(5)[0])
    outcomes = [a["outcome"] for a in rows(model, login_attempts, username="alice")]
    assert outcomes == ["failure"] * 5 + ["refused", "refused", "success", "success"]


def test_failures_for_other_usernames_from_one_address_lock_nobody(model):
    accounts.create_user(model, "alice", "analyst", PW)
    for m, name in enumerate(["a", "b", "c", "d", "e", "f", "g"]):  # one address, 7 names
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, name, "guess", ip="10.6.6.6", now=minutes(m)[0])
    assert accounts.authenticate(model, "alice", PW, ip="10.6.6.6", now=minutes(7)[0])


# -- sessions ---------------------------------------------------------------------------


def test_sessions_are_stored_hashed_and_slide_forward_with_use(model):
    accounts.create_user(model, "alice", "analyst", PW)
    s = accounts.start_session(model, "alice", ip="10.0.0.1", now=T0)
    [row] = rows(model, sessions)
    assert row["token_hash"] == hashlib.sha256(s.token.encode()).hexdigest() != s.token
    assert row["expires_at"] == T0 + timedelta(hours=12) == s.expires_at
    assert len(s.token) >= 43 and s.csrf_token != s.token  # 32 random bytes, base64

    p = accounts.resume_session(model, s.token, now=T0 + timedelta(seconds=30))
    assert p == Principal(user_id=row["user_id"], username="alice", role="analyst",
                          via="session", csrf_token=s.csrf_token)
    assert rows(model, sessions)[0]["expires_at"] == T0 + timedelta(hours=12)  # < 1 min
    accounts.resume_session(model, s.token, now=T0 + timedelta(hours=6))
    assert rows(model, sessions)[0]["expires_at"] == T0 + timedelta(hours=18)
    assert accounts.resume_session(model, s.token, now=T0 + timedelta(hours=17, minutes=59))
    assert accounts.resume_session(model, s.token, now=T0 + timedelta(hours=30)) is None
    assert accounts.resume_session(model, "made-up", now=T0) is None


def test_an_unused_session_expires_after_twelve_hours(model):
    accounts.create_user(model, "alice", "analyst", PW)
    s = accounts.start_session(model, "alice", now=T0)
    almost = T0 + timedelta(hours=12) - timedelta(seconds=1)
    t = accounts.start_session(model, "alice", now=T0)
    assert accounts.resume_session(model, t.token, now=almost) is not None
    assert accounts.resume_session(model, s.token, now=T0 + timedelta(hours=12)) is None
    accounts.end_session(model, t.token)
    assert accounts.resume_session(model, t.token, now=T0) is None


def test_a_role_change_applies_to_a_live_session(model):
    accounts.create_user(model, "root", "admin", PW)
    accounts.create_user(model, "alice", "analyst", PW)
    s = accounts.start_session(model, "alice", now=T0)
    accounts.set_role(model, "alice", "provider", unit="A", by="root", now=T0)
    p = accounts.resume_session(model, s.token, now=T0)
    assert (p.role, p.unit) == ("provider", "A")
    [_, event] = accounts.account_events(model, "alice")
    assert event["detail"] == {"before": {"role": "analyst", "unit": None, "priorities": []},
                               "after": {"role": "provider", "unit": "A", "priorities": []}}


# -- roles ------------------------------------------------------------------------------


def test_a_providers_remit_is_its_unit_and_the_units_below(model):
    m = current_model(model)
    # units.csv: N > A > (A1, A2); N > B > B1
    assert unit_remit(m, "A") == {"A", "A1", "A2"}
    assert unit_remit(m, "N") == {"N", "A", "A1", "A2", "B", "B1"}
    assert unit_remit(m, "B1") == {"B1"}
    assert unit_remit(m, None) == set() and unit_remit(m, "ZZ") == set()
    provider = Principal(1, "p", "provider", unit="A")
    assert provider.remit(m) == {"A", "A1", "A2"}
    assert Principal(2, "e", "executive").remit(m) is None  # every unit


@pytest.mark.parametrize("principal, editable", [
    (Principal(1, "a", "admin"), {"P1", "P2"}),
    (Principal(1, "a", "analyst"), {"P1", "P2"}),
    (Principal(1, "o", "owner", priorities=("P1",)), {"P1"}),
    (Principal(1, "o", "owner", priorities=("P1",), read_only=True), set()),
    (Principal(1, "p", "provider", unit="A"), set()),
    (Principal(1, "e", "executive"), set()),
    (Principal(1, "a", "analyst", read_only=True), set()),
])
def test_who_may_edit_a_priority(principal, editable):
    assert {c for c in ("P1", "P2") if principal.may_edit_priority(c)} == editable


# -- API tokens -------------------------------------------------------------------------


def test_api_tokens_are_shown_once_stored_hashed_and_scoped(model):
    accounts.create_user(model, "ana", "analyst", PW)
    accounts.create_user(model, "pat", "provider", PW, unit="A")
    accounts.create_user(model, "eve", "executive", PW)

    read = accounts.create_api_token(model, "ana", "read", label="dashboard", now=T0)
    assert read.startswith("stocktake_") and len(read) >= len("stocktake_") + 43
    stored = {r["token_hash"] for r in rows(model, api_tokens)}
    assert stored == {hashlib.sha256(read.encode()).hexdigest()}
    p = accounts.resolve_api_token(model, read, now=T0)
    assert (p.username, p.role, p.read_only, p.via) == ("ana", "analyst", True, "token")

    unit = accounts.create_api_token(model, "ana", "unit:B")
    p = accounts.resolve_api_token(model, unit)
    assert (p.role, p.unit, p.read_only) == ("provider", "B", False)
    own = accounts.create_api_token(model, "pat", "unit:A1")  # below the provider's unit
    assert accounts.resolve_api_token(model, own).unit == "A1"

    for user, scope, message in [("pat", "unit:B", "not for B"),
                                 ("eve", "unit:A", "only a 'read' token"),
                                 ("ana", "unit:ZZ", "not a reporting unit"),
                                 ("ana", "write", "unknown token scope 'write'")]:
        with pytest.raises(AccountError, match=message):
            accounts.create_api_token(model, user, scope)

    assert accounts.resolve_api_token(model, "stocktake_made-up") is None
    assert accounts.resolve_api_token(model, "no prefix") is None
    [first, *_] = accounts.list_api_tokens(model, "ana")
    assert (first.scope, first.label, first.last_used_at) == ("read", "dashboard", T0)
    accounts.revoke_api_token(model, "ana", first.id)
    assert accounts.resolve_api_token(model, read) is None
    with pytest.raises(AccountError, match="no live API token"):
        accounts.revoke_api_token(model, "pat", first.id)  # not theirs, and already revoked


def test_a_disabled_users_tokens_stop_working(model):
    accounts.create_user(model, "root", "admin", PW)
    accounts.create_user(model, "ana", "analyst", PW)
    token = accounts.create_api_token(model, "ana", "read")
    accounts.disable_user(model, "ana")
    assert accounts.resolve_api_token(model, token) is None


# -- the demo ---------------------------------------------------------------------------


def test_demo_accounts_one_per_role_idempotent(model):
    first = accounts.demo_accounts(model)
    assert [(u, r) for u, r, _ in first] == [(r, r) for r in accounts.ROLES]
    for username, _, password in first:
        assert len(password) == 19 and accounts.authenticate(model, username, password,
                                                             ip="127.0.0.1")
    by_name = {u.username: u for u in accounts.list_users(model)}
    assert by_name["provider"].unit == "A"  # the first unit below the root N
    assert by_name["owner"].priorities == ("P1",)

    again = accounts.demo_accounts(model)
    assert len(accounts.list_users(model)) == 5
    for (username, _, old), (_, _, new) in zip(first, again, strict=True):
        assert old != new
        accounts.authenticate(model, username, new, ip="127.0.0.2")
        with pytest.raises(LoginFailed):
            accounts.authenticate(model, username, old, ip=f"127.0.1.{len(username)}")


def test_demo_accounts_need_a_model(engine):
    with pytest.raises(AccountError, match="need a model"):
        accounts.demo_accounts(engine)
