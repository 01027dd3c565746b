"""Casting ballots online: who may, when, changes with history, proxies, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message, Owner, Residency
from participation.core.timeutil import aware
from participation.voting import services
from participation.voting.models import Ballot, BallotEvent
from tests import factories
from tests.voting import helpers


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


@pytest.fixture()
def units(db, community):
    return helpers.units_of(db.session, community)


def refusal(user, vote, choice="agree", **kwargs) -> str:
    with pytest.raises(DomainError) as err:
        services.cast_ballot(user, vote, choice, **kwargs)
    return err.value.message


def test_owner_casts_and_gets_a_receipt(db, community, committee, units):
    owner = helpers.owner_account(db.session, community, units[2])
    vote = helpers.open_vote(db.session, community, actor=committee)
    result = services.cast_ballot(owner, vote, "agree")
    db.session.commit()
    assert result.choice == "agree" and result.channel == "online" and not result.changed
    assert len(result.receipt) == 8 and result.receipt_display[4] == "-"
    ballot = services.ballot_for(vote, units[2].owner_id)
    assert ballot.receipt == result.receipt and ballot.cast_by_user_id == owner.id
    # Residents' own ballots are in the ballot log, not in the committee's audit log.
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action.like("vote.cast%"))
        )
        == 0
    )


def test_changing_a_ballot_keeps_the_receipt_and_the_history(db, community, committee, units):
    owner = helpers.owner_account(db.session, community, units[2])
    vote = helpers.open_vote(db.session, community, actor=committee)
    first = services.cast_ballot(owner, vote, "agree")
    second = services.cast_ballot(owner, vote, "disagree")
    third = services.cast_ballot(owner, vote, "abstain")
    db.session.commit()
    assert first.receipt == second.receipt == third.receipt
    assert (second.changed, second.previous_choice) == (True, "agree")
    assert db.session.scalar(select(func.count(Ballot.id))) == 1
    history = services.ballot_history(vote, units[2].owner_id)
    assert [(e.kind, e.previous_choice, e.choice) for e in history] == [
        ("cast", None, "agree"),
        ("change", "agree", "disagree"),
        ("change", "disagree", "abstain"),
    ]
    ballot = services.ballot_for(vote, units[2].owner_id)
    assert ballot.changes == 2 and ballot.choice == "abstain"


def test_the_vote_page_shows_what_a_ballot_carries(db, community, committee, units):
    # The owner of 1-1-101 also owns 1-1-102: one head carrying two units' area.
    owner = helpers.owner_account(db.session, community, units[0])
    vote = helpers.open_vote(db.session, community, actor=committee)
    (mine,) = services.my_ballots(owner, vote)
    assert (mine.via, mine.units, mine.area) == ("owner", 2, Decimal("161.00"))
    assert mine.unit_labels == ["1-1-101", "1-1-102"] and mine.choice is None
    services.cast_ballot(owner, vote, "disagree")
    db.session.commit()
    (mine,) = services.my_ballots(owner, vote)
    assert mine.choice == "disagree" and mine.receipt


def test_a_partial_scope_carries_only_the_area_inside_it(db, community, committee, units):
    # Give the owner of 1-1-101 a unit in building 2 as well; vote only in building 2.
    b2_unit = helpers.unit_at(db.session, community, "2", "1", "101")
    old_owner = b2_unit.owner_id
    b2_unit.owner_id = units[0].owner_id
    db.session.delete(db.session.get(Owner, old_owner))
    db.session.commit()
    building2 = b2_unit.entrance.building_id
    owner = helpers.owner_account(db.session, community, units[0])
    vote = helpers.open_vote(
        db.session, community, actor=committee, scope_kind="buildings", scope_ids=[building2]
    )
    assert (vote.electorate_owners, vote.electorate_units) == (8, 8)
    (mine,) = services.my_ballots(owner, vote)
    assert (mine.units, mine.area, mine.unit_labels) == (1, Decimal("80.50"), ["2-1-101"])


def test_refusals_are_clear(db, community, committee, units):
    owner_b1 = helpers.owner_account(db.session, community, units[2])  # 1-1-201
    family = helpers.owner_account(db.session, community, units[3], "family")
    tenant = helpers.owner_account(db.session, community, units[4], "tenant")
    pending = factories.resident(db.session, community, "owner", units[5], status="pending")
    outsider = factories.user(db.session)
    entrance_2_1 = helpers.unit_at(db.session, community, "2", "1", "101").entrance_id
    vote = helpers.open_vote(
        db.session, community, actor=committee, scope_kind="entrance", scope_ids=[entrance_2_1]
    )
    assert "not in this vote's scope" in refusal(owner_b1, vote)
    assert "Only owners vote" in refusal(family, vote)
    assert "Only owners vote" in refusal(tenant, vote)
    assert "waits for the committee" in refusal(pending, vote)
    assert "not an owner in this community" in refusal(outsider, vote)
    assert "not an owner in this community" in refusal(committee, vote)
    inside = helpers.owner_account(
        db.session, community, helpers.unit_at(db.session, community, "2", "1", "101")
    )
    assert "agree, disagree or abstain" in refusal(inside, vote, "maybe")
    assert "may not vote for this owner" in refusal(inside, vote, owner_id=units[2].owner_id)


def test_outside_the_window(db, community, committee, units):
    owner = helpers.owner_account(db.session, community, units[2])
    vote = helpers.draft_vote(db.session, community, actor=committee)
    assert "not opened yet" in refusal(owner, vote)
    services.open_vote(committee, vote)
    db.session.commit()
    late = aware(vote.closes_at) + timedelta(seconds=1)
    assert "closed" in refusal(owner, vote, now=late)
    assert "closed" in refusal(owner, vote, now=aware(vote.closes_at))  # closes_at is exclusive
    services.close_vote(committee, vote, reason="提前结束")
    db.session.commit()
    assert "closed" in refusal(owner, vote)


def test_proxy_may_vote_for_the_owner_and_the_ballot_says_so(db, community, committee, units):
    family = helpers.owner_account(db.session, community, units[3], "family")
    vote = helpers.open_vote(db.session, community, actor=committee)
    assert "Only owners vote" in refusal(family, vote)
    proxy = services.record_proxy(
        committee, vote, units[3].owner_id, family, "委托书及身份证复印件已核对"
    )
    db.session.commit()
    result = services.cast_ballot(family, vote, "agree")
    db.session.commit()
    assert result.channel == "proxy" and result.owner_id == units[3].owner_id
    ballot = services.ballot_for(vote, units[3].owner_id)
    assert ballot.channel == "proxy" and ballot.cast_by_user_id == family.id
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.proxy"))
    assert audit.actor_id == committee.id and "委托书" in audit.detail["evidence"]
    assert db.session.scalar(
        select(Message).where(Message.user_id == family.id, Message.title.like("You may vote%"))
    )
    # The owner can still vote themselves; the last word counts.
    owner = helpers.owner_account(db.session, community, units[3])
    assert services.cast_ballot(owner, vote, "disagree").channel == "online"
    # Revoked: no more proxy ballots.
    services.revoke_proxy(committee, proxy, "业主本人已投票")
    db.session.commit()
    assert "Only owners vote" in refusal(family, vote)


def test_an_owner_who_is_also_a_proxy_chooses(db, community, committee, units):
    owner = helpers.owner_account(db.session, community, units[2])
    vote = helpers.open_vote(db.session, community, actor=committee)
    # The owner of 1-1-201 is also linked as family to 1-2-101 and is its owner's proxy.
    other_unit = helpers.unit_at(db.session, community, "1", "2", "101")
    db.session.add(
        Residency(
            user_id=owner.id,
            unit_id=other_unit.id,
            community_id=community.id,
            relation="family",
            status="active",
        )
    )
    db.session.commit()
    services.record_proxy(committee, vote, other_unit.owner_id, owner, "书面委托")
    db.session.commit()
    assert {o.via for o in services.cast_options(owner, vote)} == {"owner", "proxy"}
    own = services.cast_ballot(owner, vote, "agree")  # own ballot by default
    assert own.owner_id == units[2].owner_id and own.channel == "online"
    theirs = services.cast_ballot(owner, vote, "disagree", owner_id=other_unit.owner_id)
    assert theirs.channel == "proxy"
    assert len(services.my_ballots(owner, vote)) == 2


def test_proxy_rules(db, community, committee, units):
    vote = helpers.open_vote(db.session, community, actor=committee)
    family = helpers.owner_account(db.session, community, units[3], "family")
    owner = helpers.owner_account(db.session, community, units[2])
    outsider = factories.user(db.session)
    with pytest.raises(DomainError, match="evidence"):
        services.record_proxy(committee, vote, units[3].owner_id, family, " ")
    with pytest.raises(DomainError, match="linked to a home in this community"):
        services.record_proxy(committee, vote, units[3].owner_id, outsider, "委托书")
    with pytest.raises(DomainError, match="owner's own"):
        services.record_proxy(committee, vote, units[2].owner_id, owner, "委托书")
    services.record_proxy(committee, vote, units[3].owner_id, family, "委托书")
    with pytest.raises(DomainError, match="already has a proxy"):
        services.record_proxy(committee, vote, units[3].owner_id, owner, "委托书")
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    stranger_owner = helpers.units_of(db.session, other)[0].owner_id
    with pytest.raises(DomainError, match="not in this community"):
        services.record_proxy(committee, vote, stranger_owner, family, "委托书")


def test_a_proxy_can_be_recorded_on_a_draft(db, community, committee, units):
    family = helpers.owner_account(db.session, community, units[3], "family")
    vote = helpers.draft_vote(db.session, community, actor=committee)
    services.record_proxy(committee, vote, units[3].owner_id, family, "委托书")
    services.open_vote(committee, vote)
    db.session.commit()
    assert services.cast_ballot(family, vote, "abstain").channel == "proxy"


def test_the_database_allows_one_ballot_per_owner_and_vote(db, community, committee, units):
    vote = helpers.open_vote(db.session, community, actor=committee)
    row = dict(
        vote_id=vote.id, owner_id=units[2].owner_id, choice="agree", channel="online", reference=""
    )
    db.session.add(Ballot(receipt="AAAAAAAA", **row))
    db.session.commit()
    db.session.add(Ballot(receipt="BBBBBBBB", **row))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_only_electors_can_have_a_ballot(db, community, committee, units):
    entrance = helpers.unit_at(db.session, community, "2", "1", "101").entrance_id
    vote = helpers.open_vote(
        db.session, community, actor=committee, scope_kind="entrance", scope_ids=[entrance]
    )
    db.session.add(
        Ballot(
            vote_id=vote.id,
            owner_id=units[2].owner_id,  # building 1: not an elector
            choice="agree",
            channel="online",
            reference="",
            receipt="CCCCCCCC",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres
def test_concurrent_casts_from_one_owner_make_one_ballot(app, db, community, committee, units):
    """20 casts for one owner at the same moment (double taps, two phones), each in its own
    thread, session and connection: one ballot, 20 events, an exact history."""
    owner = helpers.owner_account(db.session, community, units[2])
    vote = helpers.open_vote(db.session, community, actor=committee)
    vote_id, user_id = vote.id, owner.id
    threads_n = 20
    barrier = threading.Barrier(threads_n)
    results, errors = [], []

    def cast(i: int) -> None:
        from participation.core.models import User
        from participation.extensions import db as _db
        from participation.voting.models import Vote

        with app.app_context():
            try:
                user = _db.session.get(User, user_id)
                the_vote = _db.session.get(Vote, vote_id)
                _db.session.expunge_all()
                _db.session.close()  # hold no connection while waiting (the pool has 15)
                barrier.wait(timeout=10)
                result = services.cast_ballot(
                    user, the_vote, ("agree", "disagree", "abstain")[i % 3]
                )
                _db.session.commit()
                results.append(result)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == threads_n
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.vote_id == vote_id)) == 1
    assert len({r.receipt for r in results}) == 1
    assert sum(not r.changed for r in results) == 1  # exactly one first cast
    events = services.ballot_history(vote, units[2].owner_id)
    assert len(events) == threads_n
    # The history is a chain: each change's previous choice is the choice before it.
    for before, after in zip(events, events[1:], strict=False):
        assert after.previous_choice == before.choice
    ballot = services.ballot_for(vote, units[2].owner_id)
    assert ballot.choice == events[-1].choice and ballot.changes == threads_n - 1


@pytest.mark.postgres
def test_closing_waits_for_ballots_in_flight(app, db, community, committee, units):
    """Casts racing a close: every ballot is either in the sealed log or refused."""
    owners = [helpers.owner_account(db.session, community, u) for u in units[2:10]]
    vote = helpers.open_vote(db.session, community, actor=committee)
    vote_id, committee_id = vote.id, committee.id
    barrier = threading.Barrier(len(owners) + 1)
    outcomes = []

    def worker(user_id: int | None) -> None:
        from participation.core.models import User
        from participation.extensions import db as _db
        from participation.voting.models import Vote

        with app.app_context():
            try:
                the_vote = _db.session.get(Vote, vote_id)
                user = _db.session.get(User, user_id) if user_id else None
                actor = _db.session.get(User, committee_id)
                _db.session.expunge_all()
                _db.session.close()
                if user_id is None:
                    the_vote = _db.session.merge(the_vote, load=False)
                barrier.wait(timeout=10)
                if user is None:
                    services.close_vote(actor, the_vote, reason="并发测试")
                else:
                    services.cast_ballot(user, the_vote, "agree")
                _db.session.commit()
                outcomes.append(("ok", user_id))
            except DomainError:
                _db.session.rollback()
                outcomes.append(("refused", user_id))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(o.id,)) for o in owners]
    threads.append(threading.Thread(target=worker, args=(None,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    accepted = sum(1 for status, uid in outcomes if status == "ok" and uid)
    sealed = db.session.scalar(
        select(func.count(BallotEvent.id)).where(
            BallotEvent.vote_id == vote_id, BallotEvent.seq.is_not(None)
        )
    )
    total = db.session.scalar(
        select(func.count(BallotEvent.id)).where(BallotEvent.vote_id == vote_id)
    )
    assert sealed == total == accepted
    assert services.check_seal(vote)


def test_a_colliding_receipt_code_is_drawn_again(db, community, committee, units, monkeypatch):
    first = helpers.owner_account(db.session, community, units[2])
    second = helpers.owner_account(db.session, community, units[3])
    vote = helpers.open_vote(db.session, community, actor=committee)
    taken = services.cast_ballot(first, vote, "agree").receipt
    db.session.commit()
    codes = iter([taken, "ZZZZ2345"])
    monkeypatch.setattr(services.receipts, "new_receipt", lambda: next(codes))
    result = services.cast_ballot(second, vote, "disagree")
    db.session.commit()
    assert result.receipt == "ZZZZ2345"
    assert db.session.scalar(select(func.count(Ballot.id))) == 2
