"""Step 1 in the demo seed: topics, discussion and votes where the timeline puts them (XFL
finished step 1 months ago, JSXC is in it now), all made through the services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import and_, func, select

# The feature seeds append their steps to SEED_STEPS when imported: importing them at
# collection puts them on the real list before any test swaps it for a copy.
import participation.consult.seed  # noqa: F401
import participation.voting.seed  # noqa: F401
from participation.consult.models import Comment, CommentReport, Topic, TopicStatus
from participation.core.errors import DomainError
from participation.core.models import (
    Community,
    Membership,
    Message,
    Notice,
    Project,
    Residency,
    ResidencyStatus,
    Unit,
    User,
)
from participation.core.timeutil import aware
from participation.voting import gates, services
from participation.voting.models import Ballot, BallotEvent, Vote, VoteElector, VoteProxy
from tests.seed.test_seed import NOW


@pytest.fixture()
def seeded(db, demo_copy):
    demo_copy(now=NOW)


def community(db, code: str) -> Community:
    return db.session.scalar(select(Community).where(Community.code == code))


def user(db, phone: str) -> User:
    return db.session.scalar(select(User).where(User.phone == phone))


def step_span(db, code: str, key: str):
    project = db.session.scalar(
        select(Project).where(Project.community_id == community(db, code).id)
    )
    step = next(s for s in project.steps if s.key == key)
    finished = aware(step.finished_at) if step.finished_at else None
    return aware(step.started_at), finished


def votes(db, code: str) -> dict[str, Vote]:
    """A community's votes by rule and scope, e.g. "special/community"."""
    found = db.session.scalars(
        select(Vote).where(Vote.community_id == community(db, code).id).order_by(Vote.id)
    ).all()
    by_kind: dict[str, Vote] = {}
    for v in found:  # the first of each kind (XFL's step 2 plan vote is special/community too)
        by_kind.setdefault(f"{v.rule}/{v.scope_kind}/{v.status}", v)
    return by_kind


def topic(db, code: str, status: str | None = None, title_part: str = "") -> Topic:
    query = select(Topic).where(
        Topic.community_id == community(db, code).id, Topic.title.contains(title_part)
    )
    if status:
        query = query.where(Topic.status == status)
    return db.session.scalars(query.order_by(Topic.id)).first()


def test_xfl_willingness_topic_was_posted_before_its_vote(db, seeded):
    started, finished = step_span(db, "XFL", "consult")
    the_topic = topic(db, "XFL", title_part="改造意愿征询")
    assert the_topic.title == "关于幸福里小区老旧小区改造意愿征询的议题"
    for part in ("拟改造内容", "资金来源", "表决方式", "四分之三"):
        assert part in the_topic.body
    vote = votes(db, "XFL")["special/community/closed"]
    assert vote.topic_id == the_topic.id
    assert started <= aware(the_topic.posted_at)
    assert aware(vote.opened_at) >= the_topic.notice_ends_at
    assert aware(vote.closed_at) >= aware(vote.closes_at)  # closed at its time, not early
    assert aware(vote.closed_at) < finished  # step 1 ended after the vote passed
    assert the_topic.status == TopicStatus.CLOSED


def test_xfl_willingness_vote_passed_with_every_kind_of_ballot(db, seeded):
    vote = votes(db, "XFL")["special/community/closed"]
    tally = services.tally(vote)
    assert tally.outcome.quorum_met and tally.outcome.passed is True
    assert vote.result["passed"] is True and vote.result["final_hash"] == vote.final_hash
    shares = tally.participation_shares
    assert 70 <= shares.heads <= 90 and 70 <= shares.area <= 90
    assert tally.channels["online"] >= 30 and tally.channels["paper"] >= 30
    assert tally.channels["proxy"] == 2
    assert tally.counts.disagree.heads > 0 and tally.counts.abstain.heads > 0
    proxies = db.session.scalars(select(VoteProxy).where(VoteProxy.vote_id == vote.id)).all()
    assert len(proxies) == 2 and all("委托书" in p.evidence for p in proxies)

    events = db.session.scalars(select(BallotEvent).where(BallotEvent.vote_id == vote.id)).all()
    kinds = [e.kind for e in events]
    assert kinds.count("change") >= 1
    (superseded,) = [e for e in events if e.kind == "supersede"]
    assert superseded.channel == "paper" and superseded.reason
    earlier = [e for e in events if e.owner_id == superseded.owner_id and e.id < superseded.id]
    assert earlier and earlier[-1].channel == "paper" and earlier[-1].reference
    papers = db.session.scalars(
        select(Ballot.reference).where(Ballot.vote_id == vote.id, Ballot.channel == "paper")
    ).all()
    assert papers and all(re.fullmatch(r"XFL-\d{4}-\d{3}", ref) for ref in papers)
    assert len(set(papers)) == len(papers)
    # The log was written in the order things happened, within the voting period.
    times = [aware(e.created_at) for e in sorted(events, key=lambda e: e.id)]
    assert times == sorted(times)
    assert aware(vote.opened_at) <= times[0] and times[-1] < aware(vote.closes_at)


