"""The tally rules, exactly (DOMAIN.md §1): pure functions, no app, no database."""

from __future__ import annotations

import ast
from decimal import Decimal as D
from fractions import Fraction as F
from pathlib import Path

import pytest

from participation.voting import rules
from participation.voting.rules import Base, Comparison, Counts, Rule, Totals, evaluate


def T(heads: int, area: str, units: int | None = None) -> Totals:  # noqa: N802
    return Totals(heads, D(area), heads if units is None else units)


def counts(agree=(0, "0"), disagree=(0, "0"), abstain=(0, "0")) -> Counts:
    return Counts(T(*agree), T(*disagree), T(*abstain))


def holds(outcome, name, measure) -> bool:
    (t,) = [t for t in outcome.thresholds if t.name == name and t.measure == measure]
    return t.holds


ELECTORATE = T(9, "900.00")  # 9 owners, 100 m² each unless a test says otherwise


def test_rules_module_is_pure():
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "enum", "dataclasses", "decimal", "fractions"}


# --- quorum: at least 2/3 of the area AND at least 2/3 of the heads take part -----------------


def test_quorum_exactly_two_thirds_of_area_and_heads_holds():
    out = evaluate(Rule.ordinary(), ELECTORATE, counts(agree=(6, "600.00")))
    assert holds(out, "quorum", "area") and holds(out, "quorum", "heads")
    assert out.quorum_met is True
    assert out.passed is True


def test_quorum_one_cent_short_of_two_thirds_of_area_fails():
    out = evaluate(Rule.ordinary(), ELECTORATE, counts(agree=(6, "599.99")))
    assert not holds(out, "quorum", "area")
    assert holds(out, "quorum", "heads")
    assert out.quorum_met is False and out.passed is False


def test_quorum_needs_heads_too_even_with_the_area():
    # Five owners holding 700 of 900 m² take part: area 7/9 ≥ 2/3, but heads 5/9 < 2/3.
    out = evaluate(Rule.ordinary(), ELECTORATE, counts(agree=(5, "700.00")))
    assert holds(out, "quorum", "area") and not holds(out, "quorum", "heads")
    assert out.passed is False


def test_abstentions_count_towards_the_quorum_but_do_not_agree():
    # 6 of 9 take part: 4 agree, 2 abstain. Ordinary: 4/6 > 1/2 passes; special: 4/6 < 3/4.
    c = counts(agree=(4, "400.00"), abstain=(2, "200.00"))
    assert evaluate(Rule.ordinary(), ELECTORATE, c).passed is True
    assert evaluate(Rule.special(), ELECTORATE, c).passed is False
    # 3 agree, 3 abstain: exactly half of the participants agree, which is not more than half.
    c = counts(agree=(3, "300.00"), abstain=(3, "300.00"))
    out = evaluate(Rule.ordinary(), ELECTORATE, c)
    assert out.quorum_met is True and out.passed is False


# --- ordinary: more than 1/2 of participating area AND heads ---------------------------------


def test_ordinary_exactly_half_fails_by_area_and_by_heads():
    c = counts(agree=(3, "300.00"), disagree=(3, "300.00"))
    out = evaluate(Rule.ordinary(), ELECTORATE, c)
    assert out.quorum_met is True
    assert not holds(out, "approval", "area") and not holds(out, "approval", "heads")
    assert out.passed is False


def test_ordinary_one_cent_more_than_half_of_area_still_needs_heads():
    # 6 participants, 600.01 m²: agree 3 owners with 300.01 m². Area > 1/2, heads = 1/2.
    c = counts(agree=(3, "300.01"), disagree=(3, "300.00"))
    out = evaluate(Rule.ordinary(), T(9, "900.01"), c)
    assert holds(out, "approval", "area") and not holds(out, "approval", "heads")
    assert out.passed is False


