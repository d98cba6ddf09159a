"""Data-quality scores per reporting unit, pure (frames in, frames out).

For each unit (and, rolled up, each unit with everything below it): completeness,
timeliness, validity, revisions and outliers, and a score of 100 x their weighted mean
(``WEIGHTS``), leaving out what cannot be measured. Timeliness is not assessed for values
whose first vintage was history loaded after the fact (a backfill): they were not late,
nor on time; nor for values with no deadline (``due`` null: no data set declares one).
Each measure defined: docs/methods/quality.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from .wording import Sentence

WEIGHTS = {"completeness": 0.30, "timeliness": 0.25, "validity": 0.20,
           "stability": 0.10, "plausibility": 0.15}
FORMULA = ("score = 100 x (0.30 completeness + 0.25 timeliness + 0.20 validity "
           "+ 0.10 (1 - revision rate) + 0.15 (1 - outlier rate)), over the components "
           "that can be measured, weights rescaled to sum to 1")



def timeliness_rule(deadlines: Mapping[str, int]) -> Sentence:
    """Which deadline timeliness is judged by, in words: the days after the period's end
    each data set (code: days) declares; none declared, not assessed (no deadline is
    assumed: one that fits monthly returns would score yearly statistics 0% on time)."""
    if not deadlines:
        return Sentence("Timeliness is not assessed: no data set declares a deadline, and "
                        "none is assumed.")
    if len(set(deadlines.values())) == 1:
        return Sentence("On time: first reported within %(days)s days of the period's end, "
                        "the deadline the data sets declare.",
                        days=next(iter(deadlines.values())))
    return Sentence("On time: first reported by each data set's deadline, in days after the "
                    "period's end (%(deadlines)s).",
                    deadlines=", ".join(f"{code} {days}" for code, days in deadlines.items()))


EXPECTED = {"unit": pl.String, "indicator": pl.String, "period": pl.String,
            "due": pl.Datetime("us"), "bucket": pl.String}
RECEIVED = {"unit": pl.String, "indicator": pl.String, "period": pl.String,
            "first_recorded": pl.Datetime("us"), "vintages": pl.Int64,
            "first_value": pl.Float64, "last_value": pl.Float64, "outlier": pl.Boolean,
            "backfilled": pl.Boolean}
RULE_CHECKS = {"unit": pl.String, "period": pl.String, "checked": pl.Int64,
               "failed": pl.Int64}


def _ancestry(parents: Mapping[str, str | None]) -> pl.DataFrame:
    """(unit, owner) for each unit and every unit above it, itself included."""
    pairs = []
    for unit in parents:
        node: str | None = unit
        while node is not None:
            pairs.append((unit, node))
            node = parents.get(node)
    return pl.DataFrame(pairs, schema={"unit": pl.String, "owner": pl.String}, orient="row")


def quality_scores(expected: pl.DataFrame, received: pl.DataFrame, rule_checks: pl.DataFrame,
                   parents: Mapping[str, str | None], *, by: tuple[str, ...] = ()
                   ) -> pl.DataFrame:
    """One row per unit (per ``by`` group, e.g. ("bucket",) for a trend) with its counts,
    rates and score, each unit covering itself and every unit below it.

    ``expected``: unit, indicator, period, due (deadline), bucket (any grouping label).
    ``received``: the received values among the expected keys, with their first vintage
    time, number of vintages, first and last value, whether flagged as an outlier, and
    (optionally) whether the first vintage was backfilled: then its timeliness is not
    assessed, and it leaves the denominator of timeliness.
    ``rule_checks``: per unit and period, rule checks made and failed.
    """
    ancestry = _ancestry(parents)
    keys = ["unit", "indicator", "period"]
    if "backfilled" not in received.columns:
        received = received.with_columns(backfilled=pl.lit(False))
    values = (expected.join(received, on=keys, how="left")
              .with_columns(
                  got=pl.col("vintages").is_not_null(),
                  not_assessed=pl.col("backfilled").fill_null(False)
                  | pl.col("due").is_null(),
                  on_time=((pl.col("first_recorded") <= pl.col("due"))
                           & ~pl.col("backfilled")).fill_null(False),
                  revised=(pl.col("vintages") > 1).fill_null(False),
                  revision_size=pl.when(pl.col("vintages") > 1).then(
                      (pl.col("last_value") - pl.col("first_value")).abs()
                      / pl.col("first_value").abs().clip(lower_bound=1e-12)),
                  outlier=pl.col("outlier").fill_null(False)))
    group = ["owner", *by]
    counts = (values.join(ancestry, on="unit").group_by(group)
              .agg(expected=pl.len(), received=pl.col("got").sum(),
                   on_time=pl.col("on_time").sum(),
                   not_assessed=pl.col("not_assessed").sum(), revised=pl.col("revised").sum(),
                   outliers=(pl.col("outlier") & pl.col("got")).sum()))
    # The counts are integers, exact in any order. The mean revision size is a float sum:
    # its rows (the revised few) are sorted first, since a join's row order varies between
    # runs and with it the last digit of a sum taken in that order.
    sizes = (values.filter(pl.col("revised")).join(ancestry, on="unit")
             .sort([*group, *keys]).group_by(group, maintain_order=True)
             .agg(mean_revision_size=pl.col("revision_size").mean()))
    counts = counts.join(sizes, on=group, how="left").select(
        *group, "expected", "received", "on_time", "not_assessed", "revised",
        "mean_revision_size", "outliers")
    checks = rule_checks
    if by:
        buckets = expected.select("unit", "period", *by).unique()
        checks = rule_checks.join(buckets, on=["unit", "period"])
    rules = (checks.join(ancestry, on="unit").group_by(group)
             .agg(rule_checks=pl.col("checked").sum(), rule_failures=pl.col("failed").sum()))
    out = (counts.join(rules, on=group, how="left")
           .with_columns(pl.col("rule_checks").fill_null(0), pl.col("rule_failures").fill_null(0))
           .with_columns(
               completeness=pl.col("received") / pl.col("expected"),
               timeliness=pl.when(pl.col("expected") > pl.col("not_assessed")).then(
                   pl.col("on_time") / (pl.col("expected") - pl.col("not_assessed"))),
               validity=pl.when(pl.col("rule_checks") > 0).then(
                   1 - pl.col("rule_failures") / pl.col("rule_checks")),
               revision_rate=pl.when(pl.col("received") > 0).then(
                   pl.col("revised") / pl.col("received")),
               outlier_rate=pl.when(pl.col("received") > 0).then(
                   pl.col("outliers") / pl.col("received"))))
    parts = {"completeness": pl.col("completeness"), "timeliness": pl.col("timeliness"),
             "validity": pl.col("validity"), "stability": 1 - pl.col("revision_rate"),
             "plausibility": 1 - pl.col("outlier_rate")}
    weighted = pl.sum_horizontal([(e * WEIGHTS[k]).fill_null(0) for k, e in parts.items()])
    weight = pl.sum_horizontal([pl.when(e.is_not_null()).then(WEIGHTS[k]).otherwise(0.0)
                                for k, e in parts.items()])
    # clipped: weights summing to 1 in decimal can make 100.00000000000001 in binary for a
    # perfect unit, which a reader (and a check of 0 to 100) would trip over
    return (out.with_columns(score=(100 * weighted / weight).clip(0.0, 100.0))
            .rename({"owner": "unit"})
            .sort([*by, "score", "unit"], descending=[False] * len(by) + [True, False]))
