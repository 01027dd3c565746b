"""Creating, editing, opening and closing votes; the notice period; scheduling; announcements."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message, Notice
from participation.core.timeutil import aware, utcnow
from participation.voting import services
from participation.voting.models import Vote, VoteElector
from participation.voting.services import CustomRule
from tests import factories
from tests.voting import helpers
from tests.voting.helpers import DAY


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_create_vote_stores_a_draft_and_audits(db, community, committee):
    vote = helpers.draft_vote(db.session, community, actor=committee, turnout_public=True)
    assert vote.status == "draft" and vote.rule == "ordinary" and vote.scope_kind == "community"
    assert vote.electorate is None and vote.result_notice_days == 7
    assert "vote.create" in audit_actions(db)


def test_custom_rule_is_stored_as_exact_fractions(db, community, committee):
    vote = helpers.draft_vote(
        db.session,
        community,
        actor=committee,
        rule="custom",
        custom=CustomRule("2/3", "at_least", "electorate", quorum="50%"),
    )
    assert (vote.approval_num, vote.approval_den, vote.approval_base) == (2, 3, "electorate")
    assert (vote.quorum_num, vote.quorum_den) == (1, 2)
    spec = vote.rule_spec
    assert spec.approval.fraction == spec.approval.fraction.__class__(2, 3)
    assert "whole electorate" in services.describe_rule(vote)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "  "}, "title"),
        ({"question": ""}, "question"),
        ({"rule": "majority"}, "rule"),
        ({"rule": "custom"}, "rule"),
        ({"rule": "custom", "custom": CustomRule("3/2")}, "rule"),
        ({"rule": "custom", "custom": CustomRule("1", "more_than")}, "rule"),
        ({"scope_kind": "buildings", "scope_ids": []}, "scope"),
        ({"scope_kind": "entrance", "scope_ids": [1, 2]}, "scope"),
        ({"scope_kind": "buildings", "scope_ids": [99999]}, "scope"),
        ({"days": 4}, "closes_at"),
        ({"days": 61}, "closes_at"),
    ],
)
def test_create_vote_refuses_bad_input(db, community, committee, changes, field):
    changes = dict(changes)
    days = changes.pop("days", 7)
    with pytest.raises(DomainError) as err:
        helpers.draft_vote(db.session, community, actor=committee, days=days, **changes)
    assert err.value.field == field


@pytest.mark.parametrize("days", [5, 60])
def test_period_bounds_are_inclusive(db, community, committee, days):
    vote = helpers.draft_vote(db.session, community, actor=committee, days=days)
    assert aware(vote.closes_at) - aware(vote.opens_at) == timedelta(days=days)


def test_opening_time_before_the_notice_period_ends_is_refused_at_creation(
    db, community, committee
):
    topic = helpers.topic(db.session, community, posted_at=utcnow() - 2 * DAY)  # 5 days left
    with pytest.raises(DomainError) as err:
        helpers.draft_vote(db.session, community, actor=committee, the_topic=topic)
    assert "notice period" in err.value.message and err.value.field == "opens_at"
    vote = helpers.draft_vote(
        db.session, community, actor=committee, the_topic=topic, opens_at=utcnow() + 5 * DAY
    )
    assert vote.status == "draft"


def test_open_is_refused_before_the_notice_period_and_allowed_exactly_at_its_end(
    db, community, committee
):
    posted = utcnow() - 3 * DAY
    topic = helpers.topic(db.session, community, posted_at=posted, notice_days=7)
    ends = posted + 7 * DAY
    vote = helpers.draft_vote(
        db.session, community, actor=committee, the_topic=topic, opens_at=ends
    )
    with pytest.raises(DomainError) as err:
        services.open_vote(committee, vote, now=ends - timedelta(seconds=1))
    assert "notice period" in err.value.message
    db.session.rollback()
    services.open_vote(committee, vote, now=ends)
    db.session.commit()
    assert vote.status == "open" and aware(vote.opens_at) == ends


def test_configurable_notice_period(db, community, committee):
    topic = helpers.topic(db.session, community, posted_at=utcnow() - 10 * DAY, notice_days=15)
    with pytest.raises(DomainError):
        helpers.draft_vote(db.session, community, actor=committee, the_topic=topic)


def test_a_vote_on_an_unposted_topic_cannot_open(db, community, committee):
    topic = helpers.topic(db.session, community, status="draft")
    vote = helpers.draft_vote(db.session, community, actor=committee, the_topic=topic)
    with pytest.raises(DomainError) as err:
        services.open_vote(committee, vote)
    assert "must be posted" in err.value.message


def test_open_refuses_when_the_remaining_period_is_too_short(db, community, committee):
    # Planned from tomorrow noon (Asia/Shanghai) for 5 calendar days.
    zone = ZoneInfo("Asia/Shanghai")
    noon = datetime.combine(utcnow().astimezone(zone).date() + DAY, time(12), zone)
    vote = helpers.draft_vote(db.session, community, actor=committee, days=5, opens_at=noon)
    with pytest.raises(DomainError) as err:
        services.open_vote(committee, vote, now=noon + DAY)  # 4 calendar days left
    assert "between 5 and 60 days" in err.value.message
    db.session.rollback()
    services.open_vote(committee, vote, now=noon + timedelta(hours=5))  # same day: fine
    assert vote.status == "open"


def test_open_freezes_the_electorate_and_announces(db, community, committee):
    resident = factories.resident(db.session, community, "tenant")
    vote = helpers.open_vote(db.session, community, actor=committee)
    # 16 units of 80.50 m²; the owner of 1-1-101 also owns 1-1-102: 15 heads.
    assert (vote.electorate_owners, vote.electorate_units) == (15, 16)
    assert vote.electorate.area == Decimal("1288.00")
    two_units = db.session.scalar(
        select(VoteElector).where(VoteElector.vote_id == vote.id, VoteElector.units == 2)
    )
    assert two_units.area == Decimal("161.00") and len(two_units.unit_ids) == 2
    notice = db.session.scalar(select(Notice).where(Notice.kind == "vote"))
    assert vote.title in notice.title and f"/votes/{vote.id}" in notice.body
    msg = db.session.scalar(select(Message).where(Message.user_id == resident.id))
    assert msg.params["title"] == vote.title and msg.link.endswith(f"/votes/{vote.id}")
    assert "vote.open" in audit_actions(db)


def test_the_electorate_does_not_move_after_opening(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    unit = helpers.units_of(db.session, community)[-1]
    unit.area = Decimal("500.00")
    db.session.commit()
    assert services.tally(vote).electorate.area == Decimal("1288.00")


def test_edit_only_while_draft(db, community, committee):
    vote = helpers.draft_vote(db.session, community, actor=committee)
    services.update_vote(committee, vote, title="新标题", rule="special", turnout_public=True)
    db.session.commit()
    assert (vote.title, vote.rule, vote.turnout_public) == ("新标题", "special", True)
    services.open_vote(committee, vote)
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.update_vote(committee, vote, title="改")
    assert "closed early" in err.value.message
    with pytest.raises(DomainError):
        services.delete_draft_vote(committee, vote)


def test_delete_a_draft(db, community, committee):
    vote = helpers.draft_vote(db.session, community, actor=committee)
    services.delete_draft_vote(committee, vote)
    db.session.commit()
    assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_closing_early_needs_a_reason(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    with pytest.raises(DomainError) as err:
        services.close_vote(committee, vote, reason="  ")
    assert err.value.field == "reason"
    db.session.rollback()
    services.close_vote(committee, vote, reason="工程取消")
    db.session.commit()
    assert vote.status == "closed" and vote.closed_early_reason == "工程取消"
    assert vote.final_hash and vote.result["passed"] is False
    with pytest.raises(DomainError):
        services.close_vote(committee, vote, reason="again")


def test_due_votes_close_lazily_or_from_the_cli(app, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    later = aware(vote.closes_at) + timedelta(minutes=1)
    assert services.refresh_vote(vote, now=utcnow()) is False
    assert services.refresh_vote(vote, now=later) is True
    db.session.commit()
    assert vote.status == "closed" and vote.closed_early_reason == ""
    other = helpers.open_vote(db.session, community, actor=committee)
    report = services.process_due_votes(now=aware(other.closes_at))
    db.session.commit()
    assert report.closed == [other.id] and other.status == "closed"
    result_notices = db.session.scalars(select(Notice.title).where(Notice.kind == "vote")).all()
    assert sum("result" in t.lower() for t in result_notices) == 2


def test_auto_open_at_the_planned_time(app, db, community, committee):
    opens = utcnow() + DAY
    vote = helpers.draft_vote(
        db.session, community, actor=committee, opens_at=opens, auto_open=True
    )
    assert services.process_due_votes(now=opens - timedelta(seconds=1)).opened == []
    report = services.process_due_votes(now=opens + timedelta(hours=2))
    db.session.commit()
    assert report.opened == [vote.id] and vote.status == "open"
    assert aware(vote.opens_at) == opens  # the announced time stays


def test_a_refused_auto_open_is_reported_and_leaves_the_draft(app, db, community, committee):
    topic = helpers.topic(db.session, community, status="draft")
    vote = helpers.draft_vote(
        db.session, community, actor=committee, the_topic=topic, auto_open=True
    )
    report = services.process_due_votes(now=utcnow() + timedelta(minutes=1))
    db.session.commit()
    assert report.opened == [] and report.failed[0][0] == vote.id
    assert vote.status == "draft"
    assert services.refresh_vote(vote) is False


def test_reminders_go_once_to_owners_who_have_not_voted(app, db, community, committee):
    units = helpers.units_of(db.session, community)
    voted = helpers.owner_account(db.session, community, units[0])
    waiting = helpers.owner_account(db.session, community, units[2])
    family = helpers.owner_account(db.session, community, units[3], "family")
    vote = helpers.open_vote(db.session, community, actor=committee, days=5)
    services.cast_ballot(voted, vote, "agree")
    db.session.commit()
    assert services.send_reminders() == 0  # not yet inside the 48 h window
    soon = aware(vote.closes_at) - timedelta(hours=47)
    assert services.send_reminders(now=soon) == 1
    db.session.commit()
    assert services.send_reminders(now=soon) == 0
    reminded = db.session.scalars(
        select(Message.user_id).where(Message.title.like("Reminder%"))
    ).all()
    assert reminded == [waiting.id]
    assert family.id not in reminded
    assert db.session.scalar(select(Notice).where(Notice.title.like("Vote closes soon%")))


def test_result_notice_data(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee, rule="advisory")
    services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    notice = services.result_notice(vote)
    assert notice.passed is None
    assert notice.posted_until - notice.posted_from == timedelta(days=7)
    assert notice.final_hash == vote.final_hash and notice.scope == "The whole community"


def test_scope_preview_and_labels(db, community, committee):
    unit = helpers.unit_at(db.session, community, "1", "1", "101")
    entrance = unit.entrance_id
    building = unit.entrance.building_id
    preview = services.electorate_preview(community, "entrance", [entrance])
    assert (preview.heads, preview.units, preview.area) == (3, 4, Decimal("322.00"))
    preview = services.electorate_preview(community, "buildings", [building])
    assert (preview.heads, preview.units, preview.area) == (7, 8, Decimal("644.00"))
    vote = helpers.draft_vote(
        db.session, community, actor=committee, scope_kind="entrance", scope_ids=[entrance]
    )
    assert services.scope_label(vote) == "Entrance 1-1"
    services.update_vote(committee, vote, scope_kind="buildings", scope_ids=[building])
    assert services.scope_label(vote) == "Buildings 1"
    assert "more than half" in services.describe_rule(vote)
    assert services.votes_of(community) == []
    assert services.votes_of(community, include_drafts=True) == [vote]
    assert services.votes_of_topic(vote.topic) == [vote]
