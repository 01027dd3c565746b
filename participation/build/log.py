"""The construction log (施工日志) and advance notices of disturbing works.

Contractor and property staff post dated entries with photos and the progress of a plan item
(a line of the adopted plan, read through participation.plan.public, or a free-text item while a
community has no adopted plan). Advance notices (water or power cut, night work) go on the
notice board and into every resident's inbox; night work (22:00–06:00, DOMAIN.md §5) needs a
stated reason, and any notice must be posted before the works start.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Community
from ..core.services.community import post_notice
from ..core.timeutil import local_zone, utcnow
from ..core.uploads import UploadError, delete_stored, save_image
from ..extensions import db
from . import rules
from .models import AdvanceNotice, LogEntry, LogPhoto
from .services import clean

MAX_LOG_PHOTOS = 6
LOG_SUBDIR = "buildlog"
NOTICE_KINDS = ("water_cut", "power_cut", "night_work", "road_closure", "other")
MAX_NOTICE_DAYS = 31


def plan_items(community_id: int) -> list[tuple[int, str]]:
    """(plan line id, name) of the community's adopted plan; empty when it has none yet."""
    try:
        from ..plan.public import adopted_plan
    except ImportError:  # the plan package is not there: free-text items only
        return []
    plan = adopted_plan(community_id)
    return [(line.id, line.name) for line in plan.lines] if plan else []


def add_entry(
    actor: Any,
    community: Community,
    *,
    day: date | None,
    item: str = "",
    plan_line_id: Any = None,
    progress: Any = None,
    body: str = "",
    photos: list[FileStorage] | None = None,
    now: datetime | None = None,
) -> LogEntry:
    now = now or utcnow()
    today = now.astimezone(local_zone()).date()
    if day is None:
        raise DomainError(_("Enter the date of the work."), "day")
    if day > today:
        raise DomainError(_("The log records work done: the date cannot be in the future."), "day")
    line_id = None
    name = clean(item, 100)
    if plan_line_id not in (None, ""):
        lines = dict(plan_items(community.id))
        try:
            line_id = int(plan_line_id)
        except (TypeError, ValueError):
            line_id = None
        if line_id not in lines:
            raise DomainError(_("Choose an item of the adopted plan."), "plan_line")
        name = lines[line_id]
    if not name:
        raise DomainError(_("Say which part of the works this is about."), "item")
    pct = None
    if progress not in (None, ""):
        try:
            pct = int(str(progress).strip().rstrip("%"))
        except ValueError:
            raise DomainError(_("Progress is a whole number from 0 to 100."), "progress") from None
        if not 0 <= pct <= 100:
            raise DomainError(_("Progress is a whole number from 0 to 100."), "progress")
    body = clean(body, 3000)
    if not body:
        raise DomainError(_("Write what was done today."), "body")
    files = [f for f in (photos or []) if f is not None and f.filename]
    if len(files) > MAX_LOG_PHOTOS:
        raise DomainError(_("At most %(n)d photos per entry.", n=MAX_LOG_PHOTOS), "photos")
    stored = []
    try:
        for file in files:
            stored.append(save_image(file, LOG_SUBDIR))
    except UploadError as err:
        delete_stored([n for s in stored for n in (s.name, s.thumb)])
        raise DomainError(err.message, "photos") from err
    entry = LogEntry(
        community_id=community.id,
        author_id=getattr(actor, "id", None),
        day=day,
        item_name=name,
        plan_line_id=line_id,
        progress=pct,
        body=body,
        created_at=now,
    )
    for s in stored:
        entry.photos.append(LogPhoto(name=s.name, thumb=s.thumb, width=s.width, height=s.height))
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "buildlog.post", community_id=community.id, target=entry, item=name)
    return entry


def entry_names(entry: LogEntry) -> list[str]:
    return [n for p in entry.photos for n in (p.name, p.thumb)]


ENTRIES_PER_PAGE = 10  # a cheap phone shows ten days of works, with their photos, at once


