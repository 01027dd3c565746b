"""The "consult" step gate: step 1 finishes only after a passed willingness vote, i.e. a closed,
passed vote of the whole community under a deciding rule (DESIGN.md §3)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.core.errors import DomainError
from participation.core.models import Building, Entrance, ProjectStep, StepState
from participation.core.services import community as community_service
from participation.voting import gates
from participation.voting.services import CustomRule
from tests import factories
from tests.voting import helpers

REFUSAL = "the owners have not passed the willingness vote"


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


@pytest.fixture()
def in_consult(db, community, committee):
    """The project with step 1 open."""
    community_service.advance_step(committee, community)
    db.session.commit()
    return community


def active_step(db) -> str:
    db.session.expire_all()
    return db.session.scalar(select(ProjectStep.key).where(ProjectStep.state == StepState.ACTIVE))


def test_the_app_factory_registers_the_gate(app):
    assert community_service.STEP_GATES.get("consult") is gates.consult_gate


def test_leaving_consult_is_refused_without_a_vote(db, in_consult, committee):
    with pytest.raises(DomainError) as err:
        community_service.advance_step(committee, in_consult)
    assert REFUSAL in err.value.message
    db.session.rollback()
    assert active_step(db) == "consult"


def test_a_passed_willingness_vote_opens_planning(db, in_consult, committee):
    vote = helpers.closed_vote(db.session, in_consult, actor=committee, rule="special")
    assert vote.result["passed"] is True
    step = community_service.advance_step(committee, in_consult)
    db.session.commit()
    assert step.key == "plan" and active_step(db) == "plan"


@pytest.mark.parametrize("rule", ["ordinary", "custom"])
def test_every_deciding_rule_counts(db, in_consult, committee, rule):
    custom = CustomRule("2/3", base="electorate") if rule == "custom" else None
    helpers.closed_vote(db.session, in_consult, actor=committee, rule=rule, custom=custom)
    assert community_service.advance_step(committee, in_consult).key == "plan"


def _first_building(db, comm) -> int:
    return db.session.scalar(
        select(Building.id).where(Building.community_id == comm.id).order_by(Building.id)
    )


def _first_entrance(db, comm) -> int:
    return db.session.scalar(
        select(Entrance.id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Building.community_id == comm.id)
        .order_by(Entrance.id)
    )


@pytest.mark.parametrize(
    "case",
    ["failed", "advisory", "buildings", "entrance", "still_open", "draft", "other_community"],
)
def test_votes_that_do_not_count(db, in_consult, committee, case):
    comm = in_consult
    if case == "failed":  # everybody took part, nobody agreed
        vote = helpers.closed_vote(db.session, comm, actor=committee, rule="special", agree=0)
        assert vote.result["passed"] is False
    elif case == "advisory":  # everybody agreed, but an advisory poll decides nothing
        vote = helpers.closed_vote(db.session, comm, actor=committee, rule="advisory")
        assert vote.result["passed"] is None
    elif case == "buildings":
        helpers.closed_vote(
            db.session,
            comm,
            actor=committee,
            scope_kind="buildings",
            scope_ids=[_first_building(db, comm)],
        )
    elif case == "entrance":  # a lift vote passed by its entrance
        helpers.closed_vote(
            db.session,
            comm,
            actor=committee,
            scope_kind="entrance",
            scope_ids=[_first_entrance(db, comm)],
        )
    elif case == "still_open":
        helpers.open_vote(db.session, comm, actor=committee)
    elif case == "draft":
        helpers.draft_vote(db.session, comm, actor=committee)
    else:  # the neighbours passed theirs
        other = factories.community(db.session, code="T02")
        helpers.closed_vote(db.session, other)
    with pytest.raises(DomainError) as err:
        community_service.advance_step(committee, comm)
    assert REFUSAL in err.value.message
    db.session.rollback()
    assert active_step(db) == "consult"


def test_a_failed_vote_then_a_passed_one(db, in_consult, committee):
    """Owners can be asked again; the later passed vote opens planning."""
    helpers.closed_vote(db.session, in_consult, actor=committee, rule="special", agree=1)
    with pytest.raises(DomainError):
        community_service.advance_step(committee, in_consult)
    db.session.rollback()
    helpers.closed_vote(db.session, in_consult, actor=committee, rule="special")
    assert community_service.advance_step(committee, in_consult).key == "plan"


def test_the_committee_page_refuses_then_advances(client, db, community, committee):
    client.set_cookie("lang", "en")
    client.login(committee)
    client.post(f"/c/{community.code}/project")  # opens step 1
    assert active_step(db) == "consult"

    resp = client.post(f"/c/{community.code}/project", follow_redirects=True)
    assert resp.status_code == 200
    assert REFUSAL in resp.get_data(as_text=True)
    assert active_step(db) == "consult"

    helpers.closed_vote(db.session, community, actor=committee, rule="special")
    resp = client.post(f"/c/{community.code}/project", follow_redirects=True)
    assert REFUSAL not in resp.get_data(as_text=True)
    assert active_step(db) == "plan"
