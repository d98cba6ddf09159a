"""Number and date formatting for pages: the same words and figures as the packs and the
CLI (one definition, in reports.formatting)."""

from __future__ import annotations

from ..reports.formatting import (
    change,
    difference,
    figure,
    lead_evidence,
    number,
    status_sentence,
    verdict_sentence,
    when,
)

FILTERS = {"number": number, "when": when, "lead_evidence": lead_evidence, "figure": figure,
           "difference": difference, "change": change, "status_sentence": status_sentence,
           "verdict_sentence": verdict_sentence}
