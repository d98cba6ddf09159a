"""Findings: what is wrong with a submission, where, and what would be accepted."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    row: int | None  # the file's row number, header = 1 (as a spreadsheet shows it)
    column: str | None
    value: Any
    check: str  # e.g. "unknown_indicator", "period_format"
    severity: str  # "error" | "warning"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        col = f", column '{self.column}'" if self.column else ""
        return f"{where}{col}: {self.message} [{self.check}]"


class SubmissionError(Exception):
    """A file that cannot be read at all (missing, wrong encoding, wrong header)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("; ".join(str(f) for f in findings))
