"""The API against its own description (issue #15): schemathesis generates requests from
/api/v1/openapi.json, valid and not, for every operation, signed in as each role with an
API token and with a session, and fails on any 5xx, any status the document does not list
and any body that does not match its schema. Bounded (EXAMPLES per operation, role and way
of signing in; no shrinking; the same examples every run) so that it runs in CI in about a
minute on two busy cores."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from stocktake.services.admin import accounts
from stocktake.services.admin.accounts import ROLES
from stocktake.store.db import open_engine
from stocktake.web import auth
from stocktake.web.app import create_app

from ..conftest import SMALL_MODEL
from .test_delivery_pages import build

pytestmark = pytest.mark.slow  # schemathesis: a minute or more on two cores

EXAMPLES = 15  # per operation, role and way of signing in
# The widest token each role can hold: a provider's unit token submits; the others' read
# tokens only read (their writes are tried with a session).
SCOPES = {"admin": "read", "analyst": "read", "owner": "read", "executive": "read",
          "provider": "unit:A"}


@pytest.fixture(scope="module")
def live(tmp_path_factory, migrated_sqlite):
    """The app on a SQLite file with the small model, nine months of data, a plan, chain,
    assessment and stocktake of P1 (test_delivery_pages.build), and for each role a session
    and a token."""
    folder = tmp_path_factory.mktemp("conformance")
    shutil.copyfile(migrated_sqlite, folder / "api.db")
    model_dir = folder / "model"
    shutil.copytree(SMALL_MODEL, model_dir)
    engine = open_engine(f"sqlite:///{folder / 'api.db'}")
    hasher, accounts.HASHER = accounts.HASHER, PasswordHasher(time_cost=1, memory_cost=1024,
                                                              parallelism=1)
    build(engine, model_dir)
    credentials = {}
    for role in ROLES:
        token = accounts.create_api_token(engine, role, SCOPES[role])
        session = accounts.start_session(engine, role)
        credentials[role, "token"] = {"Authorization": f"Bearer {token}"}, {}
        credentials[role, "session"] = ({auth.CSRF_HEADER: session.csrf_token},
                                         {auth.SESSION_COOKIE: session.token})
    yield create_app(engine), credentials
    accounts.HASHER = hasher
    engine.dispose()


@pytest.mark.parametrize("via", ["token", "session"])
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_to_the_document(live, role, via):
    app, credentials = live
    headers, cookies = credentials[role, via]
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=headers,
                                            cookies=cookies)
    # Not positive_data_acceptance: a well-formed code the model does not hold (an
    # indicator, a unit, a period) is a documented 404 or 422 by design. With a session,
    # not ignored_auth: it spoils the bearer scheme while the valid cookie still signs in
    # (the token runs check that a spoilt token is refused).
    excluded = [positive_data_acceptance] + ([ignored_auth] if via == "session" else [])
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    for operation in operations:

        # Requests that fit the document and requests that do not (which must get a 4xx).
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def keeps_to_the_document(case):
            case.call_and_validate(headers=headers, cookies=cookies, excluded_checks=excluded)

        try:
            keeps_to_the_document()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label} as {role} ({via}): {exc}")
    assert failures == [], "\n\n".join(failures)