def test_every_closed_vote_is_sealed_and_its_result_posted(db, seeded):
    closed = [v for v in votes(db, "XFL").values() if v.status == "closed"]
    assert len(closed) == 3
    for vote in closed:
        assert vote.final_hash and services.check_seal(vote), vote.title
        posted = db.session.scalars(
            select(Notice).where(
                Notice.community_id == vote.community_id,
                Notice.kind == "vote",
                Notice.body.contains(vote.final_hash),
            )
        ).all()
        assert len(posted) == 1 and vote.title in posted[0].title
        assert aware(posted[0].created_at) == aware(vote.closed_at)


def test_the_dashboard_communities_votes_are_real_and_sealed(db, seeded):
    """The city's other communities held their willingness votes on paper: every ballot went
    through the engine, so their results can be checked like XFL's (no aggregate-only votes)."""
    for code in ("DFXC", "YHL", "GYXQ", "CHJY", "XHC", "MYHY"):
        (vote,) = votes(db, code).values()
        assert vote.status == "closed" and services.check_seal(vote), code
        ballots = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id)).all()
        assert vote.result["participation"]["owners"] == len(ballots) > 0, code
        assert vote.result["passed"] is True, code
        assert {b.channel for b in ballots} == {"paper"}, code


def test_demo_owners_find_their_ballots(db, seeded):
    vote = votes(db, "XFL")["special/community/closed"]
    (mine,) = services.my_ballots(user(db, "13800000011"), vote)
    assert (mine.choice, mine.channel) == ("agree", "online") and mine.receipt
    assert services.find_receipt(vote, mine.receipt) == "agree"
    (elder,) = services.my_ballots(user(db, "13800000014"), vote)
    assert (elder.choice, elder.channel) == ("agree", "paper") and elder.receipt


def test_xfl_lift_vote_failed_and_the_poll_only_counted(db, seeded):
    by_kind = votes(db, "XFL")
    lift = by_kind["custom/entrance/closed"]
    result = services.tally(lift)
    assert result.outcome.passed is False
    assert lift.electorate.heads <= 12 and result.participation.heads >= 8
    assert result.counts.agree.heads > 0 and result.counts.disagree.heads > 0
    zhang = user(db, "13800000011")
    assert [b.choice for b in services.my_ballots(zhang, lift)] == ["agree"]
    poll = by_kind["advisory/community/closed"]
    assert services.tally(poll).outcome.passed is None
    assert services.tally(poll).participation.heads >= 20


def test_jsxc_vote_is_open_and_the_demo_owner_can_vote(db, seeded):
    started, _ = step_span(db, "JSXC", "consult")
    vote = votes(db, "JSXC")["special/community/open"]
    the_topic = db.session.get(Topic, vote.topic_id)
    assert 13 <= (NOW - aware(the_topic.posted_at)).days <= 14
    assert started <= aware(the_topic.posted_at)
    assert aware(vote.opened_at) >= the_topic.notice_ends_at
    assert timedelta(days=8) < aware(vote.closes_at) - NOW < timedelta(days=12)
    assert vote.turnout_public
    result = services.tally(vote)
    assert 25 <= result.participation_shares.heads <= 45
    assert result.channels["online"] > 0 and result.channels["paper"] > 0

    chen = user(db, "13800000021")
    (option,) = services.cast_options(chen, vote)
    assert option.via == "owner" and services.ballot_for(vote, option.owner_id) is None
    cast = services.cast_ballot(chen, vote, "agree", now=NOW)  # what he can try
    assert cast.channel == "online" and not cast.changed
    db.session.rollback()


def test_jsxc_has_a_topic_in_its_notice_period_and_a_draft(db, seeded):
    charging = topic(db, "JSXC", title_part="充电棚")
    assert charging.status == TopicStatus.POSTED and charging.notice_ends_at > NOW
    (draft_vote,) = db.session.scalars(select(Vote).where(Vote.topic_id == charging.id)).all()
    assert draft_vote.status == "draft"
    committee = user(db, "13800000002")
    with pytest.raises(DomainError):
        services.open_vote(committee, draft_vote, now=NOW)
    db.session.rollback()
    draft = topic(db, "JSXC", status=TopicStatus.DRAFT)
    assert draft is not None and draft.posted_at is None
    willingness = topic(db, "JSXC", title_part="改造意愿征询")
    comments = db.session.scalar(select(func.count()).where(Comment.topic_id == willingness.id))
    assert 3 <= comments <= 15


