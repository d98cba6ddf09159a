"""Accessibility in a real browser: axe-core (bundled in tests/web/vendor, never downloaded)
runs on every page of the app, for the role that would open it, at desktop and phone widths.
A violation of impact serious or critical fails, naming the rule, the element and the fix.

The main pages must be there. Every other page is found from the app's routes (GET, not
under /api), so pages are checked as they land; one whose sample address answers 404 (no
such record in this world) is left out and named in the skip.

On the small test model by default. To check a richer world, point STOCKTAKE_A11Y_DB at a
built demo (``stocktake demo --no-serve --db sqlite:////tmp/a11y.db``, then
``STOCKTAKE_A11Y_DB=sqlite:////tmp/a11y.db``).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import current_model, load_model
from stocktake.store.db import open_engine
from stocktake.web import auth
from stocktake.web.app import create_app
from stocktake.web.auth import ANONYMOUS, PERMISSIONS, SESSION_COOKIE

from .conftest import LiveServer

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SMALL_MODEL = Path(__file__).parents[1] / "fixtures" / "small_model"
BLOCKING = ("critical", "serious")
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (headings, landmarks).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
DESKTOP, PHONE = (1280, 900), (390, 844)

# Pages every build has: (path, role or None for the public, a step before checking, the
# status it answers). "{priority}" is a priority of the world under test. Opening the
# <details> on the users page checks its forms, which axe skips while they are hidden.
MAIN_PAGES = [
    pytest.param("/", "analyst", None, 200, id="portfolio"),
    pytest.param("/priorities/{priority}", "analyst", None, 200, id="priority"),
    pytest.param("/login", None, None, 200, id="login"),
    pytest.param("/login?next=/", None, "wrong_password", 200, id="login-refused"),
    pytest.param("/account", "analyst", None, 200, id="account"),
    pytest.param("/account", "provider", None, 200, id="account-provider"),
    pytest.param("/admin/users", "admin", "open_details", 200, id="admin-users"),
    pytest.param("/", "provider", None, 403, id="refused-403"),
    pytest.param("/priorities/NO-SUCH", "analyst", None, 404, id="no-priority-404"),
    pytest.param("/no-such-page", "analyst", None, 404, id="no-page-404"),
]
# Phone width as well for the pages whose layout changes there (tables become cards).
PHONE_TOO = {"portfolio", "priority", "login", "account", "admin-users"}
MAIN_CASES = [pytest.param(*case.values, size, id=f"{case.id}-{name}", marks=case.marks)
              for case in MAIN_PAGES
              for size, name in ((DESKTOP, "desktop"), (PHONE, "phone"))
              if name == "desktop" or case.id in PHONE_TOO]
MAIN_PATHS = {"/", "/priorities/{code}", "/login", "/account", "/admin/users"}

# Not pages: JSON, files, the API's own docs page (Swagger UI, not ours to fix).
NOT_PAGES = {"static", "healthz", "metrics", "login", "logout", "openapi_document", "api_docs"}
# The role a discovered page is checked as: the public if it may, else the delivery unit,
# else the first role the table allows. Providers also see their own (narrower) view.
ROLE_ORDER = (ANONYMOUS, "analyst", "admin", "owner", "executive", "provider")


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The engine to check: a built demo if STOCKTAKE_A11Y_DB names one, else the small
    model with a month of data."""
    url = os.environ.get("STOCKTAKE_A11Y_DB")
    if url:
        engine = open_engine(url)
    else:
        engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('a11y') / 'a11y.db'}")
        load_model(engine, SMALL_MODEL, loaded_by="t")
        rows = [(i, u, "2024-03", v) for u, n, p in [("A1", 31, 350000), ("A2", 20, 250000),
                                                     ("B1", 39, 400000)]
                for i, v in (("incidents", n), ("population", p))]
        submit_rows(engine, rows, submitter="t")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app(world):
    return create_app(world)


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


@dataclass
class Problem:
    page: str
    impact: str
    rule: str
    help: str
    url: str
    targets: list[str]
    summary: str

    def __str__(self) -> str:
        where = "; ".join(self.targets[:5]) + (" ..." if len(self.targets) > 5 else "")
        return (f"{self.page}: [{self.impact}] {self.rule}: {self.help}\n"
                f"    at {where}\n    {self.summary}\n    see {self.url}")


def axe_problems(page, label: str) -> list[Problem]:
    """Inject axe-core into the page, run it, and return its violations."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(' ')),
                summary: (v.nodes[0] && v.nodes[0].failureSummary) || ''}));
        }""", AXE_TAGS)
    return [Problem(label, v["impact"] or "unknown", v["id"], v["help"], v["url"],
                    v["targets"], " ".join(v["summary"].split())) for v in found]


