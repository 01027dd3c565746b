"""Test data builders. They write through the ORM, committing, like the app would."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from participation.core.models import (
    Building,
    Community,
    Entrance,
    Membership,
    Owner,
    Residency,
    ResidencyStatus,
    Unit,
    User,
)
from participation.core.services.accounts import hash_password
from participation.core.services.community import ensure_project

PASSWORD = "secret-pass-1"
_phone_seq = iter(range(10_000_000, 99_999_999))


def next_phone() -> str:
    return f"139{next(_phone_seq)}"


def community(
    session: Session,
    code: str = "T01",
    buildings: int = 2,
    entrances: int = 2,
    per_entrance: int = 4,
    area: Decimal = Decimal("80.00"),
) -> Community:
    """Units are named like 101, 102, …; the owner of B1-E1-101 also owns B1-E1-102."""
    comm = Community(
        code=code, name=f"测试小区{code}", name_en=f"Test Estate {code}", district="测试区"
    )
    session.add(comm)
    session.flush()
    for b in range(1, buildings + 1):
        bld = Building(community_id=comm.id, name=str(b), sort_key=f"{b:06d}")
        session.add(bld)
        session.flush()
        for e in range(1, entrances + 1):
            ent = Entrance(building_id=bld.id, name=str(e), sort_key=f"{e:06d}")
            session.add(ent)
            session.flush()
            for n in range(1, per_entrance + 1):
                room = f"{(n + 1) // 2}0{2 - n % 2}"
                key = f"{b}-{e}-{room}"
                if (b, e, n) == (1, 1, 2):
                    key = f"{b}-{e}-101"  # second unit of the first owner
                owner = session.query(Owner).filter_by(community_id=comm.id, key=key).one_or_none()
                if owner is None:
                    owner = Owner(
                        community_id=comm.id, key=key, name=f"业主{key}", phone=next_phone()
                    )
                    session.add(owner)
                    session.flush()
                session.add(
                    Unit(
                        community_id=comm.id,
                        entrance_id=ent.id,
                        room=room,
                        sort_key=room.zfill(6),
                        area=area,
                        owner_id=owner.id,
                    )
                )
    ensure_project(comm)
    session.commit()
    return comm


def user(session: Session, phone: str | None = None, name: str = "测试用户") -> User:
    u = User(phone=phone or next_phone(), name=name, password_hash=hash_password(PASSWORD))
    session.add(u)
    session.commit()
    return u


def staff(session: Session, role: str, comm: Community | None) -> User:
    u = user(session, name=f"{role}员")
    session.add(
        Membership(user_id=u.id, role=role, community_id=None if role == "city" else comm.id)
    )
    session.commit()
    return u


def resident(
    session: Session,
    comm: Community,
    relation: str = "owner",
    unit: Unit | None = None,
    status: str = ResidencyStatus.ACTIVE,
) -> User:
    unit = unit or session.query(Unit).filter_by(community_id=comm.id).order_by(Unit.id).first()
    u = user(session, phone=unit.owner.phone if relation == "owner" else None)
    session.add(
        Residency(
            user_id=u.id, unit_id=unit.id, community_id=comm.id, relation=relation, status=status
        )
    )
    session.commit()
    return u


# --- issue 5: step 3 (pledges) ----------------------------------------------------------------


def current_step(session: Session, comm: Community, key: str) -> None:
    """Make `key` the community's current step: the ones before it done, later ones pending."""
    from participation.core.models import StepState
    from participation.core.timeutil import utcnow

    project = ensure_project(comm)
    keys = [s.key for s in project.steps]
    for step in project.steps:
        before = keys.index(step.key) < keys.index(key)
        step.state = (
            StepState.DONE if before else StepState.ACTIVE if step.key == key else StepState.PENDING
        )
        step.started_at = utcnow() if step.state != StepState.PENDING else None
        step.finished_at = utcnow() if before else None
    session.commit()


def adopted_plan(
    session: Session,
    comm: Community,
    sources: dict[str, str] | None = None,
    cost: str | None = None,
):
    """An adopted plan (status stored as adopted) with one line costing `cost` (the sum of the
    sources by default) and its funding sources in yuan."""
    from participation.core.timeutil import utcnow
    from participation.plan.models import Plan, PlanLine, PlanSource, PlanStatus

    sources = sources or {
        "government_subsidy": "500000.00",
        "reward": "20000.00",
        "residents": "64400.00",
    }
    total = Decimal(cost) if cost is not None else sum(Decimal(v) for v in sources.values())
    plan = Plan(
        community_id=comm.id,
        version=1,
        title="幸福里改造方案",
        status=PlanStatus.ADOPTED,
        decided_at=utcnow(),
    )
    session.add(plan)
    session.flush()
    session.add(
        PlanLine(
            plan_id=plan.id,
            position=1,
            category="basic",
            name_zh="外墙保温",
            name_en="Wall insulation",
            quantity=Decimal(1),
            unit_cost=total,
            cost=total,
        )
    )
    for kind, amount in sources.items():
        session.add(PlanSource(plan_id=plan.id, source=kind, amount=Decimal(amount)))
    session.commit()
    return plan
