"""The backup file: one zip holding a manifest and one JSON-lines file per table.

This module knows the format and nothing of databases: how a row is written as one line
(the canonical encoding its checksum is taken over), how a line is read back into a row,
and how a file is checked before anything is restored from it. ``store.backup`` reads and
writes the databases. The format is documented in docs/backup-format.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Table

from ..errors import Invalid, Problem

FORMAT = "stocktake-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# A column's kind in the file; each kind has one encoding (docs/backup-format.md).
_KINDS = ((Boolean, "bool"), (Integer, "int"), (Float, "float"), (DateTime, "datetime"),
          (Date, "date"), (JSON, "json"), (String, "text"))
# Floats JSON cannot hold, written as these strings (json.dumps would write NaN, not JSON).
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class DamagedBackup(Invalid):
    """A backup file that cannot be restored as it is: not a backup, damaged, truncated,
    or made for another schema. Nothing was written."""


def column_kind(column) -> str:
    """The kind of a table column in the file: int, float, text, bool, datetime, date, json."""
    for sql_type, kind in _KINDS:
        if isinstance(column.type, sql_type):
            return kind
    raise ValueError(f"no backup encoding for {column.table.name}.{column.name} "
                     f"({column.type})")  # a new column type: teach _KINDS first


@dataclass(frozen=True)
class TableEntry:
    """One table in the manifest: its file, its columns (name and kind, in order), how many
    rows and the SHA-256 of the file's bytes."""

    name: str
    columns: tuple[tuple[str, str], ...]
    rows: int
    sha256: str

    @property
    def file(self) -> str:
        return f"tables/{self.name}.jsonl"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file,
                "columns": [{"name": n, "kind": k} for n, k in self.columns],
                "rows": self.rows, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: where it came from and each table, in the order restored."""

    stocktake_version: str
    schema_revision: str
    engine: str  # the database it was taken from: sqlite or postgresql
    created_at: str  # ISO timestamp, UTC
    tables: tuple[TableEntry, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "stocktake_version": self.stocktake_version,
                "schema_revision": self.schema_revision, "engine": self.engine,
                "created_at": self.created_at, "tables": [t.to_dict() for t in self.tables]}


def table_columns(table: Table) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, column_kind(c)) for c in table.columns)


# -- one row, one line ---------------------------------------------------------------------

def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "float" and not math.isfinite(value):
        return next(text for text, v in _NON_FINITE.items()
                    if (math.isnan(v) and math.isnan(value)) or v == value)
    if kind == "datetime":
        return value.isoformat(timespec="microseconds")
    if kind == "date":
        return value.isoformat()
    if kind == "float":
        return float(value)
    return value


def row_encoder(kinds: tuple[str, ...]) -> Callable[[Sequence[Any]], bytes]:
    """The canonical line of a row of these column kinds: a compact JSON array in column
    order, UTF-8, ending in a newline. The same values give the same bytes on either engine
    (the checksum's ground). Only the kinds JSON does not write as they are are converted."""
    convert = [(i, kind) for i, kind in enumerate(kinds) if kind in ("float", "datetime",
                                                                      "date")]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def encode(values: Sequence[Any]) -> bytes:
        row = list(values)
        if len(row) != len(kinds):
            raise ValueError(f"{len(row)} values for {len(kinds)} columns")
        for i, kind in convert:
            row[i] = _encode(row[i], kind)
        return dumps(row).encode() + b"\n"

    return encode


def _decode(value: Any, kind: str) -> Any:
    """A value of the file back into what the column takes; ValueError if it cannot be."""
    if value is None or kind == "json":
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float":
        if isinstance(value, str) and value in _NON_FINITE:
            return _NON_FINITE[value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    if (kind == "bool" and isinstance(value, bool)) or (kind == "text"
                                                         and isinstance(value, str)):
        return value
    if kind in ("datetime", "date") and isinstance(value, str):
        return datetime.fromisoformat(value) if kind == "datetime" else date.fromisoformat(value)
    raise ValueError(f"{json.dumps(value)[:40]} is not a {kind}")


def decode_line(line: bytes, names: tuple[str, ...], kinds: tuple[str, ...],
                nullable: tuple[bool, ...]) -> dict[str, Any]:
    """One line of a table file as the row to insert; ValueError saying what is wrong."""
    try:
        row = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JSON line ({exc})") from None
    if not isinstance(row, list) or len(row) != len(names):
        raise ValueError(f"not a list of {len(names)} values")
    out = {}
    for value, name, kind, may_be_null in zip(row, names, kinds, nullable, strict=True):
        if value is None and not may_be_null:
            raise ValueError(f"{name}: empty, but the column requires a value")
        try:
            out[name] = _decode(value, kind)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return out


# -- reading a file ------------------------------------------------------------------------

def open_backup(path: Path) -> tuple[zipfile.ZipFile, Manifest]:
    """The zip and its manifest, or DamagedBackup saying why the file is not a backup."""
    if not path.is_file():
        raise DamagedBackup(Problem("no such file", str(path)))
    try:
        archive = zipfile.ZipFile(path)
        text = archive.read(MANIFEST)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DamagedBackup(Problem(f"not a stocktake backup, or damaged or truncated "
                                    f"({exc})", str(path))) from None
    except KeyError:
        raise DamagedBackup(Problem(f"not a stocktake backup: it holds no {MANIFEST}",
                                    str(path))) from None
    try:
        return archive, _manifest(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        archive.close()
        raise DamagedBackup(Problem(f"the manifest cannot be read ({exc})",
                                    f"{path}:{MANIFEST}")) from None


def _manifest(doc: dict[str, Any]) -> Manifest:
    if doc.get("format") != FORMAT:
        raise ValueError(f"format is {doc.get('format')!r}, not {FORMAT!r}")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"format version {doc.get('format_version')!r}: this stocktake reads "
                         f"version {FORMAT_VERSION}")
    tables = tuple(TableEntry(str(t["name"]),
                              tuple((str(c["name"]), str(c["kind"])) for c in t["columns"]),
                              int(t["rows"]), str(t["sha256"]))
                   for t in doc["tables"])
    return Manifest(str(doc["stocktake_version"]), str(doc["schema_revision"]),
                    str(doc["engine"]), str(doc["created_at"]), tables)


def table_lines(archive: zipfile.ZipFile, entry: TableEntry) -> Iterator[bytes]:
    """The lines of a table's file (zipfile checks each member's CRC as it ends)."""
    with archive.open(entry.file) as member:
        yield from member


def check_tables(archive: zipfile.ZipFile, manifest: Manifest,
                 expected: dict[str, tuple[tuple[str, str], ...]], source: str,
                 progress=None) -> None:
    """Every table the schema has, with its columns, each file's row count and SHA-256 as the
    manifest says; else DamagedBackup listing every problem, each with where it is."""
    problems: list[Problem] = []
    found = {t.name: t for t in manifest.tables}
    for name in sorted(set(expected) - set(found)):
        problems.append(Problem(f"table {name} is missing", f"{source}:{MANIFEST}"))
    for name in sorted(set(found) - set(expected)):
        problems.append(Problem(f"table {name} is not in this stocktake's schema",
                                f"{source}:{MANIFEST}"))
    for entry in manifest.tables:
        if entry.name not in expected:
            continue
        where = f"{source}:{entry.file}"
        if entry.columns != expected[entry.name]:
            problems.append(Problem(
                f"columns {_names(entry.columns)} differ from the schema's "
                f"{_names(expected[entry.name])}", where))
            continue
        try:
            rows, digest = _count_and_hash(table_lines(archive, entry), progress, entry)
        except KeyError:
            problems.append(Problem("the file is missing", where))
            continue
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            problems.append(Problem(f"damaged or truncated ({exc})", where))
            continue
        if rows != entry.rows:
            problems.append(Problem(f"{rows} rows, the manifest says {entry.rows}", where))
        elif digest != entry.sha256:
            problems.append(Problem("its SHA-256 differs from the manifest's: the file was "
                                    "changed or damaged", where))
    if problems:
        raise DamagedBackup(problems)


def _names(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{n} ({k})" for n, k in columns)


def _count_and_hash(lines, progress, entry: TableEntry) -> tuple[int, str]:
    digest, rows = hashlib.sha256(), 0
    for line in lines:
        digest.update(line)
        rows += 1
        if progress and rows % 100_000 == 0:
            progress(f"Checking {entry.name}", rows, entry.rows)
    return rows, digest.hexdigest()


class TableWriter:
    """Writes one table's lines into the zip, counting them and hashing them as it goes."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.name = name
        self.rows = 0
        self._digest = hashlib.sha256()
        self._member: IO[bytes] = archive.open(f"tables/{name}.jsonl", "w", force_zip64=True)

    def write(self, line: bytes) -> None:
        self._member.write(line)
        self._digest.update(line)
        self.rows += 1

    def close(self) -> str:
        self._member.close()
        return self._digest.hexdigest()
