"""Use cases of the community home: the project and its steps, and the notice board."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from .. import audit, notify
from ..errors import DomainError
from ..models import (
    STEP_KEYS,
    Community,
    Notice,
    Project,
    ProjectStep,
    Residency,
    ResidencyStatus,
    StepState,
    Unit,
)
from ..timeutil import utcnow

# A step may only close when its gate holds; features register their gate here, e.g. the
# willingness vote must have passed before "consult" closes. A gate returns None or a reason.
Gate = Callable[[Community], str | None]
STEP_GATES: dict[str, Gate] = {}


def register_gate(step_key: str, gate: Gate) -> None:
    STEP_GATES[step_key] = gate


@dataclass
class Overview:
    community: Community
    project: Project
    current: ProjectStep | None
    notices: list[Notice]
    units: int
    owners: int
    area: Any
    residents: int


def ensure_project(community: Community) -> Project:
    project = db.session.scalar(select(Project).where(Project.community_id == community.id))
    if project is None:
        project = Project(community=community)
        db.session.add(project)
        for position, key in enumerate(STEP_KEYS, start=1):
            db.session.add(ProjectStep(project=project, key=key, position=position))
        db.session.flush()
    return project


def current_step(project: Project) -> ProjectStep | None:
    for step in project.steps:
        if step.state == StepState.ACTIVE:
            return step
    return None


def overview(community: Community) -> Overview:
    project = ensure_project(community)
    # Owners counted are those holding a unit here: the distinct owners of the units.
    units, area, owners = db.session.execute(
        select(
            func.count(Unit.id),
            func.coalesce(func.sum(Unit.area), 0),
            func.count(func.distinct(Unit.owner_id)),
        ).where(Unit.community_id == community.id)
    ).one()
    residents = db.session.scalar(
        select(func.count(func.distinct(Residency.user_id))).where(
            Residency.community_id == community.id, Residency.status == ResidencyStatus.ACTIVE
        )
    )
    notices = db.session.scalars(
        select(Notice)
        .where(Notice.community_id == community.id)
        .order_by(Notice.pinned.desc(), Notice.created_at.desc())
        .limit(3)
    ).all()
    if db.session.new:
        db.session.commit()
    return Overview(
        community,
        project,
        current_step(project),
        list(notices),
        units,
        owners or 0,
        area,
        residents or 0,
    )


def post_notice(
    actor: Any,
    community: Community,
    title: str,
    body: str,
    *,
    pinned: bool = False,
    kind: str = "general",
    notify_residents: bool = True,
) -> Notice:
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise DomainError(_("A notice needs a title and a text."))
    item = Notice(
        community_id=community.id,
        title=title,
        body=body,
        pinned=pinned,
        kind=kind,
        author_id=getattr(actor, "id", None),
        created_at=utcnow(),
    )
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "notice.post", community_id=community.id, target=item, title=title)
    if notify_residents:
        notify.send(
            notify.community_user_ids(community.id),
            title,
            body[:300],
            url_for("main.notice", code=community.code, notice_id=item.id),
            community_id=community.id,
        )
    return item


def advance_step(actor: Any, community: Community) -> ProjectStep | None:
    """Finish the active step (if its gate holds) and open the next; the first call opens step 1.
    Returns the step now active, or None when the project is complete."""
    project = ensure_project(community)
    steps = project.steps
    active = current_step(project)
    now = utcnow()
    if active is None:
        pending = [s for s in steps if s.state == StepState.PENDING]
        if not pending:
            raise DomainError(_("All five steps are already done."))
        nxt = pending[0]
    else:
        gate = STEP_GATES.get(active.key)
        reason = gate(community) if gate else None
        if reason:
            raise DomainError(reason)
        active.state = StepState.DONE
        active.finished_at = now
        later = [s for s in steps if s.position > active.position]
        nxt = later[0] if later else None
    if nxt is not None:
        nxt.state = StepState.ACTIVE
        nxt.started_at = now
    audit.record(
        actor,
        "project.advance",
        community_id=community.id,
        target=project,
        finished=active.key if active else "",
        started=nxt.key if nxt else "",
    )
    return nxt
