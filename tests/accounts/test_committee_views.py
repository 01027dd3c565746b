"""The committee confirms or removes resident links to homes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.core.models import AuditEntry, Message, Residency, ResidencyStatus
from participation.extensions import db
from tests import factories

from .helpers import roles, text, units_of


def _link(user) -> Residency:
    db.session.expire_all()
    return db.session.scalar(select(Residency).where(Residency.user_id == user.id))


def _messages(user) -> list[Message]:
    return db.session.scalars(select(Message).where(Message.user_id == user.id)).all()


def test_committee_confirms_a_waiting_owner_link(client, community, committee):
    resident = factories.resident(
        db.session, community, unit=units_of(community)[4], status=ResidencyStatus.PENDING
    )
    assert roles(resident, community) == frozenset()
    link = _link(resident)
    client.login(committee)
    listed = client.get(f"/c/{community.code}/residents?status=pending")
    assert f"/c/{community.code}/residents/{link.id}" in text(listed)

    resp = client.post(f"/c/{community.code}/residents/{link.id}", {"action": "confirm"})
    assert resp.status_code == 302
    assert _link(resident).status == ResidencyStatus.ACTIVE
    assert roles(resident, community) == {"resident", "owner"}
    (message,) = _messages(resident)
    assert message.params == {"unit": units_of(community)[4].label()}
    assert "confirmed" in message.title
    assert (
        db.session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.action == "residency.confirm")
        )
        == committee.id
    )


def test_committee_removes_a_link_with_a_reason(client, community, committee):
    resident = factories.resident(db.session, community, relation="tenant")
    assert roles(resident, community) == {"resident"}
    link = _link(resident)
    client.login(committee)
    resp = client.post(
        f"/c/{community.code}/residents/{link.id}",
        {"action": "revoke", "reason": "Moved out in May"},
    )
    assert resp.status_code == 302
    link = _link(resident)
    assert (link.status, link.revoke_reason) == (ResidencyStatus.REVOKED, "Moved out in May")
    assert link.decided_by_id == committee.id
    assert roles(resident, community) == frozenset()
    (message,) = _messages(resident)
    assert message.body == "Moved out in May"
    assert "removed" in message.title
    # The resident can no longer open the community.
    client.post("/logout")
    client.login(resident)
    assert client.get(f"/c/{community.code}/").status_code == 403


@pytest.mark.parametrize("reason", ["", "   "])
def test_removing_a_link_needs_a_reason(client, community, committee, reason):
    resident = factories.resident(db.session, community, relation="family")
    link = _link(resident)
    client.login(committee)
    resp = client.post(
        f"/c/{community.code}/residents/{link.id}",
        {"action": "revoke", "reason": reason},
        follow_redirects=True,
    )
    assert "Please give a reason." in text(resp)
    assert _link(resident).status == ResidencyStatus.ACTIVE
    assert roles(resident, community) == {"resident"}
    assert _messages(resident) == []


def test_confirming_an_active_link_is_refused(client, community, committee):
    resident = factories.resident(db.session, community, relation="family")
    link = _link(resident)
    client.login(committee)
    resp = client.post(
        f"/c/{community.code}/residents/{link.id}", {"action": "confirm"}, follow_redirects=True
    )
    assert "Only a waiting link can be confirmed." in text(resp)
    assert _messages(resident) == []


@pytest.mark.parametrize("role", ["resident", "property", "city", "other-committee"])
def test_only_the_committee_of_the_community_decides_links(client, community, role):
    pending = factories.resident(
        db.session, community, unit=units_of(community)[4], status=ResidencyStatus.PENDING
    )
    link = _link(pending)
    if role == "resident":
        actor = factories.resident(db.session, community, relation="family")
    elif role == "other-committee":
        other = factories.community(db.session, code="T02", buildings=1, entrances=1)
        actor = factories.staff(db.session, "committee", other)
    else:
        actor = factories.staff(db.session, role, community)
    client.login(actor)
    resp = client.post(f"/c/{community.code}/residents/{link.id}", {"action": "confirm"})
    assert resp.status_code == 403
    assert _link(pending).status == ResidencyStatus.PENDING


def test_deciding_needs_the_csrf_token(client, community, committee):
    pending = factories.resident(
        db.session, community, unit=units_of(community)[4], status=ResidencyStatus.PENDING
    )
    client.login(committee)
    resp = client.post(
        f"/c/{community.code}/residents/{_link(pending).id}", {"action": "confirm"}, csrf=False
    )
    assert resp.status_code == 400
    assert _link(pending).status == ResidencyStatus.PENDING
