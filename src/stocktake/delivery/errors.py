"""One error for every delivery document (plan, chain, assessment, stocktake): all the
problems found at once, each with the path of the field it is about."""

from __future__ import annotations

from collections.abc import Sequence


class DeliveryError(ValueError):
    """Raised with every problem found, e.g. ``interventions[2].owner: required``."""

    def __init__(self, problems: str | Sequence[str], *, source: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = f"{where}{self.problems[0]}"
        else:
            text = f"{where}{len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in self.problems)
        super().__init__(text)