def test_ordinary_passes_with_more_than_half_of_both():
    c = counts(agree=(4, "300.01"), disagree=(2, "300.00"))
    out = evaluate(Rule.ordinary(), T(9, "900.01"), c)
    assert out.passed is True


def test_ordinary_fails_when_the_big_owner_disagrees():
    # Developer with 500 m² (one head) disagrees; 5 small owners agree: heads pass, area fails.
    electorate = T(7, "1000.00")
    c = counts(agree=(5, "400.00"), disagree=(1, "500.00"))
    out = evaluate(Rule.ordinary(), electorate, c)
    assert out.quorum_met is True
    assert holds(out, "approval", "heads") and not holds(out, "approval", "area")
    assert out.passed is False


# --- special: at least 3/4 of participating area AND heads -----------------------------------


def test_special_exactly_three_quarters_holds():
    # 8 participants of 9 (quorum holds), 6 agree = 3/4 of heads and 600/800 = 3/4 of area.
    c = counts(agree=(6, "600.00"), disagree=(2, "200.00"))
    out = evaluate(Rule.special(), ELECTORATE, c)
    assert holds(out, "approval", "area") and holds(out, "approval", "heads")
    assert out.passed is True


def test_special_one_cent_under_three_quarters_fails():
    c = counts(agree=(6, "599.99"), disagree=(2, "200.01"))
    out = evaluate(Rule.special(), ELECTORATE, c)
    assert not holds(out, "approval", "area") and holds(out, "approval", "heads")
    assert out.passed is False


def test_special_needs_the_quorum():
    c = counts(agree=(5, "500.00"))  # unanimous, but only 5 of 9 took part
    out = evaluate(Rule.special(), ELECTORATE, c)
    assert out.quorum_met is False and out.passed is False


def test_thresholds_report_numbers_fractions_and_percentages():
    out = evaluate(Rule.special(), ELECTORATE, counts(agree=(6, "600.00"), disagree=(2, "200.00")))
    quorum_area = out.thresholds[0]
    assert (quorum_area.name, quorum_area.measure, quorum_area.base) == (
        "quorum",
        "area",
        Base.ELECTORATE,
    )
    assert quorum_area.numerator == D("800.00") and quorum_area.denominator == D("900.00")
    assert quorum_area.actual == F(8, 9)
    assert quorum_area.required == F(2, 3) and quorum_area.comparison == Comparison.AT_LEAST
    assert quorum_area.actual_percent == D("88.89")
    assert quorum_area.required_percent == D("66.67")
    approval_heads = out.thresholds[3]
    assert (approval_heads.name, approval_heads.measure) == ("approval", "heads")
    assert approval_heads.actual == F(3, 4) and approval_heads.actual_percent == D("75.00")
    assert [t.holds for t in out.thresholds] == [True, True, True, True]


# --- custom: the committee's fractions, comparison and base ----------------------------------


def test_custom_two_thirds_of_the_whole_electorate():
    rule = Rule.custom(F(2, 3), Comparison.AT_LEAST, Base.ELECTORATE)
    # Everyone who took part agreed, but 5 of 9 owners is less than 2/3 of all owners.
    out = evaluate(rule, ELECTORATE, counts(agree=(5, "700.00")))
    assert out.quorum_met is True  # no quorum set
    assert holds(out, "approval", "area") and not holds(out, "approval", "heads")
    assert out.passed is False
    # Exactly 6 of 9 owners and 600 of 900 m²: at least 2/3 holds.
    out = evaluate(rule, ELECTORATE, counts(agree=(6, "600.00"), disagree=(3, "300.00")))
    assert out.passed is True


def test_custom_of_the_electorate_counts_abstentions_and_absentees_against():
    rule = Rule.custom(F(2, 3), Comparison.AT_LEAST, Base.ELECTORATE)
    out = evaluate(rule, ELECTORATE, counts(agree=(5, "500.00"), abstain=(4, "400.00")))
    assert out.passed is False


