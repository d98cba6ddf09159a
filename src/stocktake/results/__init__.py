"""What the read services answer, as typed, frozen values: the one shape that the CLI's tables
and ``--json``, the API, the web pages, the caches and the documents all read.

Results sit below ``reports/`` and ``services/`` (docs/architecture.md): services build them,
charts, templates and shells read them, and none of those depends on another's dict shape.
``encode`` turns any result into plain JSON values, the same way for ``--json``, the API
and caches.
"""

from .base import Result, dumps, encode, json_name, omit_if_none

__all__ = ["Result", "dumps", "encode", "json_name", "omit_if_none"]
