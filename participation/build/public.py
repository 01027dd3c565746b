"""The read interface of step 4 for other packages (the results board, the city dashboard) and
the JSON API. Aggregates only: no names, rooms, phones or texts.

- `issue_stats(community_id)`: counts by status and category, response and resolution rates,
  median hours to acknowledge and to resolve, and the share resolved within its deadline (the
  figures of GET /api/v1/communities/<code>/issues/stats).
- `overdue_counts(now)`: community id → open issues past a deadline, in one query.

Rates are of the issues that count: merged duplicates are left out (their voices moved to the
issue they were merged into); rejected ones count as answered but not as resolved. Medians are
computed here from the durations (the same on SQLite and PostgreSQL, which has percentile_cont
and SQLite has not); a community has hundreds of issues, not millions.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import and_, func, or_, select

from ..core.timeutil import aware, utcnow
from ..extensions import db
from . import rules, workflow
from .models import Issue


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _hours(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def issue_stats(community_id: int) -> dict[str, Any]:
    rows = db.session.execute(
        select(
            Issue.status,
            Issue.category,
            Issue.created_at,
            Issue.acknowledged_at,
            Issue.resolved_at,
            Issue.resolve_due,
        ).where(Issue.community_id == community_id)
    ).all()
    by_status = dict.fromkeys(workflow.STATES, 0)
    by_category = dict.fromkeys(rules.CATEGORIES, 0)
    counted = answered = resolved = within = 0
    to_ack: list[float] = []
    to_resolve: list[float] = []
    for status, category, created, acked, done, due in rows:
        by_status[status] = by_status.get(status, 0) + 1
        by_category[category] = by_category.get(category, 0) + 1
        if status == workflow.MERGED:
            continue
        counted += 1
        created = aware(created)
        if acked is not None:
            answered += 1
            to_ack.append((aware(acked) - created).total_seconds() / 3600)
        elif status == workflow.REJECTED:
            answered += 1
        if done is not None and status in (workflow.RESOLVED, workflow.CLOSED):
            resolved += 1
            to_resolve.append((aware(done) - created).total_seconds() / 3600)
            within += rules.within_deadline(aware(done), aware(due))
    open_ = sum(by_status[s] for s in workflow.OPEN)
    return {
        "total": len(rows),
        "open": open_,
        "resolved": resolved,
        "by_status": by_status,
        "by_category": by_category,
        "response_rate": _rate(answered, counted),
        "resolution_rate": _rate(resolved, counted - by_status[workflow.REJECTED]),
        "median_hours_to_acknowledge": _hours(to_ack),
        "median_hours_to_resolve": _hours(to_resolve),
        "within_deadline_share": _rate(within, resolved),
    }


def overdue_condition(now: datetime):
    return and_(
        Issue.status.in_(workflow.OPEN),
        or_(
            and_(Issue.status == workflow.SUBMITTED, Issue.ack_due < now),
            Issue.resolve_due < now,
        ),
    )


def overdue_counts(now: datetime | None = None) -> dict[int, int]:
    now = now or utcnow()
    rows = db.session.execute(
        select(Issue.community_id, func.count(Issue.id))
        .where(overdue_condition(now))
        .group_by(Issue.community_id)
    ).all()
    return {cid: n for cid, n in rows}
