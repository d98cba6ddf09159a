"""What the shells (CLI, web) and the demo call, grouped by kind: ``reading`` (answers from the
data, on a ``Snapshot``), ``routines`` (plans, chains, assessments, stocktakes),
``publishing`` (pack, note, report, public site), ``data`` (model loads, approvals,
templates, exports) and ``admin`` (accounts and audit)."""
