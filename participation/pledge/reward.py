"""以奖代补 (reward in lieu of subsidy): how much reward the residents' contributions unlock, and
what is still missing. Pure arithmetic on Decimal: no Flask, no database.

No published formula exists (DOMAIN.md §4), so the rule is configurable per community, with a
city default:

* `match_ratio`: the reward is this many yuan per yuan of the base;
* the base is the confirmed resident money, plus the valued labour and materials when
  `include_in_kind` is set (never pledges not yet received);
* `cap_kind` / `cap_amount`: no cap, a total cap in yuan, or a cap per m² of the community's
  floor area;
* conditions, all of which must hold before any reward is unlocked: at least
  `min_household_share` of the households (units) pledging, and a base of at least
  `min_per_m2` yuan per m² of floor area. "At least" includes the threshold itself.

The reward is rounded down to the fen: a committee never promises a fen it cannot claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

CAP_NONE, CAP_TOTAL, CAP_PER_M2 = "none", "total", "per_m2"
CAP_KINDS = (CAP_NONE, CAP_TOTAL, CAP_PER_M2)


def _down(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


def _up(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class RewardRule:
    match_ratio: Decimal = Decimal("1")
    include_in_kind: bool = False
    cap_kind: str = CAP_NONE
    cap_amount: Decimal = ZERO  # yuan (total) or yuan per m² (per_m2); ignored without a cap
    min_household_share: Decimal = ZERO  # 0 to 1
    min_per_m2: Decimal = ZERO  # yuan per m² of floor area

    def __post_init__(self) -> None:
        if self.cap_kind not in CAP_KINDS:
            raise ValueError(f"unknown cap kind {self.cap_kind!r}")
        for name in ("match_ratio", "cap_amount", "min_household_share", "min_per_m2"):
            value = Decimal(getattr(self, name))
            if not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite number of at least 0")
            object.__setattr__(self, name, value)
        if self.min_household_share > 1:
            raise ValueError("min_household_share must be between 0 and 1")


@dataclass(frozen=True)
class Progress:
    """Where the community stands: confirmed contributions and who pledged."""

    confirmed_money: Decimal
    households_pledging: int
    households: int
    area: Decimal  # the community's floor area in m²
    confirmed_in_kind: Decimal = ZERO  # valued labour and materials, confirmed


@dataclass(frozen=True)
class Condition:
    key: str  # "households" or "per_m2"
    required: Decimal | int  # households needed / yuan of base needed
    actual: Decimal | int
    missing: Decimal | int  # 0 when it holds

    @property
    def holds(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class RewardResult:
    base: Decimal  # what the ratio applies to
    cap: Decimal | None  # the cap in yuan, None when uncapped
    potential: Decimal  # the reward the base would give with every condition met
    reward: Decimal  # unlocked now (0 while a condition fails)
    conditions: tuple[Condition, ...]
    missing_money: Decimal  # more base needed to meet the conditions
    missing_households: int  # more households pledging needed
    unlocks: Decimal  # the reward unlocked once what is missing comes in
    to_cap: Decimal | None  # more base to reach the cap once unlocked (None: no cap or ratio 0)

    @property
    def unlocked(self) -> bool:
        return all(c.holds for c in self.conditions)

    @property
    def at_cap(self) -> bool:
        return self.cap is not None and self.unlocked and self.reward >= self.cap


def cap_of(rule: RewardRule, area: Decimal) -> Decimal | None:
    if rule.cap_kind == CAP_TOTAL:
        return _down(rule.cap_amount)
    if rule.cap_kind == CAP_PER_M2:
        return _down(rule.cap_amount * Decimal(area))
    return None


def _reward_for(rule: RewardRule, base: Decimal, cap: Decimal | None) -> Decimal:
    reward = _down(base * rule.match_ratio)
    return min(reward, cap) if cap is not None else reward


def households_needed(share: Decimal, households: int) -> int:
    """The fewest households n with n / households ≥ share (exact; "at least" is inclusive)."""
    return int((Decimal(share) * households).to_integral_value(rounding=ROUND_CEILING))


def compute_reward(rule: RewardRule, progress: Progress) -> RewardResult:
    money = Decimal(progress.confirmed_money)
    in_kind = Decimal(progress.confirmed_in_kind) if rule.include_in_kind else ZERO
    base = (money + in_kind).quantize(FEN)
    area = Decimal(progress.area)
    cap = cap_of(rule, area)

    need_households = households_needed(rule.min_household_share, progress.households)
    missing_households = max(need_households - progress.households_pledging, 0)
    need_money = _up(rule.min_per_m2 * area)
    missing_money = max(need_money - base, ZERO).quantize(FEN)
    conditions = (
        Condition("households", need_households, progress.households_pledging, missing_households),
        Condition("per_m2", need_money, base, missing_money),
    )
    potential = _reward_for(rule, base, cap)
    unlocked = not missing_households and not missing_money
    reward = potential if unlocked else ZERO.quantize(FEN)
    unlocks = _reward_for(rule, base + missing_money, cap)
    to_cap = None
    if cap is not None and rule.match_ratio > 0:
        # The smallest base whose reward (rounded down to the fen) reaches the cap.
        needed = _up(cap / rule.match_ratio)
        while _down((needed - FEN) * rule.match_ratio) >= cap and needed > 0:
            needed -= FEN
        while _down(needed * rule.match_ratio) < cap:
            needed += FEN
        to_cap = max(needed - base, ZERO).quantize(FEN)
    return RewardResult(
        base=base,
        cap=cap,
        potential=potential,
        reward=reward,
        conditions=conditions,
        missing_money=missing_money,
        missing_households=missing_households,
        unlocks=unlocks,
        to_cap=to_cap,
    )
