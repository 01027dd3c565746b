"""Pure aggregation of step 5, exact cases."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from participation.share import rules


@pytest.mark.parametrize("value,score", [("1", 1), ("5", 5), (3, 3), (" 4 ", 4)])
def test_parse_score_accepts(value, score):
    assert rules.parse_score(value) == score


@pytest.mark.parametrize("value", ["0", "6", "-1", "4.5", "", "五", None, True, 7, "10", "٣"])
def test_parse_score_refuses(value):
    with pytest.raises(rules.ScoreError):
        rules.parse_score(value)


def test_score_stats_by_hand():
    s = rules.score_stats([5, 4, 4, 3, 1, 5])
    assert s.count == 6 and s.total == 22
    assert s.mean == Fraction(11, 3) and s.mean_display == Decimal("3.67")
    assert s.distribution == (1, 0, 1, 2, 2)
    assert s.satisfied == 4 and s.satisfied_share == Fraction(2, 3)
    assert s.bar_shares()[0] == (5, 2, Fraction(1, 3))


def test_stats_from_counts_matches_scores():
    assert rules.stats_from_counts({5: 2, 4: 2, 3: 1, 1: 1}) == rules.score_stats(
        [5, 4, 4, 3, 1, 5]
    )


def test_empty_stats():
    s = rules.score_stats([])
    assert s.mean is None and s.mean_display is None and s.satisfied_share is None


def test_mean_rounds_half_up():
    assert rules.score_stats([4, 5]).mean_display == Decimal("4.50")
    assert rules.to_decimal(Fraction(5, 8)) == Decimal("0.63")  # 0.625 → 0.63


def test_out_of_range_counts_refused():
    with pytest.raises(rules.ScoreError):
        rules.stats_from_counts({6: 1})


def test_shares_and_permille():
    assert rules.share(2, 3) == Fraction(2, 3)
    assert rules.share(1, 0) is None
    assert rules.permille(2, 3) == 667 and rules.permille(1, 8) == 125
    assert rules.permille(0, 0) is None


def test_median():
    assert rules.median([]) is None
    assert rules.median([3, 1, 2]) == Decimal(2)
    assert rules.median([4, 1, 2, 3]) == Decimal("2.5")


@pytest.mark.parametrize(
    "states,step",
    [
        ([], 0),
        ([(1, "pending"), (2, "pending")], 0),
        ([(1, "done"), (2, "active"), (3, "pending")], 2),
        ([(1, "done"), (2, "done")], 3),
        ([(5, "active"), (1, "done")], 5),
    ],
)
def test_current_step(states, step):
    assert rules.current_step(states) == step
