"""The first page in a real browser (Debian's chromium), at desktop and phone widths."""

import pytest

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.web.app import create_app

from .conftest import LiveServer, screenshot, signed_in_session


@pytest.fixture
def sqlite_engine(tmp_path, small_model_dir):
    from stocktake.store.db import open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'web.db'}")
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, "2024-03", v) for u, n, p in [("A1", 31, 350000), ("A2", 20, 250000),
                                                 ("B1", 39, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    return engine


def new_page(browser, server, engine, width, height):
    """A page signed in as an analyst (the pages are not public)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.context.add_cookies([{"name": "stocktake_session", "value": signed_in_session(engine),
                               "url": server.url}])
    return page


@pytest.mark.parametrize("width, height, name", [(1280, 800, "desktop"), (390, 844, "phone")])
def test_portfolio_in_a_browser(browser, sqlite_engine, width, height, name):
    with LiveServer(create_app(sqlite_engine)) as server:
        page = new_page(browser, server, sqlite_engine, width, height)
        page.goto(server.url + "/")
        assert page.title() == "Priorities · stocktake"
        row = page.get_by_role("row", name="P1 Cut violent crime")
        assert row.is_visible()
        assert "9.0" in row.inner_text()
        bar = page.get_by_role("img", name="50% of the way from baseline to target")
        assert bar.is_visible()
        # Nothing overflows the viewport sideways (a phone must not scroll horizontally).
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"portfolio-small-{name}")
        page.close()


@pytest.mark.parametrize("width, height, name", [(1280, 800, "desktop"), (390, 844, "phone")])
def test_priority_page_in_a_browser(browser, sqlite_engine, width, height, name):
    with LiveServer(create_app(sqlite_engine)) as server:
        page = new_page(browser, server, sqlite_engine, width, height)
        page.goto(server.url + "/")
        page.get_by_role("link", name="Cut violent crime").click()
        page.wait_for_load_state()
        assert page.url.endswith("/priorities/P1")
        assert page.get_by_role("heading", level=1).inner_text() == "Cut violent crime"
        chart = page.get_by_role("img", name="Violent incidents per 100,000 people at Nation")
        assert chart.is_visible()
        # (31 + 20 + 39) / 1,000,000 x 100,000 = 9.0 in 2024-03
        assert "9.0 in 2024-03" in chart.get_attribute("aria-label")
        assert page.get_by_role("row", name="Province A").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"priority-small-{name}")
        page.close()
