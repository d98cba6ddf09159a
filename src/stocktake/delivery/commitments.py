"""Commitments (issue #17): the promises of the ministers' mandate letters, hundreds of them
and mostly without a number, each with a status on one fixed scale and the history of its
changes. Pure: rows in (as read from CSV or YAML by the service), typed commitments and
counts out.

The scale is the Canadian results and delivery unit's: completed fully; completed,
modified; underway, on track; underway, facing challenges; not being pursued (with a
reason, always).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import N_, Invalid, Problem, Text, did_you_mean
from ..text import joined

# Status key -> the exact words shown everywhere. The order is the scale's.
STATUSES: dict[str, str] = {
    "completed_fully": "completed fully",
    "completed_modified": "completed, modified",
    "on_track": "underway, on track",
    "facing_challenges": "underway, facing challenges",
    "not_pursued": "not being pursued",
}
NEEDS_REASON = frozenset({"not_pursued"})  # a status that may not be set without a reason
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FIELDS = ("code", "text", "minister", "department", "partners", "status", "reason",
          "rationale", "evidence", "priority", "indicator", "public", "text_fr", "rationale_fr")
# Each French field beside the English one it translates (issue #18).
FRENCH = {"text_fr": "text", "rationale_fr": "rationale"}


def status_key(word: str) -> str | None:
    """The key of a status given as its key or its exact words (any case), else None."""
    w = word.strip().lower()
    if w in STATUSES:
        return w
    for key, label in STATUSES.items():
        if w == label:
            return key
    return None


def check_status(word: str, where: str = "status") -> str:
    """The status key for ``word``, or Invalid saying which words are allowed."""
    key = status_key(word)
    if key is None:
        raise Invalid(Problem(Text(
            N_("'%(word)s' is not a status of a commitment: one of %(statuses)s%(hint)s"),
            word=word, statuses=joined("; ", [Text(N_("'%(key)s' (%(word)s)"), key=k,
                                                     word=Text(v))
                                                for k, v in STATUSES.items()]),
            hint=did_you_mean(word, [*STATUSES, *STATUSES.values()])), where))
    return key


@dataclass(frozen=True)
class StatusChange:
    """One change of a commitment's status: to what, why, by whom, when."""

    status: str
    reason: str
    by: str
    at: datetime

    @property
    def label(self) -> str:
        return STATUSES[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "label": self.label, "reason": self.reason,
                "by": self.by, "at": self.at}


@dataclass(frozen=True)
class Commitment:
    """A commitment as it stands: its details and its status history (oldest first)."""

    code: str
    text: str
    minister: str
    department: str
    partners: tuple[str, ...] = ()
    rationale: str = ""
    evidence: tuple[str, ...] = ()
    priority: str | None = None
    indicator: str | None = None
    public: bool = False
    history: tuple[StatusChange, ...] = field(default=())
    text_fr: str = ""  # the French beside the English, where there is one
    rationale_fr: str = ""

    @property
    def status(self) -> str:
        return self.history[-1].status if self.history else "on_track"

    @property
    def label(self) -> str:
        return STATUSES[self.status]

    def status_at(self, at: datetime) -> str | None:
        """The status recorded at or before ``at`` (None: the commitment had none yet)."""
        before = [c for c in self.history if c.at <= at]
        return before[-1].status if before else None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "minister": self.minister,
                "department": self.department, "partners": list(self.partners),
                "status": self.status, "label": self.label, "rationale": self.rationale,
                "evidence": list(self.evidence), "priority": self.priority,
                "indicator": self.indicator, "public": self.public,
                "history": [c.to_dict() for c in self.history],
                # The French only where there is some, as for units and priorities.
                **{k: getattr(self, k) for k in FRENCH if getattr(self, k)}}


def _split(value: Any) -> tuple[str, ...]:
    """A list from YAML, or "a; b" from CSV."""
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in str(value).split(";") if p.strip())


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    w = str(value or "").strip().lower()
    return {"": False, "yes": True, "true": True, "1": True, "no": False, "false": False,
            "0": False}.get(w)


