"""The result cache: a value is computed once per data version, and any new batch, model
load, plan or stocktake makes it be computed again (on SQLite and PostgreSQL)."""

import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.plans import load_plan
from stocktake.web.cache import ResultCache

PLAN = Path(__file__).parents[2] / "examples" / "delivery" / "plan.yaml"


def test_computed_once_per_version_and_again_after_any_change(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    cache = ResultCache(engine)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1 and cache.get("k", compute) == 1
    assert cache.get("other", compute) == 2  # another key, its own value
    submit_rows(engine, [("incidents", "A1", "2024-01", 30)], submitter="t",
                now=datetime(2024, 2, 5))
    assert cache.get("k", compute) == 3  # a new batch: computed again
    assert cache.get("k", compute) == 3
    load_plan(engine, "P1", PLAN, author="DU", reason="", at=datetime(2024, 3, 1))
    assert cache.get("k", compute) == 4  # a new plan version too
    priorities = small_model_dir / "priorities.yaml"
    priorities.write_text(priorities.read_text().replace("Cut violent crime", "Cut crime"))
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 3, 2))
    assert cache.get("k", compute) == 5  # and a changed model


def test_callers_at_the_same_time_wait_for_one_computation(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    cache = ResultCache(engine)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "value"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["value"] * 8 and len(calls) == 1


def test_a_failure_is_not_kept(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    cache = ResultCache(engine)
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first time")
        return "ok"

    with pytest.raises(ValueError, match="first time"):
        cache.get("k", flaky)
    assert cache.get("k", flaky) == "ok" and len(attempts) == 2
