"""Write a simulated national emergency-department extract for stocktake compute: one
record per attendance at the twelve hospitals of model/units.csv in 2024, as Parquet files
partitioned by month (records/month=2024-01/attendances.parquet, ...), beside this file.

    python examples/emergency/generate.py                  # 200,000 attendances
    python examples/emergency/generate.py --rows 2000000   # more, the same way

Simulated, not real: the same seed and number of rows give the same records on every
machine. Each record has the hospital's provider code, the arrival time, the minutes from
arrival to leaving the department (the four-hour standard counts these), the type of
department (major or minor) and whether the patient was admitted. The hospitals differ in
size and in how long they keep patients, and every winter is worse: a region's share within
four hours is then not the mean of its hospitals' shares.

Needs only NumPy and PyArrow (no stocktake)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent

# Provider code: (share of the nation's attendances, median minutes in the department).
HOSPITALS = {
    "NTH01": (0.14, 150), "NTH02": (0.05, 120), "NTH03": (0.06, 200),
    "MID01": (0.12, 170), "MID02": (0.07, 140), "MID03": (0.05, 230),
    "LDN01": (0.15, 160), "LDN02": (0.10, 190), "LDN03": (0.04, 110),
    "STH01": (0.09, 130), "STH02": (0.08, 180), "STH03": (0.05, 210),
}
WINTER = {1: 1.25, 2: 1.15, 12: 1.2}  # longer waits in the winter months
YEAR = 2024


def attendances(rows: int, seed: int) -> pa.Table:
    """``rows`` attendances in YEAR, drawn with ``seed``, ordered by arrival."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(HOSPITALS))
    share = np.array([s for s, _ in HOSPITALS.values()])
    median = np.array([m for _, m in HOSPITALS.values()], dtype=float)
    which = rng.choice(len(codes), size=rows, p=share / share.sum())
    start = np.datetime64(f"{YEAR}-01-01T00:00", "m")
    minutes_in_year = int((np.datetime64(f"{YEAR + 1}-01-01T00:00", "m") - start)
                          .astype(int))
    arrival = start + np.sort(rng.integers(0, minutes_in_year, size=rows)).astype(
        "timedelta64[m]")
    month = arrival.astype("datetime64[M]").astype(int) % 12 + 1
    season = np.vectorize(lambda m: WINTER.get(m, 1.0))(month)
    major = rng.random(rows) < 0.7
    typical = median[which] * season * np.where(major, 1.0, 0.6)
    minutes = np.clip(np.rint(typical * rng.lognormal(0.0, 0.55, size=rows)), 5, 2880)
    admitted = major & (rng.random(rows) < 0.35)
    return pa.table({
        "provider": pa.array(codes[which]),
        "arrival": pa.array(arrival.astype("datetime64[us]")),
        "minutes": pa.array(minutes.astype(np.int64)),
        "department": pa.array(np.where(major, "major", "minor")),
        "admitted": pa.array(admitted),
    })


def write(table: pa.Table, out: Path) -> list[Path]:
    """One Parquet file per month, in month=YYYY-MM folders (the old ones replaced)."""
    if out.exists():
        shutil.rmtree(out)
    months = table["arrival"].to_numpy().astype("datetime64[M]")
    files = []
    for m in np.unique(months):
        folder = out / f"month={m}"
        folder.mkdir(parents=True)
        files.append(folder / "attendances.parquet")
        pq.write_table(table.filter(pa.array(months == m)), files[-1])
    return files


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000,
                        help="how many attendances (default 200,000)")
    parser.add_argument("--seed", type=int, default=19, help="the random seed (default 19)")
    parser.add_argument("--out", type=Path, default=HERE / "records",
                        help="the folder to write (default: records/ beside this file)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    files = write(attendances(args.rows, args.seed), args.out)
    print(f"Wrote {args.rows:,} attendances in {len(files)} monthly files to {args.out.name}/")
    return files


if __name__ == "__main__":
    main()