def entries(community: Community | int, page: int = 1, per_page: int = ENTRIES_PER_PAGE):
    """One page of the log, newest first (a Flask-SQLAlchemy Pagination: .items, .has_next…):
    a log grows by an entry a day for months, and every entry stays reachable."""
    cid = getattr(community, "id", community)
    return db.paginate(
        select(LogEntry)
        .where(LogEntry.community_id == cid)
        .options(selectinload(LogEntry.photos), selectinload(LogEntry.author))
        .order_by(LogEntry.day.desc(), LogEntry.id.desc()),
        page=max(page, 1),
        per_page=per_page,
        error_out=False,
    )


def latest_progress(community: Community | int) -> list[tuple[str, int]]:
    """The latest stated progress of each item, in the order items were first logged."""
    cid = getattr(community, "id", community)
    rows = db.session.execute(
        select(LogEntry.item_name, LogEntry.progress)
        .where(LogEntry.community_id == cid, LogEntry.progress.is_not(None))
        .order_by(LogEntry.day, LogEntry.id)
    ).all()
    latest: dict[str, int] = {}
    for name, pct in rows:
        latest[name] = pct
    return list(latest.items())


KIND_TITLES = {
    "water_cut": "停水通知",
    "power_cut": "停电通知",
    "night_work": "夜间施工公告",
    "road_closure": "道路封闭通知",
    "other": "施工通知",
}


def _when(value: datetime) -> str:
    local = value.astimezone(local_zone())
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def post_advance_notice(
    actor: Any,
    community: Community,
    *,
    kind: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    area: str = "",
    details: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> AdvanceNotice:
    """Post the notice on the board (residents get it in their inbox). Notices are written in
    Chinese, the language of the notice board."""
    now = now or utcnow()
    if kind not in NOTICE_KINDS:
        raise DomainError(_("Choose what kind of works these are."), "kind")
    if starts_at is None:
        raise DomainError(_("Enter when the works start."), "starts_at")
    if ends_at is None:
        raise DomainError(_("Enter when the works end."), "ends_at")
    if starts_at <= now:
        raise DomainError(
            _("An advance notice must be posted before the works start."), "starts_at"
        )
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    if ends_at - starts_at > timedelta(days=MAX_NOTICE_DAYS):
        raise DomainError(_("One notice covers at most %(n)d days.", n=MAX_NOTICE_DAYS), "ends_at")
    area, details, reason = clean(area, 100), clean(details, 2000), clean(reason, 300)
    zone = local_zone()
    at_night = rules.touches_night(
        starts_at.astimezone(zone).replace(tzinfo=None),
        ends_at.astimezone(zone).replace(tzinfo=None),
    )
    if (kind == "night_work" or at_night) and not reason:
        raise DomainError(
            _(
                "Works between 22:00 and 06:00 need a stated reason (for example an emergency repair)."
            ),
            "reason",
        )
    if not area:
        raise DomainError(_("Say which buildings are affected."), "area")
    title = f"{KIND_TITLES[kind]}：{_when(starts_at)}起 {area}"
    lines = [f"时间：{_when(starts_at)} 至 {_when(ends_at)}", f"范围：{area}"]
    if details:
        lines.append(details)
    if reason:
        lines.append(f"原因：{reason}")
    if at_night:
        lines.append("本次施工涉及夜间（22:00–06:00）时段，请谅解。")
    item = AdvanceNotice(
        community_id=community.id,
        author_id=getattr(actor, "id", None),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        area=area,
        details=details,
        reason=reason,
        created_at=now,
    )
    notice = post_notice(actor, community, title[:120], "\n\n".join(lines), kind="advance")
    item.notice_id = notice.id
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "advance.post", community_id=community.id, target=item, kind=kind)
    return item


def upcoming_notices(
    community: Community | int, now: datetime | None = None
) -> list[AdvanceNotice]:
    now = now or utcnow()
    cid = getattr(community, "id", community)
    return list(
        db.session.scalars(
            select(AdvanceNotice)
            .where(AdvanceNotice.community_id == cid, AdvanceNotice.ends_at >= now)
            .order_by(AdvanceNotice.starts_at)
        )
    )
