"""Pledge use cases: suggested shares, the pledge lifecycle, refusals that write nothing, the
double-submit token, the funding plan and its maintenance-fund vote, the reward rule, the
ledger's totals and the honour roll's opt-in."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message
from participation.extensions import db
from participation.plan.public import unit_shares
from participation.pledge import public, services
from participation.pledge.models import FundingSource, Pledge
from tests import factories
from tests.voting.helpers import closed_vote

pytestmark = pytest.mark.usefixtures("ctx")


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def money(user, community, amount="1000", token=None, **kw):
    return services.make_pledge(
        user,
        community,
        unit_id=kw.pop("unit_id", None),
        kind="money",
        token=token or services.new_token(),
        amount=amount,
        **kw,
    )


def labour(user, community, hours="4", skill="supervision", **kw):
    return services.make_pledge(
        user,
        community,
        unit_id=kw.pop("unit_id", None),
        kind="labour",
        token=services.new_token(),
        hours=hours,
        skill=skill,
        **kw,
    )


def materials(user, community, item="涂料", quantity="2桶", value="300", **kw):
    return services.make_pledge(
        user,
        community,
        unit_id=kw.pop("unit_id", None),
        kind="materials",
        token=services.new_token(),
        item=item,
        quantity=quantity,
        value=value,
        **kw,
    )


# --- suggested shares ---------------------------------------------------------------------------


def test_suggested_shares_by_area_add_up_to_the_residents_part_exactly(step3, plan, units):
    shares = unit_shares(plan.id)
    assert sum(shares.values()) == D("64400.00")
    assert set(shares.values()) == {D("4025.00")}  # 16 equal homes
    mine = services.suggested_amounts(services.adopted_plan(step3), [units[0].id, units[3].id])
    assert mine == {units[0].id: D("4025.00"), units[3].id: D("4025.00")}


def test_uneven_areas_still_sum_exactly_to_the_fen(step3, plan, units):
    units[0].area = D("123.45")
    units[1].area = D("61.17")
    db.session.commit()
    shares = unit_shares(plan.id)
    assert sum(shares.values()) == D("64400.00")
    assert shares[units[0].id] > shares[units[2].id] > shares[units[1].id]


# --- making pledges -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "family", "tenant"])
def test_every_kind_of_resident_pledges_money_labour_and_materials(step3, people, who):
    user = people[who]
    p1, created = money(user, step3, "1500.50", honour=True)
    p2, _ = labour(user, step3, "2.5", "electrical")
    p3, _ = materials(user, step3)
    db.session.commit()
    assert created and p1.amount == D("1500.50") and p1.honour and p1.status == "pledged"
    assert (p2.hours, p2.skill) == (D("2.5"), "electrical")
    assert (p3.item, p3.quantity, p3.value) == ("涂料", "2桶", D("300.00"))
    assert count(Pledge) == 3


def test_the_same_form_sent_twice_makes_one_pledge(step3, people):
    token = services.new_token()
    first, created = money(people["owner"], step3, "800", token=token)
    db.session.commit()
    again, created_again = money(people["owner"], step3, "800", token=token)
    db.session.commit()
    assert created and not created_again and again.id == first.id
    assert count(Pledge) == 1


def test_a_token_used_by_someone_else_is_refused(step3, people):
    token = services.new_token()
    money(people["owner"], step3, token=token)
    db.session.commit()
    with pytest.raises(DomainError, match="form expired"):
        money(people["owner2"], step3, token=token)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than 0"),
        ("-100", "more than 0"),
        ("abc", "as a number"),
        ("", "enter an amount"),
        ("NaN", "as a number"),
        ("Infinity", "as a number"),
        ("12.345", "2 decimals"),
        ("200000.01", "largest amount"),
        ("99999999999", "largest amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(step3, people, amount, message):
    with pytest.raises(DomainError, match=message) as err:
        money(people["owner"], step3, amount)
    assert err.value.field == "amount"
    db.session.rollback()
    assert count(Pledge) == 0 and count(AuditEntry) == 0


def test_the_ceiling_is_configurable(app, step3, people, monkeypatch):
    monkeypatch.setitem(app.config, "PLEDGE_MAX_AMOUNT", "5000")
    with pytest.raises(DomainError, match="largest amount"):
        money(people["owner"], step3, "5000.01")
    pledge, _ = money(people["owner"], step3, "5000.00")
    assert pledge.amount == D("5000.00")


@pytest.mark.parametrize("hours", ["0", "0.4", "500.5", "501", "-1", "1.25", "x", ""])
def test_hours_outside_half_an_hour_to_500_are_refused(step3, people, hours):
    with pytest.raises(DomainError, match="0.5 to 500") as err:
        labour(people["owner"], step3, hours)
    assert err.value.field == "hours"


@pytest.mark.parametrize("hours", ["0.5", "500", "1.5", "12"])
def test_hours_at_the_bounds_are_accepted(step3, people, hours):
    pledge, _ = labour(people["owner"], step3, hours)
    assert pledge.hours == D(hours)


def test_labour_needs_a_skill_from_the_list_and_materials_need_what_and_how_much(step3, people):
    with pytest.raises(DomainError) as err:
        labour(people["owner"], step3, "2", "juggling")
    assert err.value.field == "skill"
    with pytest.raises(DomainError) as err:
        materials(people["owner"], step3, item="  ")
    assert err.value.field == "item"
    with pytest.raises(DomainError) as err:
        materials(people["owner"], step3, quantity="")
    assert err.value.field == "quantity"
    with pytest.raises(DomainError) as err:
        materials(people["owner"], step3, value="-3")
    assert err.value.field == "value"


@pytest.mark.parametrize("who", ["committee", "property", "city", "outsider", "pending"])
def test_only_confirmed_residents_of_the_community_may_pledge(step3, people, who):
    with pytest.raises(DomainError, match="Only residents of this community"):
        money(people[who], step3)
    db.session.rollback()
    assert count(Pledge) == 0


@pytest.mark.parametrize("key", ["consult", "plan", "build", "share"])
def test_pledges_are_refused_outside_step_3(db, community, plan, people, key):
    factories.current_step(db.session, community, key)
    with pytest.raises(DomainError, match="step 3"):
        money(people["owner"], community)
    assert count(Pledge) == 0


def test_a_resident_pledges_only_for_their_own_home(step3, people, units):
    with pytest.raises(DomainError, match="one of your homes") as err:
        money(people["owner"], step3, unit_id=units[5].id)
    assert err.value.field == "unit_id"
    pledge, _ = money(people["owner"], step3, unit_id=units[0].id)
    assert pledge.unit_id == units[0].id


# --- lifecycle ----------------------------------------------------------------------------------


def test_withdraw_until_fulfilled(step3, people):
    owner, committee = people["owner"], people["committee"]
    pledge, _ = money(owner, step3, "600")
    db.session.commit()
    with pytest.raises(DomainError, match="Only the resident"):
        services.withdraw(people["owner2"], pledge)
    services.withdraw(owner, pledge)
    db.session.commit()
    assert pledge.status == "withdrawn" and pledge.withdrawn_at is not None
    services.withdraw(owner, pledge)  # a second tap changes nothing
    with pytest.raises(DomainError, match="withdrew"):
        services.confirm(committee, pledge, reference="R1")

    second, _ = money(owner, step3, "700")
    services.confirm(committee, second, reference="收据 0001")
    db.session.commit()
    with pytest.raises(DomainError, match="cannot be withdrawn"):
        services.withdraw(owner, second)


def test_confirming_money_needs_the_reference_and_records_what_was_received(step3, people):
    owner, committee = people["owner"], people["committee"]
    pledge, _ = money(owner, step3, "1000")
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.confirm(committee, pledge, reference=" ")
    assert err.value.field == "reference"
    db.session.rollback()
    services.confirm(committee, pledge, received="950", reference="收据 0007")
    db.session.commit()
    assert (pledge.status, pledge.confirmed_value, pledge.reference) == (
        "fulfilled",
        D("950.00"),
        "收据 0007",
    )
    assert pledge.fulfilled_by_id == committee.id
    with pytest.raises(DomainError, match="already confirmed"):
        services.confirm(committee, pledge, reference="again")
    with pytest.raises(DomainError, match="already confirmed"):
        services.cancel(committee, pledge, "mistake")
    audit = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert audit == ["pledge.make", "pledge.confirm"]
    inbox = db.session.scalars(select(Message).where(Message.user_id == owner.id)).all()
    assert [m.title for m in inbox] == ["The committee confirmed your contribution. Thank you!"]


def test_confirming_labour_values_the_hours_worked_at_the_rules_rate(step3, people):
    pledge, _ = labour(people["tenant"], step3, "10")
    services.confirm(people["committee"], pledge, hours_worked="7.5")
    db.session.commit()
    assert pledge.hours_worked == D("7.5")
    assert pledge.confirmed_value == D("225.00")  # 7.5 h × ¥30 (city default)
    with pytest.raises(DomainError):
        other, _ = labour(people["tenant"], step3, "10")
        services.confirm(people["committee"], other, hours_worked="600")


def test_confirming_materials_records_the_items_delivered(step3, people):
    pledge, _ = materials(people["family"], step3)
    services.confirm(people["committee"], pledge, delivered="2桶外墙涂料", value="280")
    db.session.commit()
    assert (pledge.delivered, pledge.confirmed_value) == ("2桶外墙涂料", D("280.00"))


def test_cancelling_needs_a_reason_and_tells_the_resident(step3, people):
    owner, committee = people["owner"], people["committee"]
    pledge, _ = money(owner, step3, "300")
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.cancel(committee, pledge, "  ")
    assert err.value.field == "reason"
    with pytest.raises(DomainError):
        services.cancel(committee, pledge, "x" * 301)
    db.session.rollback()
    services.cancel(committee, pledge, "重复登记")
    db.session.commit()
    assert (pledge.status, pledge.cancel_reason) == ("cancelled", "重复登记")
    msg = db.session.scalar(select(Message).where(Message.user_id == owner.id))
    assert msg.params == {"reason": "重复登记"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.cancel"))
    assert entry.actor_id == committee.id and entry.detail["reason"] == "重复登记"
    with pytest.raises(DomainError, match="cannot be withdrawn|cancelled"):
        services.withdraw(owner, pledge)


# --- funding plan -------------------------------------------------------------------------------


def test_the_funding_plan_starts_from_the_plans_sources_and_shows_the_gap(step3, plan, people):
    led = services.ledger(step3)
    assert led.gap == D("0.00") and led.sources_total == D("584400.00")
    services.set_sources(
        people["committee"],
        step3,
        {"government_subsidy": "450000", "property_company": "30000.50"},
    )
    db.session.commit()
    rows = {s.kind: s.amount for s in services.sources_of(step3, plan.id)}
    assert len(rows) == 7
    assert rows["government_subsidy"] == D("450000.00") and rows["residents"] == D("64400.00")
    led = services.ledger(step3)
    assert led.gap == D("19999.50")  # 584,400.00 − 564,400.50
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "funding.sources"))
    assert entry.detail["government_subsidy"] == "450000.00"


def test_the_maintenance_fund_needs_a_passed_vote_of_this_community(step3, plan, people):
    committee = people["committee"]
    with pytest.raises(DomainError) as err:
        services.set_sources(committee, step3, {"maintenance_fund": "20000"})
    assert err.value.field == "fund_vote_id"
    db.session.rollback()
    failed = closed_vote(db.session, step3, actor=committee, agree=0)
    db.session.commit()
    with pytest.raises(DomainError):
        services.set_sources(
            committee, step3, {"maintenance_fund": "20000"}, fund_vote_id=failed.id
        )
    db.session.rollback()
    other = db.session.scalar(select(factories.Community).where(factories.Community.code == "T02"))
    foreign = closed_vote(db.session, other, actor=people["other_committee"])
    db.session.commit()
    with pytest.raises(DomainError):
        services.set_sources(
            committee, step3, {"maintenance_fund": "20000"}, fund_vote_id=foreign.id
        )
    db.session.rollback()
    passed = closed_vote(db.session, step3, actor=committee, title="使用维修资金")
    db.session.commit()
    services.set_sources(committee, step3, {"maintenance_fund": "20000"}, fund_vote_id=passed.id)
    db.session.commit()
    fund = db.session.scalar(select(FundingSource).where(FundingSource.kind == "maintenance_fund"))
    assert (fund.amount, fund.vote_id) == (D("20000.00"), passed.id)


def test_a_negative_or_absurd_source_is_refused(step3, people):
    for bad in ("-1", "1e12", "x"):
        with pytest.raises(DomainError) as err:
            services.set_sources(people["committee"], step3, {"utilities": bad})
        assert err.value.field == "amount_utilities"
        db.session.rollback()


def test_no_funding_plan_without_an_adopted_plan(db, community, people):
    factories.current_step(db.session, community, "pledge")
    with pytest.raises(DomainError, match="no adopted plan"):
        services.set_sources(people["committee"], community, {})
    assert services.ledger(community).gap is None


# --- the reward rule ----------------------------------------------------------------------------


def test_the_city_default_applies_until_the_community_sets_its_own(app, step3, people, monkeypatch):
    rule = services.rule_in_use(step3)
    assert rule.inherited and rule.rule.match_ratio == D("1")
    monkeypatch.setitem(app.config, "PLEDGE_REWARD_DEFAULT", {"match_ratio": "0.5"})
    assert services.rule_in_use(step3).rule.match_ratio == D("0.5")
    services.set_reward_rule(
        people["committee"],
        step3,
        match_ratio="2",
        include_in_kind=True,
        labour_rate="40",
        cap_kind="total",
        cap_amount="50000",
        min_household_share_pct="70",
        min_per_m2="10",
    )
    db.session.commit()
    mine = services.rule_in_use(step3)
    assert not mine.inherited
    assert (mine.rule.match_ratio, mine.rule.cap_amount, mine.rule.min_household_share) == (
        D("2.0000"),
        D("50000.00"),
        D("0.7000"),
    )
    assert mine.labour_rate == D("40.00") and mine.rule.include_in_kind
    assert services.inherit_reward_rule(people["committee"], step3)
    db.session.commit()
    assert services.rule_in_use(step3).inherited
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["reward.set", "reward.inherit"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("match_ratio", "-1"),
        ("match_ratio", "11"),
        ("min_household_share_pct", "101"),
        ("min_per_m2", "-5"),
        ("cap_kind", "weekly"),
        ("cap_amount", "abc"),
    ],
)
def test_an_impossible_reward_rule_is_refused_next_to_its_field(step3, people, field, value):
    values = {
        "match_ratio": "1",
        "include_in_kind": False,
        "labour_rate": "30",
        "cap_kind": "total",
        "cap_amount": "1000",
        "min_household_share_pct": "50",
        "min_per_m2": "5",
    }
    values[field] = value
    with pytest.raises(DomainError) as err:
        services.set_reward_rule(people["committee"], step3, **values)
    assert err.value.field == field


# --- the ledger ---------------------------------------------------------------------------------


def _story(community, people, units):
    """Pledges in every state, from four homes in two buildings."""
    committee = people["committee"]
    a, _ = money(people["owner"], community, "4025", honour=True)
    b, _ = money(people["owner2"], community, "2000")
    c, _ = money(people["tenant"], community, "500")
    d, _ = money(people["family"], community, "900")
    e, _ = labour(people["tenant"], community, "6")
    f, _ = materials(people["owner2"], community, value="450")
    services.confirm(committee, a, reference="R-001")
    services.confirm(committee, b, received="1800", reference="R-002")
    services.confirm(committee, e, hours_worked="5")
    services.confirm(committee, f)
    services.withdraw(people["family"], d)
    services.cancel(committee, c, "住户搬走")
    db.session.commit()
    return a, b, c, d, e, f


def test_ledger_totals_equal_the_sum_of_confirmed_pledges(step3, people, units):
    _story(step3, people, units)
    led = services.ledger(step3)
    confirmed = db.session.scalars(select(Pledge).where(Pledge.status == "fulfilled")).all()
    money_in = sum(p.confirmed_value for p in confirmed if p.kind == "money")
    assert led.money.confirmed_value == money_in == D("5825.00")
    assert led.money.confirmed_count == 2
    assert led.money.pledged_amount == D("6025.00")  # withdrawn and cancelled left out
    assert led.kinds["labour"].confirmed_hours == D("5.0")
    assert led.kinds["labour"].confirmed_value == D("150.00")
    assert led.kinds["materials"].confirmed_value == D("450.00")
    assert led.households_pledging == 3  # owner, owner2, tenant's home (the tenant's labour)
    assert sum(b.money_confirmed for b in led.buildings) == money_in
    assert [b.households_pledging for b in led.buildings] == [2, 1]
    assert led.progress == D("5825.00") / D("64400.00")
    # City default: 10 of 16 homes and ¥6,440.00 needed; ¥615.00 more and 7 more homes.
    assert (led.result.missing_money, led.result.missing_households) == (D("615.00"), 7)
    assert led.result.reward == D("0.00") and led.result.unlocks == D("6440.00")


def test_the_honour_roll_names_only_those_who_opted_in(step3, people, units):
    _story(step3, people, units)
    people["owner"].name = "张伟民"
    people["owner2"].name = "李秀英"
    people["tenant"].name = "刘洋"
    db.session.commit()
    roll = services.honour_roll(step3.id)
    names = {r.name for r in roll}
    assert "张伟民" in names  # opted in
    assert "李**" in names and "刘*" in names  # masked: no opt-in
    assert "李秀英" not in names and "刘洋" not in names
    assert all(r.building for r in roll)
    owner_row = next(r for r in roll if r.name == "张伟民")
    assert owner_row.named and owner_row.money == D("4025.00")


def test_spending_entries_are_checked_audited_and_summed(step3, people):
    committee = people["committee"]
    services.add_spending(
        committee, step3, spent_on="2026-01-05", amount="1200", purpose="涂料", payee="某公司"
    )
    services.add_spending(committee, step3, spent_on="2026-01-06", amount="300.5", purpose="工具")
    db.session.commit()
    led = services.ledger(step3)
    assert led.spent == D("1500.50") and len(led.spending) == 2
    for kwargs, field_name in [
        ({"spent_on": "2999-01-01", "amount": "1", "purpose": "x"}, "spent_on"),
        ({"spent_on": "nope", "amount": "1", "purpose": "x"}, "spent_on"),
        ({"spent_on": "2026-01-01", "amount": "0", "purpose": "x"}, "amount"),
        ({"spent_on": "2026-01-01", "amount": "5", "purpose": " "}, "purpose"),
        ({"spent_on": "2026-01-01", "amount": "5", "purpose": "x", "source": "bank"}, "source"),
    ]:
        with pytest.raises(DomainError) as err:
            services.add_spending(committee, step3, **kwargs)
        assert err.value.field == field_name
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "spending.add")
        )
        == 2
    )


def test_totals_by_community_match_the_ledger_in_a_fixed_number_of_queries(step3, people, units):
    from tests.voting.view_fixtures import count_queries

    _story(step3, people, units)
    with count_queries() as statements:
        totals = public.totals_by_community()
    assert len(statements) <= 4
    led = services.ledger(step3)
    mine = totals[step3.id]
    assert mine["confirmed"] == led.money.confirmed_value
    assert mine["pledged"] == led.money.pledged_amount
    assert mine["households_pledging"] == led.households_pledging == 3
    assert mine["households"] == 16 and mine["reward"] == led.result.reward
    assert set(totals) >= {step3.id}


def test_funding_summary_has_no_personal_data(step3, people, units):
    _story(step3, people, units)
    people["owner"].name = "张伟民"
    db.session.commit()
    doc = public.funding_summary(step3.id)
    text = repr(doc)
    assert "张伟民" not in text and people["owner"].phone not in text and "R-001" not in text
    assert doc["confirmed"]["money"] == {"count": 2, "amount": "5825.00"}
    assert doc["households"] == {"total": 16, "pledging": 3}
    assert doc["reward"]["missing_households"] == 7
    assert doc["sources"][0] == {
        "kind": "government_subsidy",
        "amount": "500000.00",
        "authorised_by_vote": None,
    }


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_double_submissions_make_one_pledge(app, db, step3, people):
    """12 requests with the same form token at the same moment, each in its own thread,
    session and connection: one pledge, every request answered with it."""
    user_id, community_id = people["owner"].id, step3.id
    token = services.new_token()
    n = 12
    barrier = threading.Barrier(n)
    results, errors = [], []

    def submit() -> None:
        from participation.core.models import Community, User
        from participation.extensions import db as _db

        with app.test_request_context(headers={"Cookie": "lang=en"}):
            try:
                user = _db.session.get(User, user_id)
                comm = _db.session.get(Community, community_id)
                _ = (user.name, comm.code)
                _db.session.commit()  # hold no connection while waiting
                barrier.wait(timeout=10)
                pledge, created = services.make_pledge(
                    user, comm, unit_id=None, kind="money", token=token, amount="888"
                )
                _db.session.commit()
                results.append((pledge.id, created))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    db.session.expire_all()
    assert count(Pledge) == 1
    assert len({pid for pid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
