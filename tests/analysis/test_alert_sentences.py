"""What an alert's sentence says, as a reader meets it on real data: the unit's own two levels
said as its own ("its own figure went from 214 to 185 a year", not "(214 to 185 a period)"
beside a change against the peers that may go the other way), per period of the series'
type, an indicator's name that reads whatever its number ("Victoria's figure for prisoners
held on remand is 25% lower"), shares to one decimal, and "et 1 autre" in French."""

from __future__ import annotations

import numpy as np
import pytest

from stocktake.analysis import alerts as aa
from stocktake.analysis.wording import Named
from stocktake.reports.said import language

FR = language("fr")
NB = "\u00a0"
REMAND = {"remand": "prisoners held on remand"}


def _periods(kind: str, n: int) -> list[str]:
    if kind == "year":
        return [str(2000 + i) for i in range(n)]
    if kind == "quarter":
        return [f"{2000 + i // 4}-Q{i % 4 + 1}" for i in range(n)]
    return [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def _panel_with_a_drop(n: int, at: int) -> np.ndarray:
    """Five units rising together by 30% with 1% noise; the first drops 25% at ``at``."""
    rng = np.random.default_rng(1)
    base = np.array([200, 300, 250, 400, 350.0])
    y = base[:, None] * np.linspace(1, 1.3, n)[None, :] * (1 + 0.01 * rng.standard_normal((5, n)))
    y[0, at:] *= 0.75
    return y


@pytest.mark.parametrize(("kind", "n", "per", "per_fr"), [
    ("year", 16, "a year", "par an"), ("quarter", 16, "a quarter", "par trimestre"),
    ("month", 24, "a month", "par mois")])
def test_a_local_break_says_the_units_own_levels_per_period_of_its_type(kind, n, per, per_fr):
    y = _panel_with_a_drop(n, n // 2)
    periods = _periods(kind, n)
    [alert] = [a for a in aa.local_break_alerts(list("ABCDE"), y, periods, indicator="remand",
                                                words=REMAND, names={"A": "Victoria"})
               if a.unit == "A"]
    # worked out here: the unit's own means either side of the break, and its log value
    # against the other units' median, before and after
    before, after = y[0, :n // 2].mean(), y[0, n // 2:].mean()
    z = np.log(y[0]) - np.median(np.log(y[1:]), axis=0)
    drop = 1 - np.exp(z[n // 2:].mean() - z[:n // 2].mean())
    assert alert.start == periods[n // 2]
    own = f"its own figure went from {before:.0f} to {after:.0f} {per}"
    assert alert.explanation.startswith(
        f"from {periods[n // 2]} Victoria's figure for prisoners held on remand is "
        f"{drop * 100:.0f}% lower against its peers, a break within 2 periods ({own}); ")
    french = alert.explanation.said(FR)
    assert (f"pour Victoria, l’indicateur « prisoners held on remand » est de {drop * 100:.0f}"
            f"{NB}% plus bas") in french
    assert f"(son propre chiffre est passé de {before:.0f} à {after:.0f} {per_fr})" in french


def test_a_counter_alert_gives_shares_to_one_decimal():
    rng = np.random.default_rng(7)
    n = 48
    months = _periods("month", n)
    completions = 1000 * (1 + 0.02 * rng.standard_normal(n))
    completions[24:] *= 1.4
    share = 12.84 * (1 + 0.02 * rng.standard_normal(n))
    share[24:] *= 0.63
    [alert] = aa.counter_alerts(
        "AB", completions, share, months, indicators=("completions", "affordable"),
        headline_polarity="up", counter_polarity="up", percent={"affordable"},
        words={"completions": "housing completions", "affordable": "affordable share"},
        name="Alberta")
    # the share's means either side of 2022-01 are 12.839... and 8.112...: 4.727 points
    assert (share[:24].mean().round(1), share[24:].mean().round(1)) == (12.8, 8.1)
    assert ("while its counter affordable share worsened (12.8% to 8.1%, 4.7 points): check "
            "that the improvement is real") in alert.explanation
    assert f"(12,8{NB}% à 8,1{NB}%, 4,7 points)" in alert.explanation.said(FR)


def test_shares_keep_a_second_decimal_only_where_one_would_write_them_alike():
    assert aa._percent_places(12.84, 8.09) == 1
    assert aa._percent_places(3.24, 3.88) == 1
    assert aa._percent_places(3.24, 3.21) == 2  # 3.2% to 3.2% would say no change
    assert aa._percent_places(12.0, 8.0) == 0  # whole shares stay whole


def test_one_more_peer_is_singular_in_french():
    changed = [Named("unit", c, name) for c, name in
               (("BC", "British Columbia"), ("MB", "Manitoba"), ("ON", "Ontario"),
                ("QC", "Quebec"), ("NS", "Nova Scotia"))]
    one, two = aa._others(changed[:4], "province"), aa._others(changed, "province")
    assert one == ("4 other provinces changed the same way (British Columbia, Manitoba, "
                   "Ontario and 1 more)")
    assert two.endswith("(British Columbia, Manitoba, Ontario and 2 more)")
    assert one.said(FR).endswith("(British Columbia, Manitoba, Ontario et 1 autre)")
    assert two.said(FR).endswith("(British Columbia, Manitoba, Ontario et 2 autres)")
