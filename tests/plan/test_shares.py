"""Shares of a cost by floor area (Civil Code Art. 283): exact cases, rounding, edge cases."""

from decimal import Decimal as D

import pytest

from participation.plan.shares import split_by_area


def test_exact_proportion_without_rounding():
    assert split_by_area(D("1000.00"), {1: D("60"), 2: D("40")}) == {
        1: D("600.00"),
        2: D("400.00"),
    }


def test_equal_areas_leftover_fen_go_to_lowest_ids():
    # 100.00 / 3 = 33.333… each: 33.33 × 3 = 99.99, the missing fen goes to unit 1 (tie by id)
    assert split_by_area(D("100.00"), {3: D("50"), 1: D("50"), 2: D("50")}) == {
        1: D("33.34"),
        2: D("33.33"),
        3: D("33.33"),
    }


def test_largest_remainder_wins_the_leftover_fen():
    # 10.00 over areas 1, 2, 4 (sum 7): exact fen 142.857, 285.714, 571.428 → floors 142, 285,
    # 571 = 998; the 2 missing fen go to the largest fractions .857 (unit 1) and .714 (unit 2).
    assert split_by_area(D("10.00"), {1: D("1"), 2: D("2"), 4: D("4")}) == {
        1: D("1.43"),
        2: D("2.86"),
        4: D("5.71"),
    }


def test_shares_sum_exactly_to_total_with_real_areas():
    areas = {i: D("45.37") + D(i % 7) * D("8.91") for i in range(1, 121)}
    shares = split_by_area(D("1234567.89"), areas)
    assert sum(shares.values()) == D("1234567.89")
    area_sum = sum(areas.values())
    for unit_id, share in shares.items():
        exact = D("1234567.89") * areas[unit_id] / area_sum
        assert abs(share - exact) < D("0.01")
        assert share == share.quantize(D("0.01"))


def test_result_does_not_depend_on_order():
    a = {5: D("70.5"), 2: D("70.5"), 9: D("33.3")}
    b = dict(reversed(list(a.items())))
    assert split_by_area(D("99.99"), a) == split_by_area(D("99.99"), b)


def test_one_fen_among_many_goes_to_lowest_id():
    assert split_by_area(D("0.01"), {7: D("10"), 3: D("10"), 5: D("10")}) == {
        3: D("0.01"),
        5: D("0.00"),
        7: D("0.00"),
    }


def test_zero_total_gives_zero_shares():
    assert split_by_area(D("0"), {1: D("50"), 2: D("60")}) == {1: D("0.00"), 2: D("0.00")}


def test_no_units_gives_empty():
    assert split_by_area(D("500.00"), {}) == {}


def test_unit_without_area_pays_nothing():
    assert split_by_area(D("90.00"), {1: D("0"), 2: D("30"), 3: D("60")}) == {
        1: D("0.00"),
        2: D("30.00"),
        3: D("60.00"),
    }


def test_all_areas_zero_split_equally():
    assert split_by_area(D("10.00"), {1: D("0"), 2: D("0"), 3: D("0")}) == {
        1: D("3.34"),
        2: D("3.33"),
        3: D("3.33"),
    }


def test_single_unit_pays_all():
    assert split_by_area(D("8888.88"), {42: D("61.2")}) == {42: D("8888.88")}


@pytest.mark.parametrize(
    "total, areas",
    [
        (D("-0.01"), {1: D("50")}),
        (D("100"), {1: D("-1"), 2: D("50")}),
        (D("100.001"), {1: D("50")}),
        (D("NaN"), {1: D("50")}),
        (D("Infinity"), {1: D("50")}),
        (D("100"), {1: D("Infinity")}),
    ],
)
def test_refused(total, areas):
    with pytest.raises(ValueError):
        split_by_area(total, areas)


def test_shares_are_decimals_in_fen():
    shares = split_by_area(D("1"), {1: D("1"), 2: D("2")})
    assert all(isinstance(v, D) and v.as_tuple().exponent == -2 for v in shares.values())
    assert shares == {1: D("0.33"), 2: D("0.67")}
