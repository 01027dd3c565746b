"""Use cases of step 1's topics (议题) and their moderated discussion.

Lifecycle: `create_topic` (a draft only the committee sees) → `update_topic` and attachments
while a draft → `post_topic` (公示: on the board and in every inbox; the notice period runs
from posted_at, and the voting engine refuses to open a vote on the topic before
`topic.notice_ends_at`) → `close_topic` (discussion closed, not before the notice period ends).

Discussion: `add_comment` (plain text, 1–COMMENT_MAX_CHARS characters, one level of replies,
rate-limited per person in SQL so the limit holds across app servers), `report_comment` (once per
person; the committee hears of the first report), `hide_comment` with a reason code from
REASON_CODES plus free text, and `restore_comment`. Nothing is ever deleted, and every action is
recorded in the audit log.

Each function changes the session only; the caller commits once (or rolls back on DomainError).

Configuration (app.config, with defaults): TOPIC_NOTICE_DAYS 7 (the default notice period),
TOPIC_NOTICE_DAYS_MIN 7, TOPIC_NOTICE_DAYS_MAX 90, COMMENT_RATE_COUNT 10 comments per
COMMENT_RATE_MINUTES 10.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from ..core import audit, notify
from ..core import permissions as core_permissions
from ..core.errors import DomainError
from ..core.models import Community, Membership, User
from ..core.services.community import post_notice
from ..core.timeutil import aware, utcnow
from ..core.uploads import UploadError, delete_stored, save_image
from ..extensions import db
from . import files
from . import permissions as _permissions  # noqa: F401  (registers the topic.* actions)
from .models import (
    DEFAULT_NOTICE_DAYS,
    AttachmentKind,
    Comment,
    CommentReport,
    Topic,
    TopicAttachment,
    TopicStatus,
)

N_ = notify.N_

TITLE_MAX = 200
BODY_MAX = 20_000
COMMENT_MAX_CHARS = 2000
REPORT_REASON_MAX = 300
HIDE_TEXT_MAX = 300
MAX_IMAGES = 5
MAX_PDFS = 5
REASON_CODES = ("off_topic", "abusive", "personal_data", "spam")

DEFAULTS: dict[str, int] = {
    "TOPIC_NOTICE_DAYS": DEFAULT_NOTICE_DAYS,
    "TOPIC_NOTICE_DAYS_MIN": 7,
    "TOPIC_NOTICE_DAYS_MAX": 90,
    "COMMENT_RATE_COUNT": 10,
    "COMMENT_RATE_MINUTES": 10,
}

# Told to the author of a hidden comment, in the reader's language (one msgid per reason).
HIDDEN_MESSAGES = {
    "off_topic": N_("The committee hid your comment on “%(title)s”: off-topic."),
    "abusive": N_("The committee hid your comment on “%(title)s”: abusive."),
    "personal_data": N_("The committee hid your comment on “%(title)s”: it showed personal data."),
    "spam": N_("The committee hid your comment on “%(title)s”: spam or advertising."),
}

# C0/C1 control characters other than tab and newline: PostgreSQL refuses NUL in text, and the
# others only serve to disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def config(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def _clean(text: Any) -> str:
    """Plain text as typed: newlines normalised, control characters dropped, ends stripped.
    Markup is kept as the characters it is made of; templates escape it when shown."""
    text = "" if text is None else str(text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _local(dt: datetime) -> str:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return aware(dt).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _board(msgid: str, **params: Any) -> str:
    """Notice-board text in the community's language: the board is one text for everybody."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans")):
        return _(msgid, **params)


def _community(topic: Topic) -> Community:
    return db.session.get(Community, topic.community_id)


def topic_url(topic: Topic, **anchor: Any) -> str:
    return url_for("consult.detail", code=_community(topic).code, topic_id=topic.id, **anchor)


# ---------------------------------------------------------------------------------------------
# Topics