def blocking(problems: list[Problem]) -> list[Problem]:
    """The violations that fail a page; the milder ones are reported as warnings."""
    milder = [p for p in problems if p.impact not in BLOCKING]
    if milder:
        warnings.warn("axe (not failing):\n" + "\n".join(map(str, milder)), stacklevel=2)
    return [p for p in problems if p.impact in BLOCKING]


def session_for(engine, role: str) -> str:
    """A session for the account named after the role, made if missing: a provider for the
    first unit with units below it, an owner of the first priority (any world's model)."""
    if role not in {u.username for u in accounts.list_users(engine)}:
        model = current_model(engine)
        extra = {"owner": {"priorities": [next(iter(model.priorities))]},
                 "provider": {"unit": next(u.code for u in model.units.values()
                                           if u.parent is not None and model.children(u.code))}}
        accounts.create_user(engine, role, role, "correct horse battery", **extra.get(role, {}))
    return accounts.start_session(engine, role).token


def open_as(browser, server, engine, role: str | None, size: tuple[int, int]):
    # bypass_csp: axe-core is injected as an inline script, which the app's CSP forbids.
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  bypass_csp=True)
    if role is not None:
        context.add_cookies([{"name": SESSION_COOKIE, "value": session_for(engine, role),
                              "url": server.url}])
    return context.new_page()


def sample_params(engine) -> dict[str, str]:
    """A value from this world for each path parameter the routes might use."""
    model = current_model(engine)
    priority = next(iter(model.priorities))
    unit = next(u.code for u in model.units.values() if u.parent is not None)
    indicator = model.priorities[priority].headline
    return {"priority": priority, "code": priority, "unit": unit, "unit_code": unit,
            "indicator": indicator, "indicator_code": indicator, "username": "analyst"}


