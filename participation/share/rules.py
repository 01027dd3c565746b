"""Pure arithmetic of step 5: scores, satisfaction figures and shares. No Flask, no database.

A score is an integer 1–5 (1 very dissatisfied … 5 very satisfied). "Satisfied" means 4 or 5,
the way 接诉即办 counts a satisfaction rate. Means are exact (Fraction) and rounded only for
display, half up, to two places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MIN_SCORE, MAX_SCORE = 1, 5
SATISFIED = 4  # scores at or above count as satisfied


class ScoreError(ValueError):
    """Not a score 1–5."""


def parse_score(value: object) -> int:
    """An integer 1–5 from a form value ("4", 4); anything else raises ScoreError."""
    if isinstance(value, bool):
        raise ScoreError(value)
    if isinstance(value, int):
        score = value
    else:
        text = str(value if value is not None else "").strip()
        if len(text) != 1 or text not in "0123456789":
            raise ScoreError(value)
        score = int(text)
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ScoreError(value)
    return score


def to_decimal(value: Fraction | None, places: int = 2) -> Decimal | None:
    """A fraction rounded half up to `places` decimals (None stays None)."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def share(part: int, whole: int) -> Fraction | None:
    """part / whole, or None when there is no whole to compare with."""
    if not whole:
        return None
    return Fraction(part, whole)


def permille(part: int, whole: int) -> int | None:
    """part / whole in thousandths, rounded half up (for sorting and storing)."""
    value = share(part, whole)
    if value is None:
        return None
    return int(to_decimal(value * 1000, 0))


@dataclass(frozen=True)
class ScoreStats:
    """What a set of scores says: how many, the mean, the count of each score, satisfied."""

    count: int
    total: int
    distribution: tuple[int, int, int, int, int] = field(default=(0, 0, 0, 0, 0))

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.total, self.count) if self.count else None

    @property
    def mean_display(self) -> Decimal | None:
        return to_decimal(self.mean)

    @property
    def satisfied(self) -> int:
        return sum(self.distribution[SATISFIED - 1 :])

    @property
    def satisfied_share(self) -> Fraction | None:
        return share(self.satisfied, self.count)

    def bar_shares(self) -> list[tuple[int, int, Fraction]]:
        """(score, count, share of all) for 5 down to 1, for the bars."""
        return [
            (
                s,
                self.distribution[s - 1],
                share(self.distribution[s - 1], self.count) or Fraction(0),
            )
            for s in range(MAX_SCORE, MIN_SCORE - 1, -1)
        ]


def score_stats(scores: Iterable[int]) -> ScoreStats:
    dist = [0] * MAX_SCORE
    count = total = 0
    for s in scores:
        if not MIN_SCORE <= s <= MAX_SCORE:
            raise ScoreError(s)
        dist[s - 1] += 1
        count += 1
        total += s
    return ScoreStats(count, total, tuple(dist))  # type: ignore[arg-type]


def stats_from_counts(counts: dict[int, int]) -> ScoreStats:
    """The same from {score: count}, as a GROUP BY returns it."""
    dist = [0] * MAX_SCORE
    for s, n in counts.items():
        if not MIN_SCORE <= int(s) <= MAX_SCORE:
            raise ScoreError(s)
        dist[int(s) - 1] += int(n)
    return ScoreStats(sum(dist), sum((i + 1) * n for i, n in enumerate(dist)), tuple(dist))  # type: ignore[arg-type]


def median(values: Iterable[float | int | Decimal]) -> Decimal | None:
    """The median (mean of the two middle values for an even count), or None when empty."""
    data = sorted(Decimal(str(v)) for v in values)
    if not data:
        return None
    mid = len(data) // 2
    if len(data) % 2:
        return data[mid]
    return (data[mid - 1] + data[mid]) / 2


def current_step(states: Iterable[tuple[int, str]]) -> int:
    """The project's position from (position, state) pairs: the active step's position, 6 when
    every step is done, 0 when none has started."""
    pairs = sorted(states)
    for position, state in pairs:
        if state == "active":
            return position
    if pairs and all(state == "done" for _p, state in pairs):
        return len(pairs) + 1
    done = [position for position, state in pairs if state == "done"]
    return max(done) if done else 0
