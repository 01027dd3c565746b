"""The demo seed: a believable neighbourhood with every role, deterministic and idempotent."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from participation.core import permissions, seed
from participation.core.models import (
    AuditEntry,
    Community,
    Invite,
    Membership,
    Message,
    Notice,
    Owner,
    Project,
    Residency,
    ResidencyStatus,
    StepState,
    Unit,
    User,
)
from participation.core.services.accounts import authenticate
from participation.core.timeutil import aware
from tests.conftest import _empty_all_tables

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)

# phone -> (community code or None, roles there): written out here, not read from seed.py.
EXPECTED_ROLES = {
    "13800000001": ("XFL", {"committee", "resident", "owner"}),
    "13800000002": ("JSXC", {"committee"}),
    "13800000003": ("XFL", {"property"}),
    "13800000004": ("XFL", {"property"}),
    "13800000005": (None, {"city"}),
    "13800000011": ("XFL", {"resident", "owner"}),
    "13800000012": ("XFL", {"resident"}),
    "13800000013": ("XFL", {"resident"}),
    "13800000014": ("XFL", {"resident", "owner"}),
    "13800000015": ("XFL", set()),  # the owner claim waiting for the committee
    "13800000021": ("JSXC", {"resident", "owner"}),
}


@pytest.fixture()
def seeded(db, demo_copy):
    return demo_copy(now=NOW)


def _community(db, code: str) -> Community:
    return db.session.scalar(select(Community).where(Community.code == code))


def test_register_is_a_realistic_neighbourhood(db, seeded):
    assert seeded.communities >= 2
    assert seeded.units >= 300
    for code, low, high in (("XFL", 150, 220), ("JSXC", 120, 200)):
        comm = _community(db, code)
        units = db.session.scalars(select(Unit).where(Unit.community_id == comm.id)).all()
        assert low <= len(units) <= high
        assert len(comm.buildings) >= 4
        assert all(2 <= len(b.entrances) <= 3 for b in comm.buildings)
        labels = [u.label() for u in units]
        assert len(set(labels)) == len(labels)
        for unit in units:
            assert Decimal("40") < unit.area < Decimal("100")
            assert unit.area == unit.area.quantize(Decimal("0.01"))
        assert len({u.area for u in units}) > 20  # varied, not one placeholder area

        per_owner = db.session.execute(
            select(Unit.owner_id, func.count())
            .where(Unit.community_id == comm.id)
            .group_by(Unit.owner_id)
        ).all()
        developers = db.session.scalars(
            select(Owner).where(Owner.community_id == comm.id, Owner.is_developer)
        ).all()
        assert len(developers) == 1  # all unsold units share one owner
        assert developers[0].key == "开发商"
        private = [n for oid, n in per_owner if oid != developers[0].id]
        multi = sum(1 for n in private if n > 1)
        assert max(private) <= 3
        assert 0.02 <= multi / len(private) <= 0.12  # ~5% own two or three units

    xfl = _community(db, "XFL")
    assert (xfl.name, xfl.name_en, xfl.district) == ("幸福里小区", "Xingfuli Estate", "鼓楼区")
    dev = db.session.scalar(select(Owner).where(Owner.community_id == xfl.id, Owner.is_developer))
    assert dev.name == "某某房地产开发有限公司"
    assert len(dev.units) == 4
    phones = db.session.scalars(select(Owner.phone).where(Owner.phone != "")).all()
    assert len(set(phones)) == len(phones)
    assert all(p.isdigit() and len(p) == 11 and p[:2] in {"13", "15", "18"} for p in phones)


def test_every_role_and_link_kind_is_present(db, seeded):
    xfl, jsxc = _community(db, "XFL"), _community(db, "JSXC")
    roles = set(db.session.execute(select(Membership.community_id, Membership.role)))
    assert {(xfl.id, "committee"), (xfl.id, "property"), (jsxc.id, "committee")} <= roles
    assert (None, "city") in roles
    links = set(db.session.execute(select(Residency.relation, Residency.status)))
    assert {
        ("owner", "active"),
        ("family", "active"),
        ("tenant", "active"),
        ("owner", "pending"),
    } <= links
    residents = db.session.scalar(
        select(func.count(func.distinct(Residency.user_id))).where(Residency.community_id == xfl.id)
    )
    assert 60 <= residents <= 140

    owner = db.session.scalar(select(User).where(User.phone == "13800000011"))
    own = [r for r in owner.residencies if r.relation == "owner"]
    assert len(own) == 2 and all(r.status == "active" for r in own)
    assert all(r.unit.owner.phone == owner.phone for r in own)
    claimant = db.session.scalar(select(User).where(User.phone == "13800000015"))
    (claim,) = claimant.residencies
    assert claim.status == ResidencyStatus.PENDING and claim.unit.owner.phone != claimant.phone
    # An active owner link is either the register's own number or confirmed by the committee.
    for link in db.session.scalars(
        select(Residency).where(Residency.relation == "owner", Residency.status == "active")
    ):
        assert link.unit.owner.phone == link.user.phone or link.decided_by_id is not None


def test_projects_stand_where_the_story_says(db, seeded):
    def states(code):
        project = db.session.scalar(
            select(Project).where(Project.community_id == _community(db, code).id)
        )
        return project.steps

    xfl = states("XFL")
    assert [s.state for s in xfl] == ["done", "done", "done", "active", "pending"]
    assert [s.state for s in states("JSXC")] == [
        "active",
        "pending",
        "pending",
        "pending",
        "pending",
    ]
    previous = None
    for step in xfl[:4]:
        start = aware(step.started_at)
        assert start < NOW
        if previous:
            assert previous <= start
        if step.state == StepState.DONE:
            previous = aware(step.finished_at)
            assert start < previous
    assert (NOW - aware(xfl[3].started_at)).days > 30  # building for months, not minutes


def test_every_demo_login_works_with_its_roles(app, db, seeded):
    assert {lg.phone for lg in seeded.logins} == set(EXPECTED_ROLES)
    for phone, (code, roles) in EXPECTED_ROLES.items():
        user = authenticate(phone, seed.DEMO_PASSWORD)
        assert user is not None, phone
        community_id = _community(db, code).id if code else None
        with app.test_request_context():
            assert permissions.roles_for(user, community_id) == roles, phone
    city = authenticate("13800000005", seed.DEMO_PASSWORD)
    chair = authenticate("13800000001", seed.DEMO_PASSWORD)
    with app.test_request_context():
        assert permissions.roles_for(city, _community(db, "JSXC").id) == {"city"}
        assert permissions.roles_for(chair, _community(db, "JSXC").id) == frozenset()
    assert authenticate("13800000001", "wrong-password") is None


def test_invites_match_the_links(db, seeded):
    for code in ("XFL", "JSXC"):
        comm = _community(db, code)
        unit_ids = set(db.session.scalars(select(Unit.id).where(Unit.community_id == comm.id)))
        invites = db.session.scalars(select(Invite).where(Invite.community_id == comm.id)).all()
        assert {i.unit_id for i in invites} == unit_ids  # a slip was printed for every unit
        assert not any(i.used_at and i.revoked_at for i in invites)
    for link in db.session.scalars(select(Residency)):
        invite = db.session.get(Invite, link.invite_id)
        assert (invite.unit_id, invite.used_by_id) == (link.unit_id, link.user_id)
        assert aware(invite.created_at) <= aware(invite.used_at) == aware(link.created_at)
    used = db.session.scalar(select(func.count()).where(Invite.used_by_id.is_not(None)))
    assert used == db.session.scalar(select(func.count(Residency.id)))
    xfl = _community(db, "XFL")
    xfl_units = db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == xfl.id))
    xfl_used = db.session.scalar(
        select(func.count(func.distinct(Invite.unit_id))).where(
            Invite.community_id == xfl.id, Invite.used_at.is_not(None)
        )
    )
    assert xfl_used > xfl_units / 2
    revoked = db.session.scalar(select(func.count()).where(Invite.revoked_at.is_not(None)))
    assert 2 <= revoked <= 4


def test_notices_inbox_and_audit(db, seeded):
    xfl, jsxc = _community(db, "XFL"), _community(db, "JSXC")
    # The committee's own notices; topics and votes post theirs too (kind "topic", "vote").
    counts = dict(
        db.session.execute(
            select(Notice.community_id, func.count())
            .where(Notice.kind == "general")
            .group_by(Notice.community_id)
        ).all()
    )
    assert 5 <= counts[xfl.id] <= 8 and 2 <= counts[jsxc.id] <= 3
    assert db.session.scalar(select(func.count()).where(Notice.pinned)) >= 1
    assert all(aware(n.created_at) < NOW for n in db.session.scalars(select(Notice)))

    for phone in ("13800000011", "13800000012", "13800000013", "13800000014", "13800000021"):
        user = db.session.scalar(select(User).where(User.phone == phone))
        read = db.session.scalars(select(Message.read_at).where(Message.user_id == user.id)).all()
        assert any(r is None for r in read) and any(r is not None for r in read), phone
    # JSON columns store None as JSON null, so system messages are told apart in Python.
    messages = db.session.scalars(select(Message)).all()
    system = [m for m in messages if m.params is not None]
    assert system and all(set(re.findall(r"%\((\w+)\)", m.title)) <= set(m.params) for m in system)
    links = [m for m in system if "%(unit)s" in m.title]
    assert links and all("unit" in m.params for m in links)
    chair = db.session.scalar(select(User).where(User.phone == "13800000001"))
    waiting = sum(
        1
        for m in links
        if m.user_id == chair.id and m.read_at is None and m.title.startswith("An owner link")
    )
    pending = db.session.scalar(
        select(func.count()).where(
            Residency.community_id == xfl.id, Residency.status == ResidencyStatus.PENDING
        )
    )
    assert waiting == pending >= 1

    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    actions = {e.action for e in entries if e.community_id == xfl.id}
    assert {
        "register.import",
        "invite.create",
        "invite.revoke",
        "project.advance",
        "notice.post",
        "residency.confirm",
        "residency.revoke",
    } <= actions
    times = [aware(e.at) for e in entries]
    assert times == sorted(times)  # the log reads in the order things happened
    assert times[-1] < NOW


def _digest(db) -> str:
    rows = db.session.execute(
        select(Community.code, Unit, Owner.key, Owner.name)
        .join(Community, Community.id == Unit.community_id)
        .join(Owner, Owner.id == Unit.owner_id)
    ).all()
    lines = sorted(f"{c}|{u.label()}|{u.area}|{key}|{name}" for c, u, key, name in rows)
    users = sorted(db.session.execute(select(User.phone, User.name)).all())
    return hashlib.sha256(repr((lines, users)).encode()).hexdigest()


def test_the_same_seed_gives_the_same_neighbourhood(db, demo_copy):
    # The session's seed (run once, copied here: tests/snapshot.py) against a new run.
    demo_copy(now=NOW)
    first = _digest(db)
    _empty_all_tables()
    seed.seed_demo(now=NOW)
    db.session.commit()
    assert _digest(db) == first
    _empty_all_tables()
    seed.seed_demo(rng_seed=7, now=NOW)
    db.session.commit()
    assert _digest(db) != first


def test_seed_steps_can_be_extended(db, monkeypatch):
    seen = {}

    def extra(ctx: seed.SeedContext) -> None:
        seen["communities"] = sorted(ctx.communities)
        seen["committee"] = ctx.users["committee:XFL"].phone
        ctx.audit(ctx.at(1), ctx.users["committee:XFL"], "demo.extra", community_id=None)

    monkeypatch.setattr(seed, "SEED_STEPS", [*seed.SEED_STEPS, extra])
    seed.seed_demo(now=NOW)
    assert seen == {"communities": ["JSXC", "XFL"], "committee": "13800000001"}
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "demo.extra")) == 1


def test_cli_seeds_once_with_if_empty(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "13800000001" in result.output and "demo1234" in result.output
    units = db.session.scalar(select(func.count(Unit.id)))
    communities = db.session.scalar(select(func.count(Community.id)))
    assert units >= 300 and communities >= 2

    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "skipped" in again.output
    assert db.session.scalar(select(func.count(Unit.id))) == units
    assert db.session.scalar(select(func.count(Community.id))) == communities


def test_cli_reset_refuses_a_server_database_without_yes(app, db, demo_copy, monkeypatch):
    demo_copy(now=NOW)
    communities = db.session.scalar(select(func.count(Community.id)))
    monkeypatch.setattr(db.engine, "url", make_url("postgresql+psycopg://prod@db.example/gj"))
    result = app.test_cli_runner().invoke(args=["seed-demo", "--reset"])
    assert result.exit_code != 0
    assert "--yes" in result.output
    assert db.session.scalar(select(func.count(Community.id))) == communities


def test_cli_reset_starts_afresh(app, db, demo_copy):
    demo_copy(now=NOW)
    communities = db.session.scalar(select(func.count(Community.id)))
    result = app.test_cli_runner().invoke(args=["seed-demo", "--reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Community.id))) == communities
    assert authenticate("13800000014", seed.DEMO_PASSWORD) is not None