def parse_rows(rows: Iterable[Mapping[str, Any]], *, source: str,
               priorities: Iterable[str] = (), indicators: Iterable[str] = ()
               ) -> list[dict[str, Any]]:
    """Check every row of a commitments file and return them as clean dicts (the keys of
    FIELDS). Every problem is listed at once, each with its row ("commitments.csv:4"); one
    problem and nothing is loaded."""
    known_p, known_i = set(priorities), set(indicators)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):  # row 1 of a CSV is its header
        where = f"{source}:{n}"
        unknown = sorted(set(row) - set(FIELDS))
        if unknown:
            problems.append(Problem(Text(N_("unknown column %(unknown)s (the columns: "
                                            "%(columns)s)"),
                                         unknown=", ".join(map(repr, unknown)),
                                         columns=", ".join(FIELDS)), where))
        rec = {k: (str(row.get(k)).strip() if isinstance(row.get(k), str | int) else
                   row.get(k)) for k in FIELDS}
        code = rec["code"] or ""
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(Problem(Text(N_("code %(code)s: letters, digits, '_', '.', '-' "
                                            "(at most 64), required"), code=repr(code)),
                                    where))
        elif code in seen:
            problems.append(Problem(Text(N_("commitment '%(code)s' appears twice"),
                                         code=code), where))
        seen.add(str(code))
        for name in ("text", "minister", "department"):
            if not rec[name]:
                problems.append(Problem(Text(N_("%(name)s is required"), name=name), where))
        status = str(rec["status"] or "on_track")
        key = status_key(status)
        if key is None:
            problems.append(Problem(Text(
                N_("status '%(status)s' is not one of: %(statuses)s%(hint)s"), status=status,
                statuses=joined("; ", [Text(v) for v in STATUSES.values()]),
                hint=did_you_mean(status, [*STATUSES, *STATUSES.values()])), where))
        reason = str(rec["reason"] or "").strip()
        if key in NEEDS_REASON and not reason:
            problems.append(Problem(Text(N_("'%(status)s' needs a reason (column 'reason')"),
                                         status=Text(STATUSES[key])), where))
        if rec["priority"] and known_p and rec["priority"] not in known_p:
            problems.append(Problem(Text(N_("no %(kind)s '%(word)s'%(hint)s"),
                                         kind=Text(N_("priority")), word=rec["priority"],
                                         hint=did_you_mean(rec["priority"], known_p)), where))
        if rec["indicator"] and known_i and rec["indicator"] not in known_i:
            problems.append(Problem(Text(N_("no %(kind)s '%(word)s'%(hint)s"),
                                         kind=Text(N_("indicator")), word=rec["indicator"],
                                         hint=did_you_mean(rec["indicator"], known_i)), where))
        # Links are shown on the public tracker: web addresses only, never "javascript:".
        for link in _split(rec["evidence"]):
            if not link.lower().startswith(("https://", "http://")):
                problems.append(Problem(Text(N_("evidence %(link)s: a web address "
                                                "(https://...)"), link=repr(link)), where))
        public = _flag(rec["public"])
        if public is None:
            problems.append(Problem(Text(N_("public %(value)s: yes or no"),
                                         value=repr(rec["public"])), where))
        out.append({"code": code, "text": str(rec["text"] or ""),
                    "minister": str(rec["minister"] or ""),
                    "department": str(rec["department"] or ""),
                    "partners": list(_split(rec["partners"])), "status": key,
                    "reason": reason, "rationale": str(rec["rationale"] or ""),
                    "evidence": list(_split(rec["evidence"])),
                    "priority": rec["priority"] or None, "indicator": rec["indicator"] or None,
                    "public": bool(public), "text_fr": str(rec["text_fr"] or ""),
                    "rationale_fr": str(rec["rationale_fr"] or "")})
    if not out and not problems:
        problems.append(Problem(Text(N_("no commitments in the file")), source))
    if problems:
        raise Invalid(problems)
    return out


def missing_french(rows: Iterable[Mapping[str, Any]], *, source: str) -> list[Problem]:
    """One problem per row (as parse_rows returns them, in the file's order) lacking a French
    field its English side has, at the row ("commitments.csv:4") and naming the key."""
    problems = []
    for n, row in enumerate(rows, start=2):  # row 1 of a CSV is its header
        missing = [k for k, en in FRENCH.items() if row.get(en) and not row.get(k)]
        if missing:
            problems.append(Problem(Text(N_("commitment '%(code)s' has no French "
                                            "translation (%(missing)s)"),
                                         code=row["code"], missing=", ".join(missing)),
                                    f"{source}:{n}"))
    return problems


def has_french(rows: Iterable[Mapping[str, Any]]) -> bool:
    """Does any row carry a French field?"""
    return any(row.get(k) for row in rows for k in FRENCH)


@dataclass(frozen=True)
class Movement:
    """A commitment whose status changed between ``since`` and the moment read."""

    code: str
    text: str
    minister: str
    before: str | None  # None: the commitment is new since then
    after: str
    reason: str
    text_fr: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "minister": self.minister,
                "before": self.before,
                "before_label": STATUSES[self.before] if self.before else None,
                "after": self.after, "after_label": STATUSES[self.after],
                "reason": self.reason, **({"text_fr": self.text_fr} if self.text_fr else {})}


def movements(items: Iterable[Commitment], since: datetime) -> list[Movement]:
    """Each commitment whose status at the end differs from its status at ``since`` (or
    that had none then), in the order given."""
    out = []
    for c in items:
        if not c.history:
            continue
        before = c.status_at(since)
        if before != c.status:
            out.append(Movement(c.code, c.text, c.minister, before, c.status,
                                c.history[-1].reason, c.text_fr))
    return out


def counts(items: Iterable[Commitment], by: str) -> dict[str, dict[str, int]]:
    """``by`` (minister or department) -> status key -> count, every status present (0)."""
    out: dict[str, Counter[str]] = {}
    for c in items:
        out.setdefault(getattr(c, by), Counter())[c.status] += 1
    return {k: {s: v.get(s, 0) for s in STATUSES} for k, v in sorted(out.items())}


def status_counts(items: Iterable[Commitment]) -> dict[str, int]:
    n = Counter(c.status for c in items)
    return {s: n.get(s, 0) for s in STATUSES}
