"""The administrator's view of the delivery model: what is loaded and every change."""

from fastapi.testclient import TestClient

from stocktake.services.model_service import load_model
from stocktake.web.app import create_app

from .conftest import signed_in_session


def test_the_admin_sees_the_model_and_its_changes(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="alice")
    priorities = small_model_dir / "priorities.yaml"
    priorities.write_text(priorities.read_text().replace("Cut violent crime", "Cut crime"))
    load_model(engine, small_model_dir, loaded_by="bob")
    admin = TestClient(create_app(engine), cookies={
        "stocktake_session": signed_in_session(engine, "admin")})
    html = admin.get("/admin/model").text
    for text in ("Cut crime", "incident_rate", "Province A", "Region A1", "bob"):
        assert text in html, text
    changes = html.split('id="changes"')[1]
    assert "bob" in changes and "changed" in changes and "P1" in changes  # the retitling
    analyst = TestClient(create_app(engine), cookies={
        "stocktake_session": signed_in_session(engine, "analyst")})
    assert analyst.get("/admin/model").status_code == 403
