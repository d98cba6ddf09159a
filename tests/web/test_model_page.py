"""The administrator's view of the delivery model: what is loaded and every change."""

import pytest
from fastapi.testclient import TestClient

from stocktake.services.data.model_service import load_model
from stocktake.web.app import create_app

from .conftest import signed_in_session


@pytest.mark.slow
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


def _files(folder, **override):
    names = ("units.csv", "indicators.yaml", "priorities.yaml")
    return {n: (n, override.get(n, (folder / n).read_bytes())) for n in names}


def _csrf(client):
    import re

    html = client.get("/admin/model").text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_admin_checks_then_loads_new_model_files(engine, small_model_dir):
    from stocktake.services.data.model_service import current_model

    load_model(engine, small_model_dir, loaded_by="alice")
    admin = TestClient(create_app(engine), cookies={
        "stocktake_session": signed_in_session(engine, "admin")})
    text = (small_model_dir / "priorities.yaml").read_text().replace("Cut violent crime",
                                                                       "Cut crime")
    files = _files(small_model_dir, **{"priorities.yaml": text.encode()})
    checked = admin.post("/admin/model", data={"action": "check", "csrf_token": _csrf(admin)},
                         files=files)
    assert checked.status_code == 200 and "priority <strong>P1</strong>: changed" in checked.text
    assert current_model(engine).priorities["P1"].title == "Cut violent crime"  # not yet
    loaded = admin.post("/admin/model", data={"action": "load", "csrf_token": _csrf(admin)},
                        files=files)
    assert "The model was loaded" in loaded.text
    assert current_model(engine).priorities["P1"].title == "Cut crime"


@pytest.mark.slow
def test_bad_model_files_are_refused_with_every_problem_and_nothing_stored(engine,
                                                                            small_model_dir):
    from stocktake.services.data.model_service import current_model

    load_model(engine, small_model_dir, loaded_by="alice")
    admin = TestClient(create_app(engine), cookies={
        "stocktake_session": signed_in_session(engine, "admin")})
    bad = (small_model_dir / "priorities.yaml").read_text().replace("headline: incident_rate",
                                                                     "headline: incident_rat")
    r = admin.post("/admin/model", data={"action": "load", "csrf_token": _csrf(admin)},
                   files=_files(small_model_dir, **{"priorities.yaml": bad.encode()}))
    assert r.status_code == 400 and "Nothing was loaded" in r.text
    assert "priorities.yaml" in r.text and "incident_rate" in r.text  # where, and did you mean
    assert current_model(engine).priorities["P1"].headline == "incident_rate"
    missing = admin.post("/admin/model", data={"action": "check", "csrf_token": _csrf(admin)},
                         files={"units.csv": ("units.csv", b"code,name,level,parent\n")})
    assert missing.status_code == 400 and "indicators.yaml: required" in missing.text
