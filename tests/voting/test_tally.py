"""The tally over the database, sealing, receipts and the published result."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select, text, update

from participation.core.models import Owner, Unit
from participation.core.timeutil import utcnow
from participation.voting import receipts, services
from participation.voting.models import Ballot, BallotEvent, VoteElector
from participation.voting.services import CustomRule
from tests import factories
from tests.voting import helpers


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


def cast_for(db, community, vote, votes: dict[str, str]) -> dict[str, str]:
    """{"1-1-101": "agree", …}: sign up each owner and cast; returns receipts by label."""
    codes = {}
    for label, choice in votes.items():
        unit = helpers.unit_at(db.session, community, *label.split("-"))
        user = helpers.owner_account(db.session, community, unit)
        codes[label] = services.cast_ballot(user, vote, choice).receipt
    db.session.commit()
    return codes


def test_tally_counts_heads_units_and_area(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast_for(
        db,
        community,
        vote,
        {"1-1-101": "agree", "1-1-201": "agree", "1-1-202": "disagree", "1-2-101": "abstain"},
    )
    result = services.tally(vote)
    assert result.counts.agree.heads == 2 and result.counts.agree.units == 3
    assert result.counts.agree.area == Decimal("241.50")
    assert result.counts.disagree.area == Decimal("80.50")
    assert result.participation.heads == 4 and result.participation.area == Decimal("402.50")
    assert result.channels == {"online": 4, "paper": 0, "proxy": 0}
    shares = result.participation_shares
    assert (shares.heads, shares.area) == (Decimal("26.67"), Decimal("31.25"))  # 4/15, 5/16
    assert result.choice_shares("agree").area == Decimal("60.00")  # 241.50 / 402.50
    assert result.outcome.quorum_met is False and result.outcome.passed is False


def test_a_passing_special_vote_and_its_snapshot(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee, rule="special")
    # 12 of 15 owners (13 of 16 units) take part; 9 owners holding 10 units agree.
    labels = [f"{b}-{e}-{r}" for b in "12" for e in "12" for r in ("101", "102", "201", "202")]
    labels.remove("1-1-102")  # same owner as 1-1-101
    choices = ["agree"] * 9 + ["disagree"] * 2 + ["abstain"] * 1
    cast_for(db, community, vote, dict(zip(labels, choices, strict=False)))
    result = services.close_vote(committee, vote, reason="测试提前结束")
    db.session.commit()
    # Area: agree 10 units × 80.50 = 805.00 of 13 × 80.50 = 1046.50 → 10/13 ≥ 3/4 ✓;
    # heads 9/12 = exactly 3/4 ✓. Quorum 12/15 heads, 13/16 area ✓.
    assert result.outcome.passed is True
    snap = vote.result
    assert snap["passed"] is True and snap["quorum_met"] is True
    assert snap["agree"] == {"owners": 9, "units": 10, "area": "805.00"}
    assert snap["electorate"] == {"owners": 15, "units": 16, "area": "1288.00"}
    approval_heads = [
        t for t in snap["thresholds"] if t["name"] == "approval" and t["measure"] == "heads"
    ]
    assert approval_heads[0]["required"] == "3/4" and approval_heads[0]["percent"] == "75.00"
    assert snap["final_hash"] == vote.final_hash


def test_custom_rule_of_the_whole_entrance(db, community, committee):
    unit = helpers.unit_at(db.session, community, "2", "1", "101")
    vote = helpers.open_vote(
        db.session,
        community,
        actor=committee,
        rule="custom",
        custom=CustomRule("2/3", "at_least", "electorate"),
        scope_kind="entrance",
        scope_ids=[unit.entrance_id],
    )
    cast_for(db, community, vote, {"2-1-101": "agree", "2-1-102": "agree"})
    assert services.tally(vote).outcome.passed is False  # 2 of 4 owners of the entrance
    cast_for(db, community, vote, {"2-1-201": "agree"})
    assert services.tally(vote).outcome.passed is True  # 3 of 4 ≥ 2/3


def test_developer_units_count_as_one_head(db, community, committee):
    developer = Owner(community_id=community.id, key="DEV", name="开发商", is_developer=True)
    db.session.add(developer)
    db.session.flush()
    unsold = [helpers.unit_at(db.session, community, "2", "2", r) for r in ("101", "102", "201")]
    old = {u.owner_id for u in unsold}
    for u in unsold:
        u.owner_id = developer.id
    db.session.flush()
    db.session.execute(Owner.__table__.delete().where(Owner.id.in_(old)))
    db.session.commit()
    vote = helpers.open_vote(db.session, community, actor=committee)
    assert (vote.electorate_owners, vote.electorate_units) == (13, 16)
    elector = db.session.get(VoteElector, (vote.id, developer.id))
    assert elector.units == 3 and elector.area == Decimal("241.50")


def test_advisory_polls_count_units(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee, rule="advisory")
    cast_for(db, community, vote, {"1-1-101": "agree", "1-1-201": "disagree"})
    result = services.tally(vote)
    assert result.outcome.passed is None
    assert result.counts.agree.voices(result.rule) == 2  # two units, one owner


def test_closing_seals_the_log_and_publishes_receipts(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    codes = cast_for(db, community, vote, {"1-1-101": "agree", "1-1-201": "disagree"})
    user = helpers.owner_account(
        db.session, community, helpers.unit_at(db.session, community, "1", "2", "101")
    )
    services.cast_ballot(user, vote, "agree")
    services.cast_ballot(user, vote, "abstain")  # a change: two events, one receipt
    db.session.commit()
    services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    published = services.public_result(vote)
    assert len(published.receipts) == 3 and len(published.log) == 5
    assert published.log[0] == f"GJV1|vote={vote.id}"
    assert dict(published.receipts)[codes["1-1-101"]] == "agree"
    assert receipts.verify_chain(published.log, vote.final_hash)
    assert receipts.verify_publication(published.log, dict(published.receipts), vote.final_hash)
    assert services.check_seal(vote)
    # The owner finds their code; nobody's name or room is in the publication.
    assert (
        services.find_receipt(vote, receipts.format_receipt(codes["1-1-201"]).lower()) == "disagree"
    )
    text_of = repr(published.as_dict())
    for unit in helpers.units_of(db.session, community):
        assert unit.owner.name not in text_of
    assert "1-1-101" not in text_of


def test_an_edit_after_sealing_is_detected(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast_for(db, community, vote, {"1-1-101": "agree", "1-1-201": "disagree"})
    services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    assert services.check_seal(vote)
    final = vote.final_hash
    # Someone with database access flips a ballot and its log line.
    db.session.execute(
        update(BallotEvent)
        .where(BallotEvent.vote_id == vote.id, BallotEvent.choice == "disagree")
        .values(choice="agree")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(update(Ballot).where(Ballot.vote_id == vote.id).values(choice="agree"))
    db.session.commit()
    assert not services.check_seal(vote)
    assert not receipts.verify_chain(services.public_result(vote).log, final)


def test_the_log_refuses_orm_edits(db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast_for(db, community, vote, {"1-1-101": "agree"})
    event_row = db.session.scalar(select(BallotEvent))
    event_row.choice = "disagree"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_receipts_are_not_published_before_closing(db, community, committee):
    from participation.core.errors import DomainError

    vote = helpers.open_vote(db.session, community, actor=committee)
    with pytest.raises(DomainError):
        services.public_result(vote)
    assert services.find_receipt(vote, "ABCD-EFGH") is None


def test_a_10000_owner_vote_is_tallied_with_sql_aggregates(db, committee):
    comm = helpers.big_community(db.session, "BIG", 10_000, Decimal("75.25"))
    actor = factories.staff(db.session, "committee", comm)
    vote = helpers.open_vote(db.session, comm, actor=actor)
    assert vote.electorate_owners == 10_000
    assert vote.electorate.area == Decimal("752500.00")
    owner_ids = db.session.scalars(
        select(VoteElector.owner_id)
        .where(VoteElector.vote_id == vote.id)
        .order_by(VoteElector.owner_id)
    ).all()
    now = utcnow()
    choices = ("agree", "agree", "disagree", "abstain")
    db.session.execute(
        insert(Ballot),
        [
            {
                "vote_id": vote.id,
                "owner_id": oid,
                "choice": choices[i % 4],
                "channel": "online",
                "reference": "",
                "receipt": f"R{i:07d}",
                "created_at": now,
                "updated_at": now,
            }
            for i, oid in enumerate(owner_ids[:7_000])
        ],
    )
    db.session.commit()
    db.session.refresh(vote)
    statements = []

    def count(conn, cursor, statement, *args):  # noqa: ARG001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        result = services.tally(vote)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert result.participation.heads == 7_000
    assert result.counts.agree.heads == 3_500 and result.counts.agree.area == Decimal("263375.00")
    # 7,000 of 10,000 take part (≥ 2/3); exactly half of them agree: not more than half.
    assert result.outcome.quorum_met is True and result.outcome.passed is False
    assert elapsed < 2  # generous: one aggregate, not a loop over 7,000 ballots


def test_sqlite_sums_are_exact_in_cents(db, committee):
    # Areas whose binary floating-point sum is not exact (0.1 + 0.2 ≠ 0.3 in floats).
    comm = factories.community(db.session, code="T05", buildings=1, entrances=1, per_entrance=3)
    for unit, area in zip(
        helpers.units_of(db.session, comm), ("0.10", "0.20", "100.07"), strict=True
    ):
        unit.area = Decimal(area)
    db.session.commit()
    vote = helpers.open_vote(db.session, comm, actor=factories.staff(db.session, "committee", comm))
    assert vote.electorate.area == Decimal("100.37")
    assert db.session.scalar(select(func.sum(VoteElector.area_cents))) == 10037
    assert db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == comm.id)) == 3
    assert db.session.execute(text("SELECT 1")).scalar() == 1