def test_custom_unanimity_of_the_electorate():
    rule = Rule.custom(F(1), Comparison.AT_LEAST, Base.ELECTORATE)
    assert evaluate(rule, ELECTORATE, counts(agree=(9, "900.00"))).passed is True
    assert (
        evaluate(rule, ELECTORATE, counts(agree=(8, "890.00"), abstain=(1, "10.00"))).passed
        is False
    )


def test_custom_more_than_with_a_quorum():
    rule = Rule.custom(F(2, 3), Comparison.MORE_THAN, Base.PARTICIPANTS, quorum=F(1, 2))
    # 6 take part (quorum 6/9 ≥ 1/2); 4 agree = exactly 2/3 of participants: not more than.
    c = counts(agree=(4, "400.00"), disagree=(2, "200.00"))
    out = evaluate(rule, ELECTORATE, c)
    assert out.quorum_met is True and out.passed is False
    c = counts(agree=(5, "500.00"), disagree=(1, "100.00"))
    assert evaluate(rule, ELECTORATE, c).passed is True
    # Quorum "at least 1/2": 4 of 9 is short.
    assert evaluate(rule, ELECTORATE, counts(agree=(4, "450.00"))).quorum_met is False


def test_custom_quorum_more_than_is_strict():
    rule = Rule.custom(F(1, 2), Comparison.MORE_THAN, quorum=F(1, 2), quorum_comparison="more_than")
    electorate = T(4, "400.00")
    assert evaluate(rule, electorate, counts(agree=(2, "200.00"))).quorum_met is False
    assert evaluate(rule, electorate, counts(agree=(3, "300.00"))).quorum_met is True


@pytest.mark.parametrize(
    "args",
    [
        (F(3, 2),),  # more than the whole
        (F(-1, 3),),
        (F(1), Comparison.MORE_THAN),  # more than all can never hold
        (F(0), Comparison.AT_LEAST),  # at least nothing always passes
    ],
)
def test_custom_rules_that_cannot_work_are_refused(args):
    with pytest.raises(rules.RuleError):
        Rule.custom(*args)


# --- advisory, empty cases, exactness ---------------------------------------------------------


def test_advisory_counts_only_with_units_as_voices():
    electorate = T(3, "300.00", units=5)
    c = Counts(T(1, "180.00", units=3), T(1, "60.00", units=1), Totals())
    out = evaluate(Rule.advisory(), electorate, c)
    assert out.passed is None and out.quorum_met is None and out.thresholds == ()
    assert out.participation.voices(out.rule) == 4  # units, not owners
    assert electorate.voices(Rule.ordinary()) == 3


def test_nobody_voting_fails_without_dividing_by_zero():
    out = evaluate(Rule.ordinary(), ELECTORATE, counts())
    assert out.quorum_met is False and out.passed is False
    approval = [t for t in out.thresholds if t.name == "approval"]
    assert all(t.actual is None and not t.holds for t in approval)


def test_empty_electorate_never_passes():
    out = evaluate(Rule.custom(F(1, 2)), Totals(), counts())
    assert out.passed is False


def test_area_arithmetic_is_exact_not_floating_point():
    # 0.1 + 0.2 == 0.3 in Decimal; with floats the quorum below would wrongly fail or pass.
    electorate = T(3, "0.45")
    c = counts(agree=(1, "0.10"), disagree=(1, "0.20"))
    out = evaluate(Rule.ordinary(), electorate, c)
    assert holds(out, "quorum", "area")  # 0.30 / 0.45 = exactly 2/3
    assert out.thresholds[0].actual == F(2, 3)


def test_percent_rounds_half_up_for_display_only():
    assert rules.percent(2, 3) == D("66.67")
    assert rules.percent(1, 8) == D("12.50")
    assert rules.percent(1, 200, places=1) == D("0.5")
    assert rules.percent(D("1.00"), D("0")) is None
    assert rules.fraction_percent(F(1, 3), 0) == D("33")
