"""Write data/history.csv: six years of made-up monthly returns for the guide's world.

Toronto and Ottawa report violent incidents, their population, two lead indicators and a
counter indicator every month from January 2019 to February 2025. The figures are
simulated (a slow fall with a summer peak and some noise), not real statistics; the same
seed always writes the same file, which is committed:  python make_history.py
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
# unit: (population in January 2019, violent incidents in an average month of 2019)
UNITS = {"ON-TOR": (2731571, 1650), "ON-OTT": (994837, 470)}
FIRST_YEAR, LAST = 2019, (2025, 2)


def months() -> list[tuple[int, int]]:
    return [(y, m) for y in range(FIRST_YEAR, LAST[0] + 1) for m in range(1, 13)
            if (y, m) <= LAST]


def rows(seed: int = 2019) -> list[list[str]]:
    rng = random.Random(seed)
    out = [["indicator", "unit", "period", "value"]]
    for unit, (population0, incidents0) in UNITS.items():
        for i, (y, m) in enumerate(months()):
            period = f"{y}-{m:02d}"
            population = round(population0 * 1.001 ** i)  # about 1.2% a year
            season = 1 + 0.08 * math.sin(2 * math.pi * (m - 4) / 12)  # a summer peak
            trend = 0.9975 ** i  # about 3% fewer each year
            incidents = round(incidents0 * season * trend * rng.gauss(1, 0.03))
            patrol = round(incidents0 * 12 * (1 + 0.004 * i) * rng.gauss(1, 0.02))
            referrals = round(incidents * 0.08 * (1 + 0.005 * i) * rng.gauss(1, 0.05))
            unreported = round(48 - 0.05 * i + rng.gauss(0, 1.5), 1)
            for code, value in (("violent_incidents", incidents), ("population", population),
                                ("police_visibility_hours", patrol),
                                ("repeat_victim_referrals", referrals),
                                ("unreported_crime_share", unreported)):
                out.append([code, unit, period, str(value)])
    return out


if __name__ == "__main__":
    with (HERE / "data" / "history.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows())
