"""What an XmR chart of a few points can tell (docs/methods/spc.md, "Too few points to
judge"): on independent normal noise, how far the limits' sigma (AmR / 1.128) strays from
the true 1, how often a point is outside the limits by chance, and how often a last point
3 sigma above the level is flagged at all (by any rule), for 3 to 24 points.

    PYTHONPATH=src python benchmarks/spc_short.py [--rows 20000]
"""

from __future__ import annotations

import argparse

import numpy as np

from stocktake.analysis.spc import RULES, xmr_many

D2 = 1.128  # mean moving range of unit normal noise
OUTSIDE = RULES.index("outside")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| points | sigma of the limits, 10th-90th pct | a point outside by chance "
          "| a last point +3 sigma flagged |")
    print("| --- | --- | --- | --- |")
    for n in (3, 4, 5, 6, 7, 12, 24):
        noise = rng.normal(size=(args.rows, n))
        quiet = xmr_many(noise)
        low, high = np.percentile(quiet.amr[:, 0] / D2, [10, 90])
        chance = (quiet.rule == OUTSIDE).any(axis=1).mean()
        step = noise.copy()
        step[:, -1] += 3
        found = (xmr_many(step, polarity="up").rule[:, -1] > 0).mean()
        print(f"| {n} | {low:.2f} to {high:.2f} | {chance:.1%} | {found:.1%} |")


if __name__ == "__main__":
    main()
