"""Builders for voting tests: topics, votes (draft or open), owner accounts, big electorates."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from participation.consult.models import Topic, TopicStatus
from participation.core.models import (
    Building,
    Community,
    Entrance,
    Owner,
    Unit,
)
from participation.core.timeutil import utcnow
from participation.voting import services
from participation.voting.models import Vote, VoteElector
from tests import factories

DAY = timedelta(days=1)


def topic(
    session: Session,
    comm: Community,
    *,
    posted_at: datetime | None = None,
    notice_days: int = 7,
    status: str = TopicStatus.POSTED,
    title: str = "加装电梯议题",
) -> Topic:
    """A topic posted ten days ago by default, so its 7-day notice period is over."""
    t = Topic(
        community_id=comm.id,
        title=title,
        body="讨论内容",
        posted_at=posted_at if posted_at is not None or status == "draft" else utcnow() - 10 * DAY,
        notice_days=notice_days,
        status=status,
    )
    session.add(t)
    session.commit()
    return t


def units_of(session: Session, comm: Community) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.community_id == comm.id).order_by(Unit.id)))


def unit_at(session: Session, comm: Community, building: str, entrance: str, room: str) -> Unit:
    return session.scalars(
        select(Unit)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(
            Building.community_id == comm.id,
            Building.name == building,
            Entrance.name == entrance,
            Unit.room == room,
        )
    ).one()


def draft_vote(
    session: Session,
    comm: Community,
    *,
    actor=None,
    the_topic: Topic | None = None,
    rule: str = "ordinary",
    days: int = 7,
    opens_at: datetime | None = None,
    **kwargs,
) -> Vote:
    actor = actor or factories.staff(session, "committee", comm)
    the_topic = the_topic or topic(session, comm)
    opens_at = opens_at or utcnow()
    vote = services.create_vote(
        actor,
        the_topic,
        title=kwargs.pop("title", "是否同意加装电梯"),
        question=kwargs.pop("question", "您是否同意本单元加装电梯？"),
        rule=rule,
        opens_at=opens_at,
        closes_at=kwargs.pop("closes_at", opens_at + days * DAY),
        **kwargs,
    )
    session.commit()
    return vote


def open_vote(session: Session, comm: Community, *, actor=None, **kwargs) -> Vote:
    actor = actor or factories.staff(session, "committee", comm)
    vote = draft_vote(session, comm, actor=actor, **kwargs)
    services.open_vote(actor, vote)
    session.commit()
    return vote


def closed_vote(
    session: Session, comm: Community, *, actor=None, agree: int | None = None, **kwargs
) -> Vote:
    """An open vote (keywords as for draft_vote) in which the committee enters a paper ballot
    for every elector, the first `agree` of them (all by default) agreeing and the others
    disagreeing, then closes it early: it passed or failed as its rule says."""
    actor = actor or factories.staff(session, "committee", comm)
    vote = open_vote(session, comm, actor=actor, **kwargs)
    electors = session.scalars(
        select(VoteElector.owner_id)
        .where(VoteElector.vote_id == vote.id)
        .order_by(VoteElector.owner_id)
    ).all()
    agreeing = len(electors) if agree is None else agree
    for n, owner_id in enumerate(electors):
        choice = "agree" if n < agreeing else "disagree"
        services.enter_paper_ballot(actor, vote, choice, f"T-{n + 1:03d}", owner_id=owner_id)
    services.close_vote(actor, vote, reason="全部业主已表决")
    session.commit()
    return vote


def owner_account(session: Session, comm: Community, unit: Unit, relation: str = "owner"):
    return factories.resident(session, comm, relation, unit)


def big_community(session: Session, code: str, owners: int, area: Decimal) -> Community:
    """`owners` owners with one unit each (10 units an entrance, 100 a building), written with
    bulk inserts."""
    comm = Community(code=code, name=f"大小区{code}", name_en=code)
    session.add(comm)
    session.flush()
    buildings = (owners + 99) // 100
    b_rows = session.execute(
        insert(Building).returning(Building.id, Building.name),
        [
            {"community_id": comm.id, "name": str(b), "sort_key": f"{b:06d}"}
            for b in range(1, buildings + 1)
        ],
    ).all()
    e_rows = session.execute(
        insert(Entrance).returning(Entrance.id),
        [
            {"building_id": bid, "name": str(e), "sort_key": f"{e:06d}"}
            for bid, _name in b_rows
            for e in range(1, 11)
        ],
    ).all()
    owner_ids = session.scalars(
        insert(Owner).returning(Owner.id),
        [{"community_id": comm.id, "key": f"K{i}", "name": "", "phone": ""} for i in range(owners)],
    ).all()
    session.execute(
        insert(Unit),
        [
            {
                "community_id": comm.id,
                "entrance_id": e_rows[i // 10][0],
                "room": f"{i % 10 + 1}01",
                "sort_key": f"{i % 10 + 1:04d}",
                "area": area,
                "owner_id": owner_id,
            }
            for i, owner_id in enumerate(owner_ids)
        ],
    )
    session.commit()
    return comm
