"""The costed plan: composing, validation, publishing through a consult topic, the confirmation
vote deciding adopted / rejected, versioning, the step gate, the public read interface."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from participation.consult.models import Topic, TopicStatus
from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Unit
from participation.core.services.community import STEP_GATES
from participation.core.timeutil import utcnow
from participation.plan import plans, public, services
from participation.plan.models import MenuItem, Plan, PlanLine, PlanSource
from participation.voting import services as voting
from participation.voting.models import VoteElector


@pytest.fixture()
def menu(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    db.session.commit()
    return community


def _item(key: str) -> MenuItem:
    from participation.extensions import db

    # The menu fixture's community's item: a test that makes a second menu has the same keys
    # (PostgreSQL returned either without an order: an intermittent failure).
    return db.session.scalar(select(MenuItem).where(MenuItem.key == key).order_by(MenuItem.id))


def _draft(db, community, people, lines=None, sources=None) -> Plan:
    chair = people["committee"]
    plan = plans.create_plan(chair, community, "Plan", "why")
    lines = lines or [
        plans.LineInput(_item("roof").id, "1", "100000"),
        plans.LineInput(_item("parking").id, "20", "2500.50"),
    ]
    plans.save_plan(
        chair,
        plan,
        title="Plan",
        summary="why",
        lines=lines,
        sources=sources
        if sources is not None
        else {"government_subsidy": "100000", "residents": "50010.00"},
    )
    db.session.commit()
    return plan


def _pass_vote(db, plan, people, *, agree=True):
    """Publish was done; create the vote, open it after the notice period, every owner votes
    on paper, close it."""
    chair = people["committee"]
    topic = db.session.get(Topic, plan.topic_id)
    opens = topic.notice_ends_at + timedelta(hours=1)
    vote = plans.put_to_vote(chair, plan, opens_at=opens, closes_at=opens + timedelta(days=7))
    voting.open_vote(chair, vote, now=opens)
    owners = db.session.scalars(
        select(VoteElector.owner_id).where(VoteElector.vote_id == vote.id)
    ).all()
    for n, owner_id in enumerate(owners):
        voting.enter_paper_ballot(
            chair,
            vote,
            "agree" if agree else "disagree",
            f"P{n}",
            owner_id=owner_id,
            now=opens + timedelta(hours=2),
        )
    voting.close_vote(None, vote, now=opens + timedelta(days=7, minutes=1))
    db.session.commit()
    return vote


# ---------------------------------------------------------------------------------------------
# Composing


def test_save_computes_costs_total_and_residents_part(db, menu, people):
    plan = _draft(db, menu, people)
    s = plans.summary_of(plan)
    assert [(line.quantity, line.unit_cost, line.cost) for line in s.lines] == [
        (D("1.00"), D("100000.00"), D("100000.00")),
        (D("20.00"), D("2500.50"), D("50010.00")),
    ]
    assert s.total == D("150010.00") and s.residents_total == D("50010.00")
    assert s.sources == (("government_subsidy", D("100000.00")), ("residents", D("50010.00")))
    assert s.gap == 0 and s.status == "draft" and s.version == 1


def test_line_cost_rounds_half_up_to_the_fen():
    assert plans.line_cost(D("3.33"), D("0.15")) == D("0.50")  # 0.4995
    assert plans.line_cost(D("0.5"), D("0.01")) == D("0.01")  # 0.005


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("qty", "-1", "The quantity cannot be negative."),
        ("qty", "abc", "The quantity must be a number, such as 1 or 120.5."),
        ("qty", "NaN", "The quantity must be a number, such as 1 or 120.5."),
        ("cost", "-0.01", "The amount cannot be negative."),
        ("cost", "1e3x", "The amount must be a number of yuan, such as 1200 or 85.50."),
        ("cost", "1.005", "Use at most 2 decimal places."),
        ("cost", "Infinity", "The amount must be a number of yuan, such as 1200 or 85.50."),
        ("source", "lots", "The amount must be a number of yuan, such as 1200 or 85.50."),
        ("source", "-5", "The amount cannot be negative."),
        ("source", "99999999999", "The number is too large (at most 1,000,000,000)."),
    ],
)
def test_bad_numbers_are_refused_and_nothing_is_written(db, menu, people, field, value, message):
    plan = _draft(db, menu, people)
    roof = _item("roof")
    lines = [plans.LineInput(roof.id, "2", "10")]
    sources = {"residents": "20"}
    if field == "qty":
        lines = [plans.LineInput(roof.id, value, "10")]
    elif field == "cost":
        lines = [plans.LineInput(roof.id, "2", value)]
    else:
        sources = {"residents": value}
    with pytest.raises(DomainError) as err:
        plans.save_plan(
            people["committee"], plan, title="New", summary="", lines=lines, sources=sources
        )
    db.session.rollback()
    assert err.value.message == message
    db.session.expire_all()
    s = plans.summary_of(db.session.get(Plan, plan.id))
    assert s.title == "Plan" and s.total == D("150010.00") and len(s.lines) == 2


def test_items_must_be_this_communitys_and_once(db, menu, people):
    from tests import factories

    other = factories.community(db.session, code="T09", buildings=1, entrances=1, per_entrance=2)
    services.ensure_menu(other, None)
    foreign = db.session.scalar(select(MenuItem).where(MenuItem.community_id == other.id).limit(1))
    plan = _draft(db, menu, people)
    for lines in (
        [plans.LineInput(foreign.id, "1", "1")],
        [plans.LineInput("x", "1", "1")],
        [plans.LineInput(_item("roof").id, "1", "1")] * 2,
    ):
        with pytest.raises(DomainError):
            plans.save_plan(
                people["committee"], plan, title="T", summary="", lines=lines, sources={}
            )
        db.session.rollback()
    with pytest.raises(DomainError, match="Unknown funding source"):
        plans.save_plan(
            people["committee"], plan, title="T", summary="", lines=[], sources={"bank": "1"}
        )


def test_title_required_and_one_first_plan(db, menu, people):
    with pytest.raises(DomainError, match="title"):
        plans.create_plan(people["committee"], menu, "  ")
    _draft(db, menu, people)
    with pytest.raises(DomainError, match="already has a plan"):
        plans.create_plan(people["committee"], menu, "Another")


def test_prefill_from_the_menu_estimate(db, menu, people):
    units, area = plans.community_totals(menu.id)
    assert (units, area) == (16, D("1288.00"))
    item = _item("roof")
    assert plans.prefill(item, units, area) == (D("1.00"), D("0.00"))  # no estimate
    item.cost_basis, item.cost_amount = "total", D("5000")
    assert plans.prefill(item, units, area) == (D("1.00"), D("5000.00"))
    item.cost_basis, item.cost_amount = "per_unit", D("800")
    assert plans.prefill(item, units, area) == (D("16.00"), D("800.00"))
    item.cost_basis, item.cost_amount = "per_m2", D("20.5")
    assert plans.prefill(item, units, area) == (D("1288.00"), D("20.50"))


# ---------------------------------------------------------------------------------------------
# Shares


def test_unit_shares_by_area_sum_exactly(db, menu, people):
    units = db.session.scalars(select(Unit).where(Unit.community_id == menu.id)).all()
    for n, unit in enumerate(units):
        unit.area = D("60.00") + D(n) * D("3.37")
    db.session.commit()
    plan = _draft(db, menu, people)
    shares = public.unit_shares(plan.id)
    assert set(shares) == {u.id for u in units}
    assert sum(shares.values()) == D("50010.00")
    biggest = max(units, key=lambda u: u.area)
    smallest = min(units, key=lambda u: u.area)
    assert shares[biggest.id] > shares[smallest.id]
    table = plans.share_table(plan)
    assert [r.share for r in table] == [shares[r.unit_id] for r in table]
    assert table[0].label == "1-1-101"
    mine = plans.my_shares(plan, [units[0]])
    assert mine == [(units[0], shares[units[0].id])]


def test_share_table_is_two_queries(db, menu, people):
    from tests.consult.helpers import count_queries

    plan = _draft(db, menu, people)
    assert plan.community_id == menu.id  # loaded
    with count_queries() as queries:
        rows = plans.share_table(plan)
    assert len(queries) == 2 and len(rows) == 16


# ---------------------------------------------------------------------------------------------
# Publishing, voting, versions


def test_publish_posts_a_topic_linking_to_the_plan(db, menu, people):
    plan = _draft(db, menu, people)
    topic = plans.publish_plan(people["committee"], plan, 10)
    db.session.commit()
    assert plan.status == "notice" and plan.topic_id == topic.id
    assert topic.status == TopicStatus.POSTED and topic.notice_days == 10
    assert f"/c/T01/plan/{plan.id}" in topic.body
    assert plans.notice_ends_at(plan) == topic.notice_ends_at


def test_publish_default_notice_is_7_days_and_configurable(app, db, menu, people):
    plan = _draft(db, menu, people)
    topic = plans.publish_plan(people["committee"], plan)
    assert topic.notice_days == 7
    db.session.rollback()
    app.config["PLAN_NOTICE_DAYS"] = 15
    try:
        plan = db.session.get(Plan, plan.id)
        assert plans.publish_plan(people["committee"], plan).notice_days == 15
    finally:
        del app.config["PLAN_NOTICE_DAYS"]
        db.session.rollback()


def test_publish_refused_with_a_gap_or_no_items(db, menu, people):
    plan = _draft(db, menu, people, sources={"residents": "10"})
    with pytest.raises(DomainError, match="add up to ¥10.00 but the plan costs ¥150,010.00"):
        plans.publish_plan(people["committee"], plan)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Topic.id))) == 0
    plans.save_plan(people["committee"], plan, title="T", summary="", lines=[], sources={})
    with pytest.raises(DomainError, match="at least one item"):
        plans.publish_plan(people["committee"], plan)


def test_published_plan_cannot_be_edited(db, menu, people):
    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    with pytest.raises(DomainError, match="cannot be changed"):
        plans.save_plan(people["committee"], plan, title="X", summary="", lines=[], sources={})
    with pytest.raises(DomainError):
        plans.publish_plan(people["committee"], plan)


def test_vote_cannot_open_inside_the_notice_period(db, menu, people):
    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    too_early = utcnow() + timedelta(days=2)
    with pytest.raises(DomainError, match="notice period"):
        plans.put_to_vote(
            people["committee"], plan, opens_at=too_early, closes_at=too_early + timedelta(days=7)
        )
    db.session.rollback()
    assert db.session.get(Plan, plan.id).status == "notice"


def test_draft_cannot_be_put_to_vote(db, menu, people):
    plan = _draft(db, menu, people)
    with pytest.raises(DomainError, match="Only a plan posted for comment"):
        plans.put_to_vote(people["committee"], plan)


def test_passed_vote_adopts_and_opens_the_gate(db, menu, people):
    gate = STEP_GATES["plan"]
    plan = _draft(db, menu, people)
    assert gate(menu) is not None
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    vote = _pass_vote(db, plan, people)
    assert vote.rule == "special" and vote.auto_open
    # Derived from the vote before anything is stored, then stored by settle().
    assert db.session.get(Plan, plan.id).status == "voting"
    adopted = public.adopted_plan(menu.id)
    assert adopted.id == plan.id and adopted.status == "adopted" and adopted.vote_id == vote.id
    assert adopted.adopted_at is not None
    assert public.adopted_plan_ids() == {menu.id: plan.id}
    assert gate(menu) is None
    assert plans.settle(plan) == "adopted"
    with pytest.raises(DomainError, match="adopted plan cannot be revised"):
        plans.revise(people["committee"], plan)


def test_failed_vote_rejects_and_allows_revision(db, menu, people):
    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    _pass_vote(db, plan, people, agree=False)
    assert public.current_plan(menu.id).status == "rejected"
    assert public.adopted_plan(menu.id) is None
    assert STEP_GATES["plan"](menu) is not None
    new = plans.revise(people["committee"], plan)
    db.session.commit()
    assert (new.version, new.status, new.predecessor_id) == (2, "draft", plan.id)
    assert plan.status == "rejected"  # the predecessor keeps its verdict
    assert public.current_plan(menu.id).id == new.id
    copied = plans.summary_of(new)
    assert copied.total == D("150010.00") and copied.residents_total == D("50010.00")


def test_revising_during_notice_supersedes(db, menu, people):
    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    new = plans.revise(people["committee"], plan)
    db.session.commit()
    assert plan.status == "superseded" and new.version == 2
    with pytest.raises(DomainError, match="newest version"):
        plans.revise(people["committee"], plan)
    with pytest.raises(DomainError, match="still a draft"):
        plans.revise(people["committee"], new)
    assert db.session.scalar(select(func.count(PlanLine.id))) == 4
    assert db.session.scalar(select(func.count(PlanSource.id))) == 4
    assert public.current_plan(menu.id).id == new.id


def test_revising_with_a_draft_vote_deletes_the_draft_vote(db, menu, people):
    from participation.voting.models import Vote

    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    vote = plans.put_to_vote(people["committee"], plan)
    db.session.commit()
    assert plan.status == "voting"
    new = plans.revise(people["committee"], plan)
    db.session.commit()
    assert db.session.get(Vote, vote.id) is None
    assert plan.status == "superseded" and plan.vote_id is None and new.version == 2


def test_actions_are_audited(db, menu, people):
    plan = _draft(db, menu, people)
    plans.publish_plan(people["committee"], plan)
    db.session.commit()
    actions = set(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("plan.%")))
    )
    assert actions == {"plan.create", "plan.save", "plan.publish"}


def test_public_interface_without_plans(db, menu):
    assert public.adopted_plan(menu.id) is None
    assert public.current_plan(menu.id) is None
    assert public.unit_shares(999) == {}
    assert public.adopted_plan_ids() == {}


def test_public_names_follow_the_locale(app, db, menu, people):
    from flask_babel import refresh

    plan = _draft(db, menu, people)
    names = {}
    for lang in ("zh_Hans", "en"):
        with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
            refresh()
            names[lang] = public.current_plan(plan.community_id).lines[0].name
    assert names == {"zh_Hans": "屋面防水修缮", "en": "Roof repair and waterproofing"}
