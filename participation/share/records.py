"""Exports of other steps' records for the committee's archive: pledges (step 3) and issue
reports with their timelines (step 4), read-only from those steps' tables in a fixed number of
queries. None while a step's package is missing. No names or phone numbers: units by their
address (3-2-501), people not at all."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.models import Community
from ..extensions import db
from .exports import Table, _labels


def pledges_table(community: Community, locale: str) -> Table | None:
    try:
        from ..pledge.models import Pledge
    except ModuleNotFoundError:
        return None
    labels = _labels(community.id)
    rows = db.session.scalars(
        select(Pledge).where(Pledge.community_id == community.id).order_by(Pledge.created_at)
    ).all()
    return Table(
        _("Pledges"),
        [
            _("Unit"),
            _("Kind"),
            _("Status"),
            _("Amount (yuan)"),
            _("Hours"),
            _("Skill"),
            _("Materials"),
            _("Quantity"),
            _("Value (yuan)"),
            _("Pledged on"),
            _("Received on"),
            _("Withdrawn on"),
        ],
        [
            (
                labels.get(p.unit_id, "?"),
                p.kind,
                p.status,
                p.amount,
                p.hours,
                p.skill,
                p.item,
                p.quantity,
                p.value,
                p.created_at,
                p.fulfilled_at,
                p.withdrawn_at,
            )
            for p in rows
        ],
    )


def issues_table(community: Community, locale: str) -> Table | None:
    try:
        from ..build.models import Issue, IssueEvent
    except ModuleNotFoundError:
        return None
    issues = db.session.scalars(
        select(Issue).where(Issue.community_id == community.id).order_by(Issue.id)
    ).all()
    timeline: dict[int, list[str]] = {}
    for issue_id, at, status in db.session.execute(
        select(IssueEvent.issue_id, IssueEvent.at, IssueEvent.status)
        .join(Issue, Issue.id == IssueEvent.issue_id)
        .where(Issue.community_id == community.id)
        .order_by(IssueEvent.issue_id, IssueEvent.at, IssueEvent.id)
    ):
        timeline.setdefault(issue_id, []).append(f"{at:%Y-%m-%d %H:%M} {status}")
    return Table(
        _("Issues"),
        [
            _("Number"),
            _("Category"),
            _("Urgency"),
            _("Responsible"),
            _("Status"),
            _("Reported"),
            _("Answer due"),
            _("Answered"),
            _("Fix due"),
            _("Fixed"),
            _("Closed"),
            _("Reopened"),
            _("Neighbours who said “me too”"),
            _("Timeline (UTC)"),
        ],
        [
            (
                i.id,
                i.category,
                i.urgency,
                i.party,
                i.status,
                i.created_at,
                i.ack_due,
                i.acknowledged_at,
                i.resolve_due,
                i.resolved_at,
                i.closed_at,
                i.reopen_count,
                i.me_too_count,
                "; ".join(timeline.get(i.id, [])),
            )
            for i in issues
        ],
    )