def _topic_fields(title: Any, body: Any, notice_days: Any) -> tuple[str, str, int]:
    title, body = _clean(title), _clean(body)
    if not title:
        raise DomainError(_("Please enter a title."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(
            _("The title is too long (at most %(n)d characters).", n=TITLE_MAX), "title"
        )
    if len(body) > BODY_MAX:
        raise DomainError(_("The text is too long (at most %(n)d characters).", n=BODY_MAX), "body")
    if notice_days is None or notice_days == "":
        days = config("TOPIC_NOTICE_DAYS")
    else:
        try:
            days = int(notice_days)
        except (TypeError, ValueError):
            days = -1
    low, high = config("TOPIC_NOTICE_DAYS_MIN"), config("TOPIC_NOTICE_DAYS_MAX")
    if not low <= days <= high:
        raise DomainError(
            _("The notice period is %(low)d to %(high)d days.", low=low, high=high),
            "notice_days",
        )
    return title, body, days


def create_topic(
    actor: Any, community: Community, title: str, body: str = "", *, notice_days: Any = None
) -> Topic:
    """A draft topic: only the committee sees it until it is posted."""
    title, body, days = _topic_fields(title, body, notice_days)
    topic = Topic(
        community_id=community.id,
        title=title,
        body=body,
        notice_days=days,
        author_id=getattr(actor, "id", None),
        created_at=utcnow(),
        status=TopicStatus.DRAFT,
    )
    db.session.add(topic)
    db.session.flush()
    audit.record(
        actor, "topic.create", community_id=community.id, target=topic, title=title, days=days
    )
    return topic


def _require_draft(topic: Topic) -> None:
    if topic.status != TopicStatus.DRAFT:
        raise DomainError(_("A posted topic cannot be changed: residents have read it as posted."))


def update_topic(
    actor: Any, topic: Topic, title: str, body: str = "", *, notice_days: Any = None
) -> Topic:
    _require_draft(topic)
    topic.title, topic.body, topic.notice_days = _topic_fields(title, body, notice_days)
    audit.record(
        actor,
        "topic.update",
        community_id=topic.community_id,
        target=topic,
        title=topic.title,
        days=topic.notice_days,
    )
    return topic


def attachments_of(topic: Topic) -> list[TopicAttachment]:
    return list(
        db.session.scalars(
            select(TopicAttachment)
            .where(TopicAttachment.topic_id == topic.id)
            .order_by(TopicAttachment.id)
        )
    )


def add_attachments(
    actor: Any, topic: Topic, uploads: Iterable[FileStorage]
) -> list[TopicAttachment]:
    """Attach photos and PDFs to a draft, each judged by its content. All or nothing: if one
    file is refused, the files stored by this call are removed and UploadError is raised. The
    caller removes the returned attachments' files (stored_names) if its commit fails."""
    _require_draft(topic)
    uploads = [f for f in uploads if f is not None and f.filename]
    if not uploads:
        return []
    existing = attachments_of(topic)
    images = sum(1 for a in existing if a.kind == AttachmentKind.IMAGE)
    pdfs = len(existing) - images
    added: list[TopicAttachment] = []
    try:
        for upload in uploads:
            if files.is_pdf(upload):
                pdfs += 1
                if pdfs > MAX_PDFS:
                    raise UploadError(
                        _("A topic can have at most %(n)d PDF documents.", n=MAX_PDFS)
                    )
                stored = files.save_pdf(upload)
                item = TopicAttachment(
                    kind=AttachmentKind.PDF,
                    name=stored.name,
                    size=stored.size,
                    filename=files.display_name(upload.filename, "document.pdf"),
                )
            else:
                images += 1
                if images > MAX_IMAGES:
                    raise UploadError(_("A topic can have at most %(n)d photos.", n=MAX_IMAGES))
                photo = save_image(upload, files.SUBDIR)
                item = TopicAttachment(
                    kind=AttachmentKind.IMAGE,
                    name=photo.name,
                    thumb=photo.thumb,
                    filename=files.display_name(upload.filename, "photo"),
                )
            item.topic_id = topic.id
            item.created_at = utcnow()
            added.append(item)
            db.session.add(item)
    except UploadError:
        delete_stored(stored_names(added))
        raise
    db.session.flush()
    for item in added:
        audit.record(
            actor,
            "topic.attach",
            community_id=topic.community_id,
            target=topic,
            attachment=item.id,
            kind=item.kind,
            filename=item.filename,
        )
    return added


def stored_names(attachments: Iterable[TopicAttachment]) -> list[str]:
    return [n for a in attachments for n in (a.name, a.thumb) if n]


def remove_attachment(actor: Any, attachment: TopicAttachment) -> list[str]:
    """Remove an attachment of a draft. Returns the stored file names, which the caller deletes
    (delete_stored) once its commit has succeeded."""
    topic = db.session.get(Topic, attachment.topic_id)
    _require_draft(topic)
    names = stored_names([attachment])
    audit.record(
        actor,
        "topic.detach",
        community_id=topic.community_id,
        target=topic,
        attachment=attachment.id,
        filename=attachment.filename,
    )
    db.session.delete(attachment)
    return names


def post_topic(actor: Any, topic: Topic, now: datetime | None = None) -> Topic:
    """Post a draft (公示): the notice period starts now. A notice on the board links to the
    topic and every account of the community is told in its inbox."""
    now = aware(now) if now is not None else utcnow()
    db.session.refresh(topic, with_for_update=True)  # two committee members posting at once
    _require_draft(topic)
    if not topic.title.strip():
        raise DomainError(_("Please enter a title."), "title")
    topic.status = TopicStatus.POSTED
    topic.posted_at = now
    community = _community(topic)
    ends = topic.notice_ends_at
    link = topic_url(topic)
    notice = post_notice(
        actor,
        community,
        _board(N_("Topic for discussion: %(title)s"), title=topic.title)[:120],
        _board(
            N_(
                "%(body)s\n\nThe committee posted this topic on %(posted)s for %(days)d days. "
                "Read it and give your opinion in the discussion; no vote on it may open before "
                "%(ends)s."
            ),
            body=topic.body,
            posted=_local(now),
            days=topic.notice_days,
            ends=_local(ends),
        ),
        kind="topic",
        notify_residents=False,
    )
    notice.link = link[:200]
    notify.send(
        notify.community_user_ids(community.id),
        N_("New topic for discussion: %(title)s. A vote on it may open from %(ends)s."),
        link=link,
        community_id=community.id,
        params={"title": topic.title, "ends": _local(ends)},
    )
    audit.record(
        actor,
        "topic.post",
        community_id=community.id,
        target=topic,
        title=topic.title,
        days=topic.notice_days,
        notice_ends_at=ends.isoformat(),
        notice=notice.id,
    )
    return topic


def close_topic(actor: Any, topic: Topic, now: datetime | None = None) -> Topic:
    """Close the discussion; refused while the topic is a draft or its notice period runs.
    Votes on the topic keep their own state."""
    now = aware(now) if now is not None else utcnow()
    if topic.status == TopicStatus.CLOSED:
        raise DomainError(_("This topic is already closed."))
    if topic.status != TopicStatus.POSTED:
        raise DomainError(_("A draft topic cannot be closed; post it first."))
    ends = topic.notice_ends_at
    if now < ends:
        raise DomainError(
            _(
                "The notice period runs until %(date)s; the discussion cannot close earlier.",
                date=_local(ends),
            )
        )
    topic.status = TopicStatus.CLOSED
    audit.record(actor, "topic.close", community_id=topic.community_id, target=topic)
    return topic


# ---------------------------------------------------------------------------------------------
# Discussion


def _rate_window() -> timedelta:
    return timedelta(minutes=config("COMMENT_RATE_MINUTES"))


def recent_comment_count(user_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.user_id == user_id, Comment.created_at > now - _rate_window()
            )
        )
        or 0
    )


