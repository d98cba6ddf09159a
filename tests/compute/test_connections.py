"""A source that cannot be read (a Spark master URL of the wrong form or that does not
answer, a PostgreSQL server that cannot be reached, a folder that is not there or holds no
files) is refused as Invalid, in seconds, naming the source, the setting and what is wrong;
nothing is stored. None of these start Spark: the URL is checked before any session is."""

import json
import socket

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Invalid
from stocktake.services.data.compute import compute_indicators

runner = CliRunner()


def with_source(model_dir, **fields) -> None:
    """The fixture's attendances source, with ``fields`` in place of its own."""
    path = model_dir / "sources.yaml"
    lines = [ln for ln in path.read_text().splitlines()
             if not any(ln.strip().startswith(f"{k}:") for k in fields)]
    lines += [f"  {k}: {v}" for k, v in fields.items()]
    path.write_text("\n".join(lines) + "\n")


def closed_port() -> int:
    """A local port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("master, says", [
    ("local[x]", "holds 'local[x]', not a Spark master URL"),
    ("sprak://spark-master:7077", "not a Spark master URL: one of local, local[N]"),
    ("mesos://spark-master:5050", "not a Spark master URL"),
    ("spark://spark-master", "'spark-master' is not host:port"),
    ("spark://nohost.invalid:7077", "cannot be reached: no host 'nohost.invalid' is known"),
    ("spark://127.0.0.1:{port}", "cannot be reached: 127.0.0.1:{port} refused"),
])
def test_a_bad_spark_master_is_invalid_and_names_the_variable(model_dir, monkeypatch,
                                                              master, says):
    port = closed_port()
    with_source(model_dir, engine="spark", url_env="ED_SPARK_MASTER")
    monkeypatch.setenv("ED_SPARK_MASTER", master.format(port=port))
    with pytest.raises(Invalid) as info:
        compute_indicators(None, model_dir, ["attendances"], dry_run=True)
    text = str(info.value)
    assert "source 'attendances': the environment variable ED_SPARK_MASTER" in text
    assert says.format(port=port) in text


def test_through_the_cli_it_exits_as_invalid_input_and_stores_nothing(model_dir, tmp_path,
                                                                      monkeypatch):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    assert runner.invoke(app, ["load", str(model_dir), "--db", db]).exit_code == 0
    with_source(model_dir, engine="spark", url_env="ED_SPARK_MASTER")
    monkeypatch.setenv("ED_SPARK_MASTER", "local[x]")
    result = runner.invoke(app, ["compute", "--model", str(model_dir), "--db", db])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps lines
    assert "ED_SPARK_MASTER holds 'local[x]', not a Spark master URL" in said
    assert "Traceback" not in said
    listed = runner.invoke(app, ["batches", "--db", db, "--json"])
    assert json.loads(listed.stdout) == []


def test_an_unreachable_or_wrong_postgres_url_is_invalid(model_dir, monkeypatch):
    with_source(model_dir, engine="postgres", url_env="ED_PG_URL", table="ed.attendances",
                path="null")
    with pytest.raises(Invalid, match="set the environment variable ED_PG_URL"):
        compute_indicators(None, model_dir, ["attendances"], dry_run=True)
    monkeypatch.setenv("ED_PG_URL", "duckdb://ed.db")
    with pytest.raises(Invalid, match="ED_PG_URL holds 'duckdb://...', not a PostgreSQL URL"):
        compute_indicators(None, model_dir, ["attendances"], dry_run=True)
    monkeypatch.setenv("ED_PG_URL", "reader:secret@db.example/ed")
    with pytest.raises(Invalid, match="holds a value without a scheme") as info:
        compute_indicators(None, model_dir, ["attendances"], dry_run=True)
    assert "secret" not in str(info.value)
    monkeypatch.setenv("ED_PG_URL", f"postgresql://u:secret@127.0.0.1:{closed_port()}/ed")
    with pytest.raises(Invalid) as info:
        compute_indicators(None, model_dir, ["attendances"], dry_run=True)
    assert "cannot connect to PostgreSQL at the URL in ED_PG_URL" in str(info.value)
    assert "Connection refused" in str(info.value) and "secret" not in str(info.value)


def test_a_missing_or_empty_folder_is_named(model_dir):
    with_source(model_dir, path="extract/2024")
    with pytest.raises(Invalid, match="path: extract/2024 does not exist"):
        compute_indicators(None, model_dir, dry_run=True)
    (model_dir / "extract" / "2024").mkdir(parents=True)
    (model_dir / "extract" / "2024" / "notes.txt").write_text("not records")
    with pytest.raises(Invalid, match="no parquet files at extract/2024 "
                                      r"\(the folder holds none\)"):
        compute_indicators(None, model_dir, dry_run=True)
