"""The 以奖代补 reward rule: exact Decimal cases below, at and above each threshold, at the cap,
and with conditions unmet (participation/pledge/reward.py)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from participation.pledge.reward import (
    CAP_NONE,
    CAP_PER_M2,
    CAP_TOTAL,
    Progress,
    RewardRule,
    compute_reward,
    households_needed,
)

# A community of 10 homes and 1,000.00 m²: ¥1 per ¥1 confirmed, capped at ¥30 per m²
# (¥30,000.00), once half the homes pledge and the residents put in ¥5 per m² (¥5,000.00).
RULE = RewardRule(
    match_ratio=D("1"),
    cap_kind=CAP_PER_M2,
    cap_amount=D("30"),
    min_household_share=D("0.5"),
    min_per_m2=D("5"),
)


def progress(money: str, pledging: int = 5, in_kind: str = "0") -> Progress:
    return Progress(
        confirmed_money=D(money),
        households_pledging=pledging,
        households=10,
        area=D("1000.00"),
        confirmed_in_kind=D(in_kind),
    )


def test_below_the_money_threshold_nothing_is_unlocked_and_the_gap_is_exact():
    r = compute_reward(RULE, progress("4999.99"))
    assert r.reward == D("0.00") and not r.unlocked
    assert r.potential == D("4999.99")
    assert r.missing_money == D("0.01") and r.missing_households == 0
    assert r.unlocks == D("5000.00")  # "¥0.01 more unlocks ¥5,000.00"


def test_exactly_at_both_thresholds_unlocks_the_matched_amount():
    r = compute_reward(RULE, progress("5000.00", pledging=5))  # 5/10 = 0.5: inclusive
    assert r.unlocked and r.reward == D("5000.00")
    assert r.missing_money == D("0.00") and r.missing_households == 0
    assert [c.holds for c in r.conditions] == [True, True]


def test_above_the_thresholds_the_reward_grows_with_the_money_until_the_cap():
    r = compute_reward(RULE, progress("12345.67", pledging=8))
    assert r.reward == D("12345.67")
    assert r.cap == D("30000.00") and r.to_cap == D("17654.33") and not r.at_cap


def test_at_the_cap_and_above_it_the_reward_is_the_cap():
    at = compute_reward(RULE, progress("30000.00"))
    above = compute_reward(RULE, progress("45000.00"))
    assert at.reward == above.reward == D("30000.00")
    assert at.at_cap and above.at_cap
    assert at.to_cap == above.to_cap == D("0.00")


def test_one_household_short_unlocks_nothing_whatever_the_money():
    r = compute_reward(RULE, progress("20000.00", pledging=4))
    assert r.reward == D("0.00") and not r.unlocked
    assert r.missing_households == 1 and r.missing_money == D("0.00")
    assert r.unlocks == D("20000.00")  # "1 more household unlocks ¥20,000.00"
    assert r.conditions[0].key == "households" and not r.conditions[0].holds


def test_both_conditions_unmet_report_both_gaps():
    r = compute_reward(RULE, progress("1000.00", pledging=2))
    assert (r.missing_money, r.missing_households) == (D("4000.00"), 3)
    assert r.unlocks == D("5000.00")


def test_a_fractional_ratio_rounds_down_to_the_fen():
    rule = RewardRule(match_ratio=D("0.3333"))
    assert compute_reward(rule, progress("100.00")).reward == D("33.33")
    half = RewardRule(match_ratio=D("0.5"))
    assert compute_reward(half, progress("0.03")).reward == D("0.01")


def test_a_total_cap_with_a_half_ratio_and_the_money_left_to_reach_it():
    rule = RewardRule(match_ratio=D("0.5"), cap_kind=CAP_TOTAL, cap_amount=D("10000"))
    r = compute_reward(rule, progress("19999.98"))
    assert r.reward == D("9999.99") and r.to_cap == D("0.02")
    r = compute_reward(rule, progress("19999.99"))
    assert r.reward == D("9999.99") and r.to_cap == D("0.01")  # 0.5 × 19999.99 rounds down
    r = compute_reward(rule, progress("20000.00"))
    assert r.reward == D("10000.00") and r.at_cap and r.to_cap == D("0.00")


def test_labour_and_materials_count_only_when_the_rule_says_so():
    without = compute_reward(RULE, progress("3000.00", in_kind="2000.00"))
    assert without.base == D("3000.00") and without.reward == D("0.00")
    rule = RewardRule(**{**RULE.__dict__, "include_in_kind": True})
    withk = compute_reward(rule, progress("3000.00", in_kind="2000.00"))
    assert withk.base == D("5000.00") and withk.reward == D("5000.00")


def test_no_conditions_and_no_cap_match_every_fen():
    rule = RewardRule(match_ratio=D("2"), cap_kind=CAP_NONE)
    r = compute_reward(rule, progress("0.00", pledging=0))
    assert r.unlocked and r.reward == D("0.00") and r.cap is None and r.to_cap is None
    assert compute_reward(rule, progress("123.45", pledging=0)).reward == D("246.90")


def test_a_zero_ratio_unlocks_nothing_and_never_reaches_a_cap():
    rule = RewardRule(match_ratio=D("0"), cap_kind=CAP_TOTAL, cap_amount=D("100"))
    r = compute_reward(rule, progress("9999.00"))
    assert r.reward == D("0.00") and r.to_cap is None


@pytest.mark.parametrize(
    ("share", "households", "needed"),
    [
        ("0.5", 10, 5),
        ("0.7", 10, 7),  # exactly 70%: inclusive
        ("0.6667", 3, 3),
        (str(D(2) / D(3)), 10, 7),
        ("0", 10, 0),
        ("1", 10, 10),
        ("0.5", 0, 0),
        ("0.5", 7, 4),
    ],
)
def test_households_needed_is_the_smallest_whole_number_at_or_above_the_share(
    share, households, needed
):
    assert households_needed(D(share), households) == needed


def test_a_community_without_floor_area_or_homes_has_zero_thresholds():
    r = compute_reward(RULE, Progress(D("0"), 0, 0, D("0")))
    assert r.unlocked and r.reward == D("0.00") and r.cap == D("0.00")


@pytest.mark.parametrize(
    "bad",
    [
        {"match_ratio": D("-1")},
        {"min_household_share": D("1.01")},
        {"cap_kind": "weekly"},
        {"min_per_m2": D("NaN")},
        {"cap_amount": D("-5")},
    ],
)
def test_an_impossible_rule_is_refused(bad):
    with pytest.raises(ValueError):
        RewardRule(**bad)
