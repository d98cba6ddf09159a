"""An indicator's French unit of measure (unit_fr) in the store, on SQLite and PostgreSQL:
kept with its definition and read back, a reload without change recording nothing, a new
translation recorded as a change of that field alone, and carried by a backup's restore.
A model without French is stored as before (no unit_fr key at all)."""

from datetime import datetime, timedelta

from stocktake.services.data.model_service import current_model, load_model
from stocktake.store.backup import backup, restore
from stocktake.store.db import open_engine
from stocktake.store.model_repo import model_history

T0 = datetime(2025, 1, 10, 9, 0)
UNIT_FR = "pour 100 000 habitants"


def test_unit_fr_is_stored_read_back_changed_alone_and_restored(engine, small_model_dir,
                                                                tmp_path):
    load_model(engine, small_model_dir, loaded_by="ana", now=T0)
    with engine.connect() as conn:
        (added,) = model_history(conn, "incident_rate")
    assert "unit_fr" not in added["after"]  # stored as before French units existed

    indicators = small_model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace(
        "  unit: per 100,000\n", f"  unit: per 100,000\n  unit_fr: {UNIT_FR}\n"))
    translated = load_model(engine, small_model_dir, loaded_by="ana", now=T0 + timedelta(1))
    (change,) = translated.changes
    assert (change.code, change.action, change.fields_changed()) == (
        "incident_rate", "changed", ["unit_fr"])
    assert current_model(engine).indicators["incident_rate"].unit_fr == UNIT_FR
    again = load_model(engine, small_model_dir, loaded_by="ana", now=T0 + timedelta(2))
    assert again.changes == []

    out = tmp_path / "world.zip"
    backup(engine.url.render_as_string(hide_password=False), out)
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    restore(out, copy)
    restored = open_engine(copy)
    model = current_model(restored)
    assert model.indicators["incident_rate"].unit_in("fr") == UNIT_FR
    assert model.indicators["population"].unit_in("fr") == "people"  # none: the English
    restored.dispose()
