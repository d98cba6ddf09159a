"""Findings: what is wrong with a submission, where, and what would be accepted."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import N_, Invalid, Problem, Text


@dataclass(frozen=True)
class Finding:
    row: int | None  # the file's row number, header = 1 (as a spreadsheet shows it)
    column: str | None
    value: Any
    check: str  # e.g. "unknown_indicator", "period_format"
    severity: str  # "error" | "warning"
    message: str  # an errors.Text where a page may say it in another language

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{_where(self)}: {self.message} [{self.check}]"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` for a message: whole if short, else its start and its length, so that a
    five-megabyte code neither floods the screen nor takes a minute to print."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(text):,} characters)"


class SubmissionError(Invalid):
    """A file that cannot be read at all (missing, wrong encoding, wrong header). Each
    finding is also a problem, where it is being its row and column."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__([Problem(Text(N_("%(message)s [%(check)s]"), message=f.message,
                                       check=f.check), _where(f)) for f in findings])

    def _text(self) -> str:
        return "; ".join(str(f) for f in self.findings)


def _where(finding: Finding) -> Text:
    """``row 4, column 'value'``, ``file``: where a finding is, in words."""
    row, column = finding.row, finding.column
    if row is None:
        return (Text(N_("file, column '%(column)s'"), column=column) if column
                else Text(N_("file")))
    return (Text(N_("row %(row)s, column '%(column)s'"), row=row, column=column) if column
            else Text(N_("row %(row)s"), row=row))
