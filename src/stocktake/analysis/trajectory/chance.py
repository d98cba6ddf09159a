"""How often chance alone puts a count this far from the figure expected.

A count of events (homicides, women remanded, completions) varies by chance even when
nothing has changed: with 4.5 expected, 7 turns up one period in six. A tolerance of 5%
of 4.5 is a fifth of one event, so without this reading every count but the expected
one would be "off track" or "ahead", and a small unit's status would flip on noise.
The Poisson distribution is the least chance variation a count of independent events
has (real counts vary more), so a difference that Poisson variation explains is no
evidence of being off course. See docs/methods/verdicts.md ("Small counts").
"""

from __future__ import annotations

import math

from scipy import stats

CHANCE_LEVEL = 0.05  # a count this far off at least this often (two-sided) is within chance


def chance_of_count(actual: float, expected: float) -> float | None:
    """The two-sided Poisson probability of a count at least as far from ``expected`` as
    ``actual`` is, on its side: min(1, 2 x P(X <= actual)) below the expected value,
    min(1, 2 x P(X >= actual)) above it, X ~ Poisson(expected). None when it does not
    apply: an expected value that is not positive, or an actual below 0 or not finite."""
    if not (math.isfinite(actual) and math.isfinite(expected)) or expected <= 0 or actual < 0:
        return None
    if actual < expected:
        tail = float(stats.poisson.cdf(math.floor(actual + 1e-9), expected))
    else:
        tail = float(stats.poisson.sf(math.ceil(actual - 1e-9) - 1, expected))
    return min(1.0, 2.0 * tail)
