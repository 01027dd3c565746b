"""The city role: staff accounts and communities."""

from __future__ import annotations

from sqlalchemy import func, select

from participation.core.models import AuditEntry, Community, Membership, ProjectStep, User
from tests import factories


def test_city_creates_committee_account(client, db, community):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    resp = client.post(
        "/admin/staff",
        {
            "phone": "13911112222",
            "name": "赵敏",
            "password": "long-enough",
            "role": "committee",
            "community": "T01",
            "title": "业委会委员",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == "13911112222"))
    m = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (m.role, m.community_id, m.title) == ("committee", community.id, "业委会委员")
    assert "user.create" in db.session.scalars(select(AuditEntry.action)).all()
    # the new account can log in and sees its committee tools
    other = client.application.test_client()
    from tests.conftest import FormClient

    FormClient(other).post("/login", {"phone": "13911112222", "password": "long-enough"})
    assert "/c/T01/residents" in other.get("/c/T01/").get_data(as_text=True)


def test_committee_role_needs_a_community(client, db, community):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    resp = client.post(
        "/admin/staff",
        {
            "phone": "13911113333",
            "name": "钱",
            "password": "long-enough",
            "role": "committee",
            "community": "",
        },
    )
    assert resp.status_code == 400
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.phone == "13911113333"))
        == 0
    )


def test_bad_phone_refused(client, db, community):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    resp = client.post(
        "/admin/staff",
        {
            "phone": "12345",
            "name": "钱",
            "password": "long-enough",
            "role": "city",
            "community": "",
        },
    )
    assert resp.status_code == 400
    assert "11" in resp.get_data(as_text=True)


def test_city_creates_community_with_five_pending_steps(client, db):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    resp = client.post("/admin/communities", {"code": "NEW1", "name": "新村", "district": "海曙区"})
    assert resp.status_code == 302
    comm = db.session.scalar(select(Community).where(Community.code == "NEW1"))
    states = db.session.scalars(select(ProjectStep.state)).all()
    assert comm.district == "海曙区" and states == ["pending"] * 5


def test_duplicate_or_bad_community_code_refused(client, db, community):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    assert client.post("/admin/communities", {"code": "T01", "name": "重复"}).status_code == 400
    assert client.post("/admin/communities", {"code": "a b/", "name": "坏"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Community)) == 1


def test_communities_table_lists_counts(client, db, community):
    city = factories.staff(db.session, "city", None)
    client.login(city)
    html = client.get("/admin/communities").get_data(as_text=True)
    assert community.name in html and "1,288.00" in html


def test_only_city_manages(client, db, community):
    committee = factories.staff(db.session, "committee", community)
    client.login(committee)
    assert client.get("/admin/communities").status_code == 403
    assert client.post("/admin/communities", {"code": "X", "name": "x"}).status_code == 403
