"""Number and date formatting for pages: the same words and figures as the packs and the
CLI (one definition, in reports.formatting)."""

from __future__ import annotations

from ..reports.formatting import lead_evidence, number, when

FILTERS = {"number": number, "when": when, "lead_evidence": lead_evidence}
