"""The first page: every priority with its latest figure and the data vintage."""

from fastapi.testclient import TestClient

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.store.db import set_meta
from stocktake.web.app import create_app

from .conftest import signed_in_session


def client_for(engine) -> TestClient:
    """A client signed in as an analyst (the pages are not public)."""
    return TestClient(create_app(engine),
                      cookies={"stocktake_session": signed_in_session(engine)})


def test_portfolio_lists_priorities_with_latest_figures(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, "2024-03", v) for u, n, p in [("A1", 31, 350000), ("A2", 20, 250000),
                                                 ("B1", 39, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    client = client_for(engine)
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Cut violent crime" in html and "Minister of Public Safety" in html
    # (31 + 20 + 39) / 1,000,000 x 100,000 = 9.0; baseline 10.0, target 8.0: 50% of the way.
    assert ">9.0<" in html and "2024-03" in html
    assert "50% of the way from baseline to target" in html
    assert "Data as of" in html and "Demonstration" not in html
    api = client.get("/api/v1/priorities").json()
    assert api["priorities"][0]["latest"]["value"] == 9.0
    assert client.get("/static/style.css").status_code == 200


def test_the_demo_is_labelled_as_simulated(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    with engine.begin() as conn:
        set_meta(conn, "world_label", "Demo federation (simulated data)")
    html = client_for(engine).get("/").text
    assert "Demonstration:" in html and "simulated data" in html
    assert "no data" in html  # nothing submitted yet: said, not hidden


def test_priority_page_and_unknown_priority(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1, 2, 3)
            for u, n, p in [("A1", 30 + m, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    client = client_for(engine)
    html = client.get("/priorities/P1").text
    assert "<svg" in html and 'role="img"' in html and "Target 8.0" in html
    # 2024-03: (33 + 20 + 40) / 1,000,000 x 100,000 = 9.3; linear from 10.0 (2024-01) to
    # 8.0 (2025-12) expects 10 - 2 x 2/23 = 9.826 in 2024-03.
    assert ">9.3<" in html and ">9.8<" in html
    assert client.get("/priorities/NOPE").status_code == 404
