"""Comparing units fairly: funnel plots (Spiegelhalter, Statistics in Medicine 2005).

Each unit's rate is set against control limits around the overall (pooled) rate that narrow
as its denominator grows, instead of a bare ranking that punishes small units for noise;
over-dispersion (more spread between units than chance gives) widens the limits,
multiplicatively or additively.

The method as implemented (standard errors, limits, over-dispersion): docs/methods/funnel.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from stocktake.errors import Invalid

from ..text import Number
from .wording import A_, Sentence

Kind = Literal["proportion", "rate"]
DispersionModel = Literal["multiplicative", "additive"]

Z95 = 1.959964  # two-sided 95%
Z998 = 3.090232  # two-sided 99.8%
LEVELS: dict[str, float] = {"95": Z95, "99.8": Z998}
WINSOR_FRACTION = 0.1
MIN_UNITS_TO_WINSORISE = 10
DISPERSION_TEST_ALPHA = 0.05


# How the limits are drawn, one message per kind (the alerts catalogue: analysis/locale).
_METHODS = {
    "proportion": A_("Spiegelhalter (2005) funnel plot for a proportion: pooled rate p0 = "
                     "sum(y)/sum(n); limits p0 +/- z sqrt(p0(1-p0)/n) (normal approximation)"),
    "rate": A_("Spiegelhalter (2005) funnel plot for a rate: pooled rate p0 = sum(y)/sum(n); "
               "limits p0 +/- z sqrt(p0/n) (normal approximation)")}


def _four_figures(value: float) -> Number:
    """Up to four significant figures (.4g in English: 581.6, 4141; 581,6 in French)."""
    return Number(value, f"{value:.4g}", "@###")


@dataclass(eq=False)
class FunnelResult:
    """A funnel comparison: per-unit arrays in the order of ``units``, and the method."""

    units: tuple[str, ...]
    kind: str
    scale: float
    p0: float  # the pooled rate, unscaled (events per unit of denominator)
    numerators: np.ndarray
    denominators: np.ndarray
    values: np.ndarray  # scale * y / n
    se: np.ndarray  # null standard error at p0, unscaled
    z: np.ndarray  # unadjusted z-scores
    z_adjusted: np.ndarray  # after the over-dispersion adjustment (= z when not applied)
    spread: np.ndarray  # the standard error the limits use (= se unless adjusted), unscaled
    limits: dict[str, tuple[np.ndarray, np.ndarray]]  # "95"/"99.8" -> (lower, upper), scaled
    outside: dict[str, np.ndarray]  # "95"/"99.8" -> int8: +1 above, -1 below, 0 inside
    phi: float  # over-dispersion factor (Winsorised when N >= 10)
    winsorised: bool
    dispersion_statistic: float  # N * phi
    dispersion_p_value: float  # chi-square, N - 1 degrees of freedom
    overdispersed: bool  # the test rejects at 5%
    overdispersion_applied: bool
    dispersion_model: str
    tau2: float  # additive between-unit variance (0 unless the additive model is applied)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def overall(self) -> float:
        """The pooled rate, scaled."""
        return self.p0 * self.scale

    @property
    def method(self) -> str:
        """How the limits are drawn, in one Sentence (said again in a page's language)."""
        text = Sentence(_METHODS[self.kind])
        if not self.overdispersion_applied:
            return text
        more = (Sentence(", inflated by sqrt(phi), phi = %(phi)s", phi=_four_figures(self.phi))
                if self.dispersion_model == "multiplicative" else
                Sentence(", with additive between-unit variance tau^2 = %(tau2)s",
                         tau2=_four_figures(self.tau2)))
        return Sentence("%(text)s%(more)s", text=text, more=more)

    def flagged(self, level: str = "99.8") -> dict[str, list[str]]:
        """Units above and below the limits at ``level`` ("95" or "99.8")."""
        side = self.outside[_level(level)]
        return {"above": [u for u, s in zip(self.units, side, strict=True) if s > 0],
                "below": [u for u, s in zip(self.units, side, strict=True) if s < 0]}

    def curve(self, n_grid: Sequence[float] | np.ndarray | None = None,
              points: int = 200) -> dict[str, np.ndarray]:
        """The limits drawn over denominators (by default spanning the units' own)."""
        if n_grid is None:
            lo, hi = float(self.denominators.min()), float(self.denominators.max())
            n_grid = np.geomspace(lo / 2, hi * 2, points)
        multiplicative = self.overdispersion_applied and self.dispersion_model == "multiplicative"
        phi = self.phi if multiplicative else 1.0
        tau2 = self.tau2 if self.overdispersion_applied else 0.0
        return limits_curve(self.p0, n_grid, kind=self.kind, scale=self.scale,  # type: ignore
                            phi=phi, tau2=tau2)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for i, unit in enumerate(self.units):
            row: dict[str, Any] = {
                "unit": unit,
                "numerator": float(self.numerators[i]),
                "denominator": float(self.denominators[i]),
                "value": float(self.values[i]),
                "z": float(self.z[i]),
                "z_adjusted": float(self.z_adjusted[i]),
            }
            for name, (lower, upper) in self.limits.items():
                row[f"lower_{name}"] = float(lower[i])
                row[f"upper_{name}"] = float(upper[i])
                row[f"outside_{name}"] = _SIDE[int(self.outside[name][i])]
            rows.append(row)
        return {
            "method": self.method,
            "parameters": dict(self.parameters),
            "kind": self.kind,
            "scale": self.scale,
            "overall": self.overall,
            "phi": self.phi,
            "winsorised": self.winsorised,
            "dispersion_test": {"statistic": self.dispersion_statistic,
                                "df": len(self.units) - 1,
                                "p_value": self.dispersion_p_value,
                                "overdispersed": self.overdispersed},
            "overdispersion_applied": self.overdispersion_applied,
            "dispersion_model": self.dispersion_model,
            "tau2": self.tau2,
            "units": rows,
        }


_SIDE = {1: "above", -1: "below", 0: "inside"}


def _level(level: str | float) -> str:
    """Accept "95", "95%", 95, 0.95 (and the same for 99.8)."""
    try:
        number = float(str(level).strip().rstrip("%"))
    except ValueError:
        number = float("nan")
    key = {95.0: "95", 0.95: "95", 99.8: "99.8", 0.998: "99.8"}.get(number)
    if key is None:
        raise Invalid(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return key


def _check_kind(kind: str) -> None:
    if kind not in ("proportion", "rate"):
        raise Invalid(f"kind must be 'proportion' or 'rate', not {kind!r}")


def null_se(p0: float, n: np.ndarray, kind: Kind) -> np.ndarray:
    """The standard error of y/n under the overall rate p0 (normal approximation)."""
    _check_kind(kind)
    n = np.asarray(n, dtype=np.float64)
    var = p0 * (1.0 - p0) if kind == "proportion" else p0
    return np.sqrt(var / n)


def _clip(kind: str, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lower = np.maximum(lower, 0.0)
    if kind == "proportion":
        upper = np.minimum(upper, 1.0)
    return lower, upper


def funnel(units: Sequence[str], numerators: Sequence[float] | np.ndarray,
           denominators: Sequence[float] | np.ndarray, *, kind: Kind, scale: float = 1.0,
           overdispersion: bool | Literal["auto"] = "auto",
           dispersion_model: DispersionModel = "multiplicative",
           winsor_fraction: float = WINSOR_FRACTION) -> FunnelResult:
    """Set each unit's rate against funnel limits around the pooled rate (see module doc).

    ``winsor_fraction`` (default 0.1) is the share of z-scores pulled in at each end before
    ``phi`` is estimated, when there are at least 10 units; 0 turns Winsorising off.
    """
    _check_kind(kind)
    if overdispersion not in (True, False, "auto"):
        raise Invalid(f"overdispersion must be True, False or 'auto', not {overdispersion!r}")
    if dispersion_model not in ("multiplicative", "additive"):
        raise Invalid("dispersion_model must be 'multiplicative' or 'additive', not "
                      f"{dispersion_model!r}")
    if not 0 <= winsor_fraction < 0.5:
        raise Invalid(f"winsor_fraction must be in [0, 0.5), not {winsor_fraction!r}")
    if isinstance(scale, bool) or not np.isfinite(scale) or scale <= 0:
        raise Invalid(f"scale must be a positive number, not {scale!r}")
    codes = tuple(str(u) for u in units)
    y = _numbers(numerators, "numerators")
    n = _numbers(denominators, "denominators")
    if not (len(codes) == len(y) == len(n)):
        raise ValueError(f"units, numerators and denominators differ in length: {len(codes)}, "
                         f"{len(y)}, {len(n)}")
    if len(codes) < 2:
        raise Invalid("a funnel plot compares at least 2 units")
    seen: set[str] = set()
    for u in codes:
        if u in seen:
            raise ValueError(f"unit '{u}' appears more than once")
        seen.add(u)
    for i, u in enumerate(codes):
        if not np.isfinite(n[i]) or n[i] <= 0:
            raise Invalid(f"unit '{u}': denominator {n[i]} must be a positive number")
        if not np.isfinite(y[i]) or y[i] < 0:
            raise Invalid(f"unit '{u}': numerator {y[i]} must be a non-negative number")
        if kind == "proportion" and y[i] > n[i]:
            raise Invalid(f"unit '{u}': numerator {y[i]} exceeds its denominator {n[i]}, "
                          "impossible for a proportion")
    p0 = float(y.sum() / n.sum())
    if p0 == 0 or (kind == "proportion" and p0 == 1):
        raise Invalid(f"the overall {kind} is {p0:g}: every unit is at the boundary, so "
                      "there is no variation to draw limits from")

    se = null_se(p0, n, kind)
    p = y / n
    z = (p - p0) / se
    big = len(codes) >= MIN_UNITS_TO_WINSORISE and winsor_fraction > 0
    zw = np.clip(z, *np.quantile(z, [winsor_fraction, 1 - winsor_fraction])) if big else z
    phi = float(np.mean(zw ** 2))
    statistic = len(codes) * phi
    p_value = float(stats.chi2.sf(statistic, len(codes) - 1))
    overdispersed = bool(p_value < DISPERSION_TEST_ALPHA)
    apply = phi > 1 and (overdispersion is True or (overdispersion == "auto" and overdispersed))

    tau2 = 0.0
    if apply and dispersion_model == "additive":
        w = 1.0 / se ** 2
        tau2 = max(0.0, (statistic - (len(codes) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
        spread = np.sqrt(se ** 2 + tau2)
    elif apply:
        spread = se * np.sqrt(phi)
    else:
        spread = se
    z_adjusted = (p - p0) / spread

    limits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    outside: dict[str, np.ndarray] = {}
    for name, za in LEVELS.items():
        lower, upper = _clip(kind, p0 - za * spread, p0 + za * spread)
        limits[name] = (lower * scale, upper * scale)
        outside[name] = np.where(p > upper, 1, np.where(p < lower, -1, 0)).astype(np.int8)

    return FunnelResult(
        units=codes, kind=kind, scale=float(scale), p0=p0, numerators=y, denominators=n,
        values=p * scale, se=se, z=z, z_adjusted=z_adjusted, spread=spread, limits=limits,
        outside=outside,
        phi=phi, winsorised=big, dispersion_statistic=statistic, dispersion_p_value=p_value,
        overdispersed=overdispersed, overdispersion_applied=bool(apply),
        dispersion_model=dispersion_model, tau2=tau2,
        parameters={"kind": kind, "scale": float(scale), "overdispersion": overdispersion,
                    "dispersion_model": dispersion_model, "z": dict(LEVELS),
                    "winsor_fraction": winsor_fraction if big else 0.0,
                    "min_units_to_winsorise": MIN_UNITS_TO_WINSORISE,
                    "dispersion_test_alpha": DISPERSION_TEST_ALPHA,
                    "limits": "normal approximation"},
    )


def _numbers(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} are not numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a flat sequence, got shape {arr.shape}")
    return arr


def limits_curve(p0: float, n_grid: Sequence[float] | np.ndarray, *, kind: Kind,
                 scale: float = 1.0, phi: float = 1.0,
                 tau2: float = 0.0) -> dict[str, np.ndarray]:
    """Funnel limits over a grid of denominators, for drawing.

    ``p0`` is the unscaled pooled rate (``FunnelResult.p0``); ``phi`` inflates the variance
    multiplicatively, ``tau2`` adds between-unit variance. Returns ``n``, ``overall`` and
    ``lower_95``, ``upper_95``, ``lower_99.8``, ``upper_99.8``, all scaled.
    """
    _check_kind(kind)
    if not np.isfinite(p0) or p0 <= 0 or (kind == "proportion" and p0 >= 1):
        raise ValueError(f"p0 = {p0} is outside the open range a {kind} needs")
    if phi <= 0 or tau2 < 0:
        raise ValueError(f"phi must be positive and tau2 non-negative (got {phi}, {tau2})")
    grid = np.asarray(n_grid, dtype=np.float64)
    if grid.ndim != 1 or len(grid) == 0 or np.any(~np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError("n_grid must be a non-empty sequence of positive denominators")
    spread = np.sqrt(null_se(p0, grid, kind) ** 2 * phi + tau2)
    out = {"n": grid, "overall": np.full_like(grid, p0 * scale)}
    for name, za in LEVELS.items():
        lower, upper = _clip(kind, p0 - za * spread, p0 + za * spread)
        out[f"lower_{name}"] = lower * scale
        out[f"upper_{name}"] = upper * scale
    return out


@dataclass(frozen=True)
class LeagueRow:
    """One unit in a league table: its value with an interval, not a bare rank."""

    unit: str
    value: float
    denominator: float
    lower: float
    upper: float
    versus_overall: str  # "higher", "lower" or "not distinguishable"

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "value": self.value, "denominator": self.denominator,
                "lower": self.lower, "upper": self.upper, "versus_overall": self.versus_overall}


def league_table(result: FunnelResult, *, level: str = "95",
                 descending: bool = True) -> list[LeagueRow]:
    """Units sorted by value, each with an interval and whether it differs from the overall.

    The interval is the funnel band carried onto the unit: ``value +/- z_a * spread`` with the
    same (null, possibly over-dispersion-adjusted) spread as the funnel, clipped like the
    limits. It excludes the overall rate exactly when the unit lies outside the funnel at that
    level, so the table and the plot never disagree. Ties keep the input order.
    """
    key = _level(level)
    za = LEVELS[key]
    spread = result.spread
    p = result.numerators / result.denominators
    lower, upper = _clip(result.kind, p - za * spread, p + za * spread)
    order = sorted(range(len(result.units)), key=lambda i: -p[i] if descending else p[i])
    rows = []
    for i in order:
        side = int(result.outside[key][i])
        rows.append(LeagueRow(
            unit=result.units[i],
            value=float(result.values[i]),
            denominator=float(result.denominators[i]),
            lower=float(lower[i] * result.scale),
            upper=float(upper[i] * result.scale),
            versus_overall={1: "higher", -1: "lower", 0: "not distinguishable"}[side],
        ))
    return rows