def test_the_xfl_discussion_is_moderated(db, seeded):
    the_topic = topic(db, "XFL", title_part="改造意愿征询")
    comments = db.session.scalars(
        select(Comment).where(Comment.topic_id == the_topic.id).order_by(Comment.id)
    ).all()
    assert 15 <= len(comments) <= 30
    by_id = {c.id: c for c in comments}
    replies = [c for c in comments if c.parent_id]
    assert len(replies) >= 8
    assert all(aware(c.created_at) > aware(by_id[c.parent_id].created_at) for c in replies)
    assert len({c.user_id for c in comments}) >= 10  # a neighbourhood, not one person

    (hidden,) = [c for c in comments if c.hidden_at is not None]
    assert hidden.hidden_reason_code == "personal_data" and hidden.hidden_reason_text
    assert hidden.hidden_by_id == user(db, "13800000001").id
    reported = [c for c in comments if c.report_count and c.hidden_at is None]
    assert len(reported) == 1
    reports = db.session.scalars(
        select(CommentReport).where(CommentReport.comment_id == reported[0].id)
    ).all()
    assert len(reports) == 1 and reports[0].reason
    demo = {user(db, p).id for p in ("13800000011", "13800000012", "13800000014")}
    assert demo <= {c.user_id for c in comments}


def test_comment_authors_were_there_when_they_wrote(db, seeded):
    staff = set(db.session.scalars(select(Membership.user_id)))
    for comment in db.session.scalars(select(Comment)):
        at = aware(comment.created_at)
        assert aware(comment.topic.posted_at) <= at < NOW
        if comment.user_id in staff:
            continue
        links = db.session.scalars(
            select(Residency).where(
                Residency.user_id == comment.user_id,
                Residency.community_id == comment.topic.community_id,
                Residency.status == ResidencyStatus.ACTIVE,
            )
        ).all()
        assert any(aware(r.decided_at or r.created_at) <= at for r in links), comment.body


def test_every_ballot_belongs_to_an_elector_and_its_caster(db, seeded):
    ballots = db.session.scalars(select(Ballot)).all()
    assert len(ballots) > 200
    committees = set(
        db.session.scalars(select(Membership.user_id).where(Membership.role == "committee"))
    )
    for ballot in ballots:
        elector = db.session.get(VoteElector, (ballot.vote_id, ballot.owner_id))
        assert elector is not None
        if ballot.channel == "paper":
            assert ballot.cast_by_user_id in committees and ballot.reference
        elif ballot.channel == "online":  # the owner's own account
            owns = db.session.scalar(
                select(func.count())
                .select_from(Residency)
                .join(Unit, Unit.id == Residency.unit_id)
                .where(
                    Residency.user_id == ballot.cast_by_user_id,
                    Residency.relation == "owner",
                    Residency.status == ResidencyStatus.ACTIVE,
                    Unit.owner_id == ballot.owner_id,
                )
            )
            assert owns
        else:
            assert db.session.scalar(
                select(VoteProxy.id).where(
                    and_(
                        VoteProxy.vote_id == ballot.vote_id,
                        VoteProxy.owner_id == ballot.owner_id,
                        VoteProxy.proxy_user_id == ballot.cast_by_user_id,
                    )
                )
            )


def test_the_gate_holds_for_xfl_only(db, seeded):
    assert gates.consult_gate(community(db, "XFL")) is None
    assert gates.consult_gate(community(db, "JSXC"))


def test_step1_records_are_dated_on_the_timeline(db, seeded):
    for model, column in ((Message, Message.created_at), (Notice, Notice.created_at)):
        latest = aware(db.session.scalar(select(func.max(column))))
        assert latest < NOW, model
    for vote in db.session.scalars(select(Vote)):
        assert aware(vote.created_at) < NOW
        if vote.opened_at:
            assert aware(vote.created_at) < aware(vote.opened_at)
    for the_topic in db.session.scalars(select(Topic)):
        assert aware(the_topic.created_at) < NOW
        if the_topic.posted_at:
            assert aware(the_topic.created_at) <= aware(the_topic.posted_at)
    # Residents heard of the vote opening only if they were on the app by then.
    vote = votes(db, "JSXC")["special/community/open"]
    told = db.session.scalars(
        select(Message.user_id).where(
            Message.community_id == vote.community_id, Message.title.startswith("Vote open")
        )
    ).all()
    assert told and user(db, "13800000021").id in told
