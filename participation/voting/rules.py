"""Voting rules and the tally arithmetic. PURE: no Flask, no database, no floats.

The law (DOMAIN.md §1, Civil Code Art. 278 and 1259):

* quorum, every owners' decision: owners holding >= 2/3 of the electorate's area AND >= 2/3 of
  its headcount take part;
* ``ordinary``: more than 1/2 of the participating area AND more than 1/2 of the participating
  headcount agree ("过半数" is strict: exactly 1/2 fails);
* ``special`` (raising the fund, altering/rebuilding, changing the use of common parts): at least
  3/4 of the participating area AND headcount agree ("以上" is inclusive: exactly 3/4 holds);
* ``custom``: the committee sets the quorum (or none), the approval fraction, whether the approval
  must be "at least" or "more than" it, and whether it is a share of the participants or of the
  whole electorate (e.g. a lift needing 2/3 of *all* owners of the entrance, or unanimity: at
  least 1/1 of the electorate). Like the law, every threshold applies to area AND headcount;
* ``advisory``: counts only, no thresholds, ``passed`` is None. One voice per unit: its
  headcount is the number of units (an owner's ballot carries all their units in scope).

Abstentions take part (they count towards the quorum and are in the participants' base) but do
not agree. Every comparison is exact: areas are Decimal, heads int, shares Fraction. Percentages
for display are computed separately by `percent()` and never used to decide anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ZERO_AREA = Decimal("0.00")
HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)


class RuleKind(enum.StrEnum):
    ORDINARY = "ordinary"
    SPECIAL = "special"
    CUSTOM = "custom"
    ADVISORY = "advisory"


class Comparison(enum.StrEnum):
    AT_LEAST = "at_least"  # 以上: the number itself counts
    MORE_THAN = "more_than"  # 过半数 / 超过: strictly more


class Base(enum.StrEnum):
    PARTICIPANTS = "participants"  # share of those who took part (agree + disagree + abstain)
    ELECTORATE = "electorate"  # share of the whole frozen electorate


class Choice(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


class RuleError(ValueError):
    """A rule that cannot be evaluated (e.g. a fraction above 1)."""


@dataclass(frozen=True)
class Requirement:
    """A share that must be reached: `fraction` compared by `comparison`."""

    fraction: Fraction
    comparison: Comparison = Comparison.AT_LEAST

    def __post_init__(self) -> None:
        f = Fraction(self.fraction)
        object.__setattr__(self, "fraction", f)
        object.__setattr__(self, "comparison", Comparison(self.comparison))
        if not 0 <= f <= 1:
            raise RuleError("a share must be between 0 and 1")
        if self.comparison == Comparison.MORE_THAN and f == 1:
            raise RuleError("more than the whole can never hold")

    def holds(self, actual: Fraction | None) -> bool:
        if actual is None:  # nothing to take a share of: never holds
            return False
        if self.comparison == Comparison.AT_LEAST:
            return actual >= self.fraction
        return actual > self.fraction


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    quorum: Requirement | None  # share of the electorate that must take part; None: no quorum
    approval: Requirement | None  # share of `base` that must agree; None: advisory
    base: Base = Base.PARTICIPANTS

    @classmethod
    def ordinary(cls) -> Rule:
        return cls(
            RuleKind.ORDINARY,
            Requirement(TWO_THIRDS, Comparison.AT_LEAST),
            Requirement(HALF, Comparison.MORE_THAN),
        )

    @classmethod
    def special(cls) -> Rule:
        return cls(
            RuleKind.SPECIAL,
            Requirement(TWO_THIRDS, Comparison.AT_LEAST),
            Requirement(THREE_QUARTERS, Comparison.AT_LEAST),
        )

    @classmethod
    def advisory(cls) -> Rule:
        return cls(RuleKind.ADVISORY, None, None)

    @classmethod
    def custom(
        cls,
        approval: Fraction,
        approval_comparison: Comparison | str = Comparison.AT_LEAST,
        base: Base | str = Base.PARTICIPANTS,
        quorum: Fraction | None = None,
        quorum_comparison: Comparison | str = Comparison.AT_LEAST,
    ) -> Rule:
        approval_req = Requirement(Fraction(approval), Comparison(approval_comparison))
        if approval_req.fraction == 0 and approval_req.comparison == Comparison.AT_LEAST:
            raise RuleError("an approval of at least nothing always passes")
        quorum_req = (
            None if quorum is None else Requirement(Fraction(quorum), Comparison(quorum_comparison))
        )
        return cls(RuleKind.CUSTOM, quorum_req, approval_req, Base(base))

    @property
    def counts_units(self) -> bool:
        """Advisory polls give one voice per unit; decisions count owners (heads)."""
        return self.kind == RuleKind.ADVISORY


@dataclass(frozen=True)
class Totals:
    """Owners (heads), units and area of a group of electors."""

    heads: int = 0
    area: Decimal = ZERO_AREA
    units: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.heads + other.heads, self.area + other.area, self.units + other.units)

    def voices(self, rule: Rule) -> int:
        """The headcount a rule uses: units for advisory polls, owners otherwise."""
        return self.units if rule.counts_units else self.heads


@dataclass(frozen=True)
class Counts:
    agree: Totals = field(default_factory=Totals)
    disagree: Totals = field(default_factory=Totals)
    abstain: Totals = field(default_factory=Totals)

    @property
    def participation(self) -> Totals:
        return self.agree + self.disagree + self.abstain

    def of(self, choice: Choice | str) -> Totals:
        return getattr(self, Choice(choice).value)


def ratio(part: int | Decimal, whole: int | Decimal) -> Fraction | None:
    """part/whole as an exact Fraction; None when the whole is zero."""
    if whole == 0:
        return None
    return Fraction(part) / Fraction(whole)


def percent(part: int | Decimal, whole: int | Decimal, places: int = 2) -> Decimal | None:
    """Display only: 100·part/whole rounded half-up to `places` decimals (None if whole is 0)."""
    share = ratio(part, whole)
    return None if share is None else fraction_percent(share, places)


def fraction_percent(share: Fraction, places: int = 2) -> Decimal:
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Threshold:
    """One condition of a rule, evaluated: e.g. quorum by area, `numerator`/`denominator`
    compared with `required`."""

    name: str  # "quorum" | "approval"
    measure: str  # "area" | "heads"
    base: Base  # what the denominator is
    required: Fraction
    comparison: Comparison
    numerator: int | Decimal
    denominator: int | Decimal
    holds: bool

    @property
    def actual(self) -> Fraction | None:
        return ratio(self.numerator, self.denominator)

    @property
    def actual_percent(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def required_percent(self) -> Decimal:
        return fraction_percent(self.required)


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    electorate: Totals
    counts: Counts
    thresholds: tuple[Threshold, ...]
    quorum_met: bool | None  # None for advisory polls; True when the rule sets no quorum
    passed: bool | None  # None for advisory polls

    @property
    def participation(self) -> Totals:
        return self.counts.participation


def _threshold(
    name: str, measure: str, base: Base, req: Requirement, numerator, denominator
) -> Threshold:
    return Threshold(
        name=name,
        measure=measure,
        base=base,
        required=req.fraction,
        comparison=req.comparison,
        numerator=numerator,
        denominator=denominator,
        holds=req.holds(ratio(numerator, denominator)),
    )


def evaluate(rule: Rule, electorate: Totals, counts: Counts) -> Outcome:
    """Apply `rule` to the frozen `electorate` and the ballots' `counts`."""
    if rule.kind == RuleKind.ADVISORY or rule.approval is None:
        return Outcome(rule, electorate, counts, (), None, None)
    took_part = counts.participation
    thresholds: list[Threshold] = []
    if rule.quorum is not None:
        for measure, num, den in (
            ("area", took_part.area, electorate.area),
            ("heads", took_part.heads, electorate.heads),
        ):
            thresholds.append(_threshold("quorum", measure, Base.ELECTORATE, rule.quorum, num, den))
    base_totals = took_part if rule.base == Base.PARTICIPANTS else electorate
    for measure, num, den in (
        ("area", counts.agree.area, base_totals.area),
        ("heads", counts.agree.heads, base_totals.heads),
    ):
        thresholds.append(_threshold("approval", measure, rule.base, rule.approval, num, den))
    quorum_met = all(t.holds for t in thresholds if t.name == "quorum")
    passed = quorum_met and all(t.holds for t in thresholds if t.name == "approval")
    return Outcome(rule, electorate, counts, tuple(thresholds), quorum_met, passed)