# Words before a "{code}" (the previous segment, or a prefix such as "unit-{code}.html")
# that say what it names; a bare "{code}" is a priority, as in the app's own routes.
CODE_OF = {"units": "unit", "unit": "unit", "indicators": "indicator", "indicator": "indicator",
           "priorities": "priority", "priority": "priority"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def fill(path: str, params: dict[str, str]) -> str | None:
    """The path with sample values, or None when a parameter has no sample (an id we
    cannot guess, say)."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        for match in PARAM.finditer(segment):
            name = match.group(1)
            if name == "code":
                words = re.findall(r"[a-z]+", segment[:match.start()]) or \
                    re.findall(r"[a-z]+", segments[i - 1] if i else "")
                name = CODE_OF.get(words[-1] if words else "", "priority")
            if name not in params:
                return None
            segment = segment.replace(match.group(0), params[name], 1)
        segments[i] = segment
    return "/".join(segments)


def discovered_pages(app, params: dict[str, str]) -> tuple[list[tuple[str, str | None]],
                                                            list[str]]:
    """(path, role) for every GET page of the app that is not a main page, and the routes
    left out because a path parameter has no sample value."""
    pages, unfilled = [], []
    for route in auth.routes_of(app):
        if (not isinstance(route, APIRoute) or "GET" not in route.methods
                or route.name in NOT_PAGES or route.path.startswith("/api/")
                or route.path in MAIN_PATHS):
            continue
        allowed = PERMISSIONS.get(route.name, frozenset())
        roles = [r for r in ROLE_ORDER if r in allowed]
        if not roles:
            continue
        path = fill(route.path, params)
        if path is None:
            unfilled.append(route.path)
            continue
        if roles[0] == ANONYMOUS:
            pages.append((path, None))
            continue
        pages.append((path, roles[0]))
        if "provider" in roles[1:]:
            pages.append((path, "provider"))
    return pages, unfilled


def test_sample_paths_name_records_of_the_world():
    params = {"priority": "P1", "unit": "A1", "indicator": "incidents", "username": "analyst"}
    assert fill("/priorities/{code}", params) == "/priorities/P1"
    assert fill("/units/{code}", params) == "/units/A1"
    assert fill("/public/unit-{code}.html", params) == "/public/unit-A1.html"
    assert fill("/public/priority-{code}.html", params) == "/public/priority-P1.html"
    assert fill("/indicators/{code}/units/{unit}", params) == "/indicators/incidents/units/A1"
    assert fill("/admin/users/{username}", params) == "/admin/users/analyst"
    assert fill("/stocktakes/{stocktake_id:int}", params) is None


# -- the checker itself finds what it should --------------------------------------------


def test_the_checker_fails_a_page_with_known_faults(browser):
    """A page with grey-on-white text (2.3:1), an input without a label and an image
    without alt text: axe must report each, as serious or critical."""
    page = browser.new_page()
    page.set_content("""<!doctype html><html lang="en"><head><title>t</title></head><body>
        <main><h1>Faults</h1>
        <p style="color:#aaaaaa;background:#ffffff">Too faint to read</p>
        <input type="text" name="q">
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
        </main></body></html>""")
    found = blocking(axe_problems(page, "faults"))
    page.close()
    assert {p.rule for p in found} >= {"color-contrast", "label", "image-alt"}
    contrast = next(p for p in found if p.rule == "color-contrast")
    assert contrast.targets == ["p"] and contrast.impact == "serious"
    assert "4.5:1" in contrast.summary  # the AA threshold for normal text


def test_a_clean_page_passes(browser):
    page = browser.new_page()
    page.set_content("""<!doctype html><html lang="en"><head><title>t</title></head><body>
        <main><h1>Fine</h1><p>Readable.</p><label for="q">Search</label>
        <input id="q" type="text"></main></body></html>""")
    assert axe_problems(page, "clean") == []
    page.close()


# -- the app's pages --------------------------------------------------------------------


def wrong_password(page) -> None:
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[role=alert]")


def open_details(page) -> None:
    for summary in page.locator("details > summary").all()[:2]:
        summary.click()


STEPS = {"wrong_password": wrong_password, "open_details": open_details}


@pytest.mark.parametrize("path, role, step, status, size", MAIN_CASES)
def test_main_pages_have_no_serious_violations(browser, server, world, path, role, step,
                                               status, size):
    path = path.format(**sample_params(world))
    page = open_as(browser, server, world, role, size)
    response = page.goto(server.url + path)
    assert response.status == status, f"{path} as {role}: {response.status}"
    if step:
        STEPS[step](page)
    label = f"{path} as {role or 'the public'} at {size[0]}x{size[1]}"
    found = blocking(axe_problems(page, label))
    page.context.close()
    assert not found, "accessibility violations:\n" + "\n".join(map(str, found))


def test_submission_findings_have_no_serious_violations(browser, server, world, tmp_path):
    """A provider checks a file with errors: the findings table (errors first) is what
    most needs reading, on a phone too."""
    model = current_model(world)
    indicator = model.priorities[next(iter(model.priorities))].headline
    session_for(world, "provider")  # makes the account if this world has none
    provider = accounts.get_user(world, "provider")
    bad = tmp_path / "return.csv"
    bad.write_text("indicator,unit,period,value\n"
                   f"{indicator},{provider.unit},Mar 2024,12\n"
                   f"no_such_indicator,{provider.unit},2024-03,n/a\n")
    for size in (DESKTOP, PHONE):
        page = open_as(browser, server, world, "provider", size)
        page.goto(server.url + "/data/submit")
        page.set_input_files("#file", str(bad))
        page.get_by_role("button", name="Check the file").click()
        page.wait_for_load_state()
        assert page.locator("table.findings tbody tr").count() >= 2
        found = blocking(axe_problems(page, f"findings at {size[0]}x{size[1]}"))
        page.context.close()
        assert not found, "accessibility violations:\n" + "\n".join(map(str, found))


def test_every_other_page_has_no_serious_violations(browser, app, server, world):
    """The pages the features add, found from the routes; each as the role that would
    open it (and as a provider too when providers may)."""
    pages, unfilled = discovered_pages(app, sample_params(world))
    found, broken, absent, checked = [], [], [], []
    for path, role in pages:
        page = open_as(browser, server, world, role, DESKTOP)
        # Ask first (with the page's cookies): a file download cannot be opened as a page.
        response = page.context.request.get(server.url + path, max_redirects=0)
        if response.status == 404:
            absent.append(path)
        elif response.status >= 500:  # not an accessibility fault, but the page is broken
            broken.append(f"{path} as {role or 'the public'}: HTTP {response.status}")
        elif ("text/html" in response.headers.get("content-type", "")
              and "attachment" not in response.headers.get("content-disposition", "")):
            page.goto(server.url + path)
            found += blocking(axe_problems(page, f"{path} as {role or 'the public'}"))
            checked.append(path)
        page.context.close()
    assert not found and not broken, "\n".join(
        ["accessibility violations:", *map(str, found), "pages that failed:", *broken])
    if not checked:
        pytest.skip(f"no other pages yet (404 here: {absent}; no sample value: {unfilled})")
    if absent or unfilled:
        warnings.warn(f"checked {checked}; not checked (404 here: {absent}; "
                      f"no sample value for a parameter: {unfilled})", stacklevel=1)