def add_comment(
    actor: Any,
    topic: Topic,
    body: Any,
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    """A comment, or a reply when `parent` is given. Replies stay one level deep: a reply to a
    reply joins its thread. Refused on a topic that is not open for discussion, for an account
    that may not take part, beyond the per-person rate limit, and for empty or over-long text."""
    now = aware(now) if now is not None else utcnow()
    if topic.status == TopicStatus.DRAFT:
        raise DomainError(_("This topic is not posted yet."))
    if topic.status == TopicStatus.CLOSED:
        raise DomainError(_("The discussion of this topic is closed."))
    if not core_permissions.can(actor, "comment.add", topic.community_id, topic):
        raise DomainError(_("Only residents and staff of this community can take part."))
    text = _clean(body)
    if not text:
        raise DomainError(_("Please write your comment."), "body")
    if len(text) > COMMENT_MAX_CHARS:
        raise DomainError(
            _(
                "Your comment is too long: %(n)d characters, at most %(max)d.",
                n=len(text),
                max=COMMENT_MAX_CHARS,
            ),
            "body",
        )
    if parent is not None:
        if parent.topic_id != topic.id:
            raise DomainError(_("You can only reply to a comment on this topic."))
        if parent.parent_id is not None:
            parent = db.session.get(Comment, parent.parent_id)
        if parent.hidden_at is not None:
            raise DomainError(_("The committee hid this comment; it cannot be answered."))
    # One person's comments are counted under a lock on their account row, so parallel
    # requests (on several servers) queue up and cannot slip past the limit together.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    limit = config("COMMENT_RATE_COUNT")
    if recent_comment_count(actor.id, now) >= limit:
        raise DomainError(
            _(
                "You have written %(n)d comments in %(minutes)d minutes. "
                "Please wait a little before writing more.",
                n=limit,
                minutes=config("COMMENT_RATE_MINUTES"),
            ),
            "body",
        )
    comment = Comment(
        topic_id=topic.id,
        user_id=actor.id,
        parent_id=parent.id if parent is not None else None,
        body=text,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(
        actor,
        "comment.add",
        community_id=topic.community_id,
        target=comment,
        topic=topic.id,
        parent=comment.parent_id,
        chars=len(text),
    )
    return comment


def report_comment(
    actor: Any, comment: Comment, reason: Any = "", now: datetime | None = None
) -> CommentReport:
    """Flag a comment for the committee: once per person. The committee's inbox hears of the
    first report only; later ones raise the count shown next to the comment."""
    now = aware(now) if now is not None else utcnow()
    topic = comment.topic
    if topic.status == TopicStatus.DRAFT:
        raise DomainError(_("This topic is not posted yet."))
    if comment.user_id == getattr(actor, "id", None):
        raise DomainError(_("You cannot report your own comment."))
    if comment.hidden_at is not None:
        raise DomainError(_("The committee has already hidden this comment."))
    text = _clean(reason)
    if len(text) > REPORT_REASON_MAX:
        raise DomainError(
            _("Please keep it under %(n)d characters.", n=REPORT_REASON_MAX), "reason"
        )
    already = _("You have already reported this comment. The committee will look at it.")
    if db.session.scalar(
        select(CommentReport.id).where(
            CommentReport.comment_id == comment.id, CommentReport.user_id == actor.id
        )
    ):
        raise DomainError(already)
    report = CommentReport(comment_id=comment.id, user_id=actor.id, reason=text, created_at=now)
    try:
        with db.session.begin_nested():  # the unique constraint settles a double submit
            db.session.add(report)
    except IntegrityError:
        raise DomainError(already) from None
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(report_count=Comment.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(comment, ["report_count"])
    if comment.report_count == 1:
        notify.send(
            notify.staff_user_ids(topic.community_id, core_permissions.COMMITTEE),
            N_("A comment on “%(title)s” was reported. Please look at it."),
            link=topic_url(topic, _anchor=f"c{comment.id}"),
            community_id=topic.community_id,
            params={"title": topic.title},
        )
    audit.record(
        actor,
        "comment.report",
        community_id=topic.community_id,
        target=comment,
        topic=topic.id,
        reports=comment.report_count,
        reason=text,
    )
    return report


def hide_comment(
    actor: Any, comment: Comment, reason_code: str, text: Any = "", now: datetime | None = None
) -> Comment:
    """Hide a comment (never delete it) with a reason from REASON_CODES and optional text, both
    shown in its place to everybody. The author is told in their inbox."""
    now = aware(now) if now is not None else utcnow()
    if reason_code not in REASON_CODES:
        raise DomainError(_("Please choose a reason."), "reason_code")
    text = _clean(text)
    if len(text) > HIDE_TEXT_MAX:
        raise DomainError(_("Please keep it under %(n)d characters.", n=HIDE_TEXT_MAX), "text")
    if comment.hidden_at is not None:
        raise DomainError(_("This comment is already hidden."))
    comment.hidden_at = now
    comment.hidden_by_id = getattr(actor, "id", None)
    comment.hidden_reason_code = reason_code
    comment.hidden_reason_text = text
    topic = comment.topic
    audit.record(
        actor,
        "comment.hide",
        community_id=topic.community_id,
        target=comment,
        topic=topic.id,
        reason=reason_code,
        text=text,
        reports=comment.report_count,
    )
    if comment.user_id != getattr(actor, "id", None):
        notify.send(
            [comment.user_id],
            HIDDEN_MESSAGES[reason_code],
            link=topic_url(topic, _anchor=f"c{comment.id}"),
            community_id=topic.community_id,
            params={"title": topic.title},
        )
    return comment


def restore_comment(actor: Any, comment: Comment) -> Comment:
    """Show a hidden comment again; the audit log keeps why it was hidden."""
    if comment.hidden_at is None:
        raise DomainError(_("This comment is not hidden."))
    previous = comment.hidden_reason_code
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason_code = ""
    comment.hidden_reason_text = ""
    audit.record(
        actor,
        "comment.restore",
        community_id=comment.topic.community_id,
        target=comment,
        topic=comment.topic_id,
        was=previous,
    )
    return comment


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment]


def discussion(topic: Topic) -> list[Thread]:
    """The comments of a topic in order, replies under their comment, in one query."""
    rows = db.session.scalars(
        select(Comment)
        .where(Comment.topic_id == topic.id)
        .options(joinedload(Comment.user))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    threads: dict[int, Thread] = {}
    for c in rows:
        if c.parent_id is None:
            threads[c.id] = Thread(c, [])
    for c in rows:
        if c.parent_id is not None and c.parent_id in threads:
            threads[c.parent_id].replies.append(c)
    return list(threads.values())


def comment_counts(topic_ids: list[int]) -> dict[int, int]:
    if not topic_ids:
        return {}
    return dict(
        db.session.execute(
            select(Comment.topic_id, func.count(Comment.id))
            .where(Comment.topic_id.in_(topic_ids), Comment.hidden_at.is_(None))
            .group_by(Comment.topic_id)
        ).all()
    )


def staff_roles(community_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """Which authors speak for the committee or the property company (shown next to their
    name), in one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    roles: dict[int, str] = {}
    for user_id, role in db.session.execute(
        select(Membership.user_id, Membership.role).where(
            Membership.community_id == community_id, Membership.user_id.in_(ids)
        )
    ):
        if roles.get(user_id) != core_permissions.COMMITTEE:  # committee first
            roles[user_id] = role
    return roles
