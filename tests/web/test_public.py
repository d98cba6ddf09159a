"""The public progress site under /public: open to everyone, the same pages as the static
site, and nothing of an unpublished priority; then the pages in a real browser."""

import pytest
from fastapi.testclient import TestClient

from stocktake.web.app import create_app

from ..services.test_publish import build
from .conftest import LiveServer, screenshot

SECRETS = ("P2", "Zebra", "Nobody public", "4321", "1234", "4,321", "1,234", "2024-04")


@pytest.mark.slow
def test_public_pages_serve_anonymously_without_unpublished_priorities(engine,
                                                                     small_model_dir):
    build(engine, small_model_dir)
    client = TestClient(create_app(engine))  # no session, no token
    pages = {}
    for path in ("/public/", "/public/index.html", "/public/priority-P1.html",
                 "/public/unit-A.html", "/public/unit-B.html", "/public/data-P1.csv",
                 "/public/style.css"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 200, path
        pages[path] = r.text
    assert pages["/public/"] == pages["/public/index.html"]
    assert ">9.3<" in pages["/public/"] and "Data as of" in pages["/public/priority-P1.html"]
    assert pages["/public/data-P1.csv"].startswith("priority,indicator,unit")
    for path, text in pages.items():
        for secret in SECRETS:
            assert secret not in text, (path, secret)
    for path in ("/public/priority-P2.html", "/public/data-P2.csv", "/public/unit-N.html",
                 "/public/unit-A1.html"):
        assert client.get(path).status_code == 404, path
    assert client.get("/public", follow_redirects=False).headers["location"].endswith(
        "/public/")
    # The internal views stay closed to the public.
    assert client.get("/priorities/P2", follow_redirects=False).status_code == 303


def test_public_pages_in_a_browser_at_both_widths(engine, small_model_dir, browser):
    build(engine, small_model_dir)
    with LiveServer(create_app(engine)) as server:
        for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
            page = browser.new_page(viewport={"width": width, "height": height},
                                    java_script_enabled=False)
            page.goto(server.url + "/public/")
            assert page.locator("h1").inner_text() == "Progress on the priorities"
            screenshot(page, f"public-index-{label}")
            page.get_by_role("link", name="Cut violent crime").first.click()
            # A click returns once the next page commits, not once it has loaded.
            page.wait_for_load_state()
            assert page.url.endswith("/public/priority-P1.html")
            assert page.locator("table.units tbody tr").count() == 2
            screenshot(page, f"public-priority-{label}")
            page.get_by_role("link", name="Province A").first.click()
            page.wait_for_load_state()
            assert page.url.endswith("/public/unit-A.html")
            screenshot(page, f"public-unit-{label}")
            # Nothing wider than the screen: the page reads without sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.close()
