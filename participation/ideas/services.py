"""Use cases of residents' ideas (创意点亮城市角落).

Lifecycle: a resident `create_idea`s (title, plain text, an optional place: a building of the
register and/or words, up to MAX_PHOTOS photos), rate-limited per person in SQL like consult
comments so the limit holds across app servers. While the idea is open its author may
`update_idea` (and add or `remove_photo`s) and `withdraw_idea`. Other residents `support` it with
one tap and may take it back (`unsupport`); the unique constraint on (idea, account) settles a
double tap or two servers at once, and `support_count` moves in the same transaction. Anybody
taking part may `report_idea`; the committee `hide_idea`s with a reason from consult's fixed list
(off-topic, abusive, personal data, spam) plus free text, `restore_idea`s, and `promote_idea`s an
open idea into an item of the community's renovation menu through participation.plan.services.
add_item; the author is told in their inbox. Nothing is deleted; committee actions and residents'
posts are recorded in the audit log.

Photos go through participation.core.uploads.save_image (decoded, re-encoded, metadata removed,
resized, thumbnail); a file that is not a photo, a photo with an archive appended (a PNG/ZIP
polyglot), an oversized one or a fourth photo is refused with a message in the user's language,
and the files stored by the refused call are removed: nothing is half-written. The caller removes
the files of a successful call (`stored_names`) if its own commit then fails.

Each function changes the session only; the caller commits once (or rolls back on DomainError).

Configuration (app.config, with defaults): IDEA_RATE_COUNT 5 ideas per IDEA_RATE_MINUTES 60,
IDEA_PHOTO_MAX_BYTES 8 MB per photo (under the 10 MB request limit, MAX_UPLOAD_MB).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from ..consult.services import HIDE_TEXT_MAX, REASON_CODES, REPORT_REASON_MAX
from ..consult.services import _clean as clean_text
from ..core import audit, notify
from ..core import permissions as core_permissions
from ..core.errors import DomainError
from ..core.models import Building, Community, User
from ..core.timeutil import aware, utcnow
from ..core.uploads import UploadError, delete_stored, save_image
from ..extensions import db, parse_id
from ..plan import services as menu_services
from ..plan.models import MenuItem
from . import permissions as _permissions  # noqa: F401  (registers the idea.* actions)
from .models import Idea, IdeaPhoto, IdeaReport, IdeaStatus, IdeaSupport

N_ = notify.N_

TITLE_MAX = 60
BODY_MAX = 1000
PLACE_MAX = 60
MAX_PHOTOS = 3
PHOTO_SUBDIR = "ideas"

DEFAULTS: dict[str, int] = {
    "IDEA_RATE_COUNT": 5,
    "IDEA_RATE_MINUTES": 60,
    "IDEA_PHOTO_MAX_BYTES": 8 * 1024 * 1024,
}

# Told to the author of a hidden idea, in the reader's language (one msgid per reason).
HIDDEN_MESSAGES = {
    "off_topic": N_("The committee hid your idea “%(title)s”: off-topic."),
    "abusive": N_("The committee hid your idea “%(title)s”: abusive."),
    "personal_data": N_("The committee hid your idea “%(title)s”: it showed personal data."),
    "spam": N_("The committee hid your idea “%(title)s”: spam or advertising."),
}

SORTS = ("support", "new")
_HAN = re.compile(r"[\u3400-\u9fff]")


def config(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def idea_url(idea: Idea, **anchor: Any) -> str:
    code = db.session.scalar(select(Community.code).where(Community.id == idea.community_id))
    return url_for("ideas.detail", code=code, idea_id=idea.id, **anchor)


# ---------------------------------------------------------------------------------------------
# Fields and photos


@dataclass(frozen=True)
class IdeaFields:
    title: str
    body: str
    building_id: int | None
    place: str


def _fields(community_id: int, title: Any, body: Any, building: Any, place: Any) -> IdeaFields:
    title, body, place = clean_text(title), clean_text(body), clean_text(place)
    if not title:
        raise DomainError(_("Please give your idea a short title."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(
            _(
                "The title is too long: %(n)d characters, at most %(max)d.",
                n=len(title),
                max=TITLE_MAX,
            ),
            "title",
        )
    if not body:
        raise DomainError(_("Please describe your idea."), "body")
    if len(body) > BODY_MAX:
        raise DomainError(
            _(
                "The description is too long: %(n)d characters, at most %(max)d.",
                n=len(body),
                max=BODY_MAX,
            ),
            "body",
        )
    if len(place) > PLACE_MAX:
        raise DomainError(
            _("Please describe the place in at most %(max)d characters.", max=PLACE_MAX), "place"
        )
    building_id: int | None = None
    if building not in (None, "", 0, "0"):
        building_id = parse_id(getattr(building, "id", building)) or -1
        found = db.session.scalar(
            select(Building.id).where(
                Building.id == building_id, Building.community_id == community_id
            )
        )
        if found is None:
            raise DomainError(_("Please choose a building of this community."), "building")
    return IdeaFields(title, body, building_id, place)


def _uploads(files: Iterable[FileStorage | None] | None) -> list[FileStorage]:
    return [f for f in (files or ()) if f is not None and f.filename]


def _check_not_archive(upload: FileStorage, limit: int) -> None:
    """Refuse a picture with an archive inside (a PNG/ZIP polyglot): the re-encoding would drop
    it, but such a file is not an honest photo. A ZIP is recognised by its end-of-central-
    directory record, which the format requires at the end of the file."""
    data = upload.stream.read(limit + 1)
    upload.stream.seek(0)
    if len(data) > limit:
        return  # save_image refuses it as too large, with the size in the message
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadError(
            _(
                "This file is not only a photo (it has an archive inside). Please send the photo itself."
            )
        )


def stored_names(photos: Iterable[IdeaPhoto]) -> list[str]:
    return [n for p in photos for n in (p.name, p.thumb) if n]


def _add_photos(idea: Idea, files: list[FileStorage], existing: int) -> list[IdeaPhoto]:
    """Store photos for the idea, all or none: on the first refusal the files stored by this
    call are removed and UploadError is raised."""
    if existing + len(files) > MAX_PHOTOS:
        if existing:
            raise UploadError(
                _(
                    "An idea can have at most %(max)d photos; it has %(n)d already.",
                    max=MAX_PHOTOS,
                    n=existing,
                )
            )
        raise UploadError(_("An idea can have at most %(max)d photos.", max=MAX_PHOTOS))
    limit = config("IDEA_PHOTO_MAX_BYTES")
    added: list[IdeaPhoto] = []
    try:
        for n, upload in enumerate(files):
            _check_not_archive(upload, limit)
            stored = save_image(upload, PHOTO_SUBDIR, max_bytes=limit)
            photo = IdeaPhoto(
                name=stored.name,
                thumb=stored.thumb,
                width=stored.width,
                height=stored.height,
                position=existing + n + 1,
                created_at=utcnow(),
            )
            added.append(photo)
    except Exception:  # a refusal (UploadError) or a failing disk: remove what was stored
        delete_stored(stored_names(added))
        raise
    for photo in added:
        photo.idea_id = idea.id
        db.session.add(photo)
    return added


# ---------------------------------------------------------------------------------------------
# Posting, editing, withdrawing


def _rate_window() -> timedelta:
    return timedelta(minutes=config("IDEA_RATE_MINUTES"))


def recent_idea_count(user_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(Idea.id)).where(
                Idea.author_id == user_id, Idea.created_at > now - _rate_window()
            )
        )
        or 0
    )


def create_idea(
    actor: Any,
    community: Community,
    title: Any,
    body: Any,
    *,
    building: Any = None,
    place: Any = "",
    photos: Iterable[FileStorage | None] | None = None,
    now: datetime | None = None,
) -> Idea:
    """Post an idea. Refused for an account that is not a resident of the community, beyond
    the per-person rate limit, for an empty or over-long text, and for bad photos; in every case
    nothing is written and no file stays behind."""
    now = aware(now) if now is not None else utcnow()
    if not core_permissions.can(actor, "idea.create", community.id):
        raise DomainError(_("Only residents of this community can post ideas."))
    fields = _fields(community.id, title, body, building, place)
    files = _uploads(photos)
    if len(files) > MAX_PHOTOS:  # before the rate check and before storing anything
        raise UploadError(_("An idea can have at most %(max)d photos.", max=MAX_PHOTOS))
    # One person's ideas are counted under a lock on their account row, so parallel requests
    # (on several servers) queue up and cannot slip past the limit together.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    limit = config("IDEA_RATE_COUNT")
    if recent_idea_count(actor.id, now) >= limit:
        raise DomainError(
            _(
                "You have posted %(n)d ideas in %(minutes)d minutes. "
                "Please wait a little before posting more.",
                n=limit,
                minutes=config("IDEA_RATE_MINUTES"),
            ),
            "body",
        )
    idea = Idea(
        community_id=community.id,
        author_id=actor.id,
        title=fields.title,
        body=fields.body,
        building_id=fields.building_id,
        place=fields.place,
        status=IdeaStatus.OPEN,
        created_at=now,
        support_count=0,
        report_count=0,
    )
    db.session.add(idea)
    db.session.flush()
    added = _add_photos(idea, files, 0)
    try:
        db.session.flush()
    except Exception:
        delete_stored(stored_names(added))
        raise
    audit.record(
        actor,
        "idea.create",
        community_id=community.id,
        target=idea,
        title=idea.title,
        chars=len(idea.body),
        photos=len(added),
    )
    return idea


def _require_author(actor: Any, idea: Idea) -> None:
    if idea.author_id != getattr(actor, "id", None):
        raise DomainError(_("Only the author can change this idea."))


def _require_open(idea: Idea) -> None:
    if idea.status == IdeaStatus.PROMOTED:
        raise DomainError(
            _("The committee has added this idea to the renovation menu; it can no longer change.")
        )
    if idea.status == IdeaStatus.WITHDRAWN:
        raise DomainError(_("This idea was withdrawn."))


def photos_of(idea: Idea) -> list[IdeaPhoto]:
    return list(
        db.session.scalars(
            select(IdeaPhoto)
            .where(IdeaPhoto.idea_id == idea.id)
            .order_by(IdeaPhoto.position, IdeaPhoto.id)
        )
    )


def update_idea(
    actor: Any,
    idea: Idea,
    title: Any,
    body: Any,
    *,
    building: Any = None,
    place: Any = "",
    photos: Iterable[FileStorage | None] | None = None,
    now: datetime | None = None,
) -> list[IdeaPhoto]:
    """The author rewords an open idea and may add photos (up to MAX_PHOTOS in all). Returns
    the photos added, whose files the caller removes if its commit fails."""
    now = aware(now) if now is not None else utcnow()
    _require_author(actor, idea)
    _require_open(idea)
    if idea.hidden:
        raise DomainError(_("The committee hid this idea; it cannot be changed."))
    fields = _fields(idea.community_id, title, body, building, place)
    files = _uploads(photos)
    existing = len(photos_of(idea)) if files else 0
    changed = [
        name
        for name in ("title", "body", "building_id", "place")
        if getattr(idea, name) != getattr(fields, name)
    ]
    added = _add_photos(idea, files, existing)
    for name in changed:
        setattr(idea, name, getattr(fields, name))
    if changed or added:
        idea.updated_at = now
        audit.record(
            actor,
            "idea.update",
            community_id=idea.community_id,
            target=idea,
            changed=",".join(changed),
            photos_added=len(added),
        )
    return added


def remove_photo(actor: Any, idea: Idea, photo: IdeaPhoto) -> list[str]:
    """The author removes a photo of an open idea. Returns the stored file names, which the
    caller deletes (delete_stored) once its commit has succeeded."""
    _require_author(actor, idea)
    _require_open(idea)
    if photo.idea_id != idea.id:
        raise DomainError(_("No such photo."))
    names = stored_names([photo])
    audit.record(
        actor, "idea.photo_remove", community_id=idea.community_id, target=idea, photo=photo.id
    )
    db.session.delete(photo)
    return names


def withdraw_idea(actor: Any, idea: Idea, now: datetime | None = None) -> Idea:
    """The author takes back an open idea: it leaves the list (its author, the committee and the
    city still see it) and takes no more supports."""
    now = aware(now) if now is not None else utcnow()
    db.session.refresh(idea, with_for_update=True)  # against a promotion at the same moment
    _require_author(actor, idea)
    _require_open(idea)
    idea.status = IdeaStatus.WITHDRAWN
    idea.withdrawn_at = now
    audit.record(actor, "idea.withdraw", community_id=idea.community_id, target=idea)
    return idea


# ---------------------------------------------------------------------------------------------
# Support


def _require_supportable(actor: Any, idea: Idea) -> None:
    if idea.author_id == getattr(actor, "id", None):
        raise DomainError(_("This is your own idea: others can support it."))
    _require_open(idea)
    if idea.hidden:
        raise DomainError(_("The committee hid this idea."))
    if not core_permissions.can(actor, "idea.support", idea.community_id, idea):
        raise DomainError(_("Only residents of this community can support ideas."))


def _bump(idea: Idea, by: int) -> None:
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(support_count=Idea.support_count + by)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(idea, ["support_count"])


def support(actor: Any, idea: Idea, now: datetime | None = None) -> bool:
    """Support the idea; True if this added a support, False if the account already supported
    it (a double tap, or the same tap on two devices)."""
    now = aware(now) if now is not None else utcnow()
    _require_supportable(actor, idea)
    row = IdeaSupport(idea_id=idea.id, user_id=actor.id, created_at=now)
    try:
        with db.session.begin_nested():  # the unique constraint settles a race
            db.session.add(row)
    except IntegrityError:
        db.session.refresh(idea, ["support_count"])
        return False
    _bump(idea, +1)
    return True


def unsupport(actor: Any, idea: Idea) -> bool:
    """Take a support back; True if there was one."""
    _require_supportable(actor, idea)
    result = db.session.execute(
        delete(IdeaSupport).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == actor.id)
    )
    if not result.rowcount:
        db.session.refresh(idea, ["support_count"])
        return False
    _bump(idea, -1)
    return True


def supported_ids(user: Any, idea_ids: Iterable[int]) -> set[int]:
    """Which of these ideas the user supports, in one query."""
    ids = list(idea_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(IdeaSupport.idea_id).where(
                IdeaSupport.user_id == user.id, IdeaSupport.idea_id.in_(ids)
            )
        )
    )


def reported_ids(user: Any, idea_ids: Iterable[int]) -> set[int]:
    ids = list(idea_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(IdeaReport.idea_id).where(
                IdeaReport.user_id == user.id, IdeaReport.idea_id.in_(ids)
            )
        )
    )


# ---------------------------------------------------------------------------------------------
# Moderation (as consult's comments: the same reasons, limits and wording)


def report_idea(
    actor: Any, idea: Idea, reason: Any = "", now: datetime | None = None
) -> IdeaReport:
    """Flag an idea for the committee: once per person. The committee's inbox hears of the
    first report only; later ones raise the count the committee sees."""
    now = aware(now) if now is not None else utcnow()
    if idea.author_id == getattr(actor, "id", None):
        raise DomainError(_("You cannot report your own idea."))
    if idea.hidden:
        raise DomainError(_("The committee has already hidden this idea."))
    if idea.status == IdeaStatus.WITHDRAWN:
        raise DomainError(_("This idea was withdrawn."))
    text = clean_text(reason)
    if len(text) > REPORT_REASON_MAX:
        raise DomainError(
            _("Please keep it under %(n)d characters.", n=REPORT_REASON_MAX), "reason"
        )
    already = _("You have already reported this idea. The committee will look at it.")
    if db.session.scalar(
        select(IdeaReport.id).where(IdeaReport.idea_id == idea.id, IdeaReport.user_id == actor.id)
    ):
        raise DomainError(already)
    report = IdeaReport(idea_id=idea.id, user_id=actor.id, reason=text, created_at=now)
    try:
        with db.session.begin_nested():  # the unique constraint settles a double submit
            db.session.add(report)
    except IntegrityError:
        raise DomainError(already) from None
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(report_count=Idea.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(idea, ["report_count"])
    if idea.report_count == 1:
        notify.send(
            notify.staff_user_ids(idea.community_id, core_permissions.COMMITTEE),
            N_("An idea, “%(title)s”, was reported. Please look at it."),
            link=idea_url(idea),
            community_id=idea.community_id,
            params={"title": idea.title},
        )
    audit.record(
        actor,
        "idea.report",
        community_id=idea.community_id,
        target=idea,
        reports=idea.report_count,
        reason=text,
    )
    return report


def hide_idea(
    actor: Any, idea: Idea, reason_code: Any, text: Any = "", now: datetime | None = None
) -> Idea:
    """Hide an idea (never delete it) with a reason from consult's REASON_CODES and optional
    text, both shown in its place to everybody. The author is told in their inbox."""
    now = aware(now) if now is not None else utcnow()
    if reason_code not in REASON_CODES:
        raise DomainError(_("Please choose a reason."), "reason_code")
    text = clean_text(text)
    if len(text) > HIDE_TEXT_MAX:
        raise DomainError(_("Please keep it under %(n)d characters.", n=HIDE_TEXT_MAX), "text")
    if idea.hidden:
        raise DomainError(_("This idea is already hidden."))
    idea.hidden_at = now
    idea.hidden_by_id = getattr(actor, "id", None)
    idea.hidden_reason_code = reason_code
    idea.hidden_reason_text = text
    audit.record(
        actor,
        "idea.hide",
        community_id=idea.community_id,
        target=idea,
        reason=reason_code,
        text=text,
        reports=idea.report_count,
    )
    if idea.author_id != getattr(actor, "id", None):
        notify.send(
            [idea.author_id],
            HIDDEN_MESSAGES[reason_code],
            link=idea_url(idea),
            community_id=idea.community_id,
            params={"title": idea.title},
        )
    return idea


def restore_idea(actor: Any, idea: Idea) -> Idea:
    """Show a hidden idea again; the audit log keeps why it was hidden."""
    if not idea.hidden:
        raise DomainError(_("This idea is not hidden."))
    previous = idea.hidden_reason_code
    idea.hidden_at = None
    idea.hidden_by_id = None
    idea.hidden_reason_code = ""
    idea.hidden_reason_text = ""
    audit.record(actor, "idea.restore", community_id=idea.community_id, target=idea, was=previous)
    return idea


# ---------------------------------------------------------------------------------------------
# Into the menu


def menu_prefill(idea: Idea) -> dict[str, Any]:
    """What the committee's form starts from: the idea's title and text as the item's name and
    description, in the language they are written in, as an improvement without a cost yet."""
    lang = "zh" if _HAN.search(idea.title + idea.body) else "en"
    other = "en" if lang == "zh" else "zh"
    description = idea.body
    if len(description) > menu_services.DESCRIPTION_MAX:
        description = description[: menu_services.DESCRIPTION_MAX - 1] + "…"
    return {
        "category": "improvement",
        f"name_{lang}": idea.title[: menu_services.NAME_MAX],
        f"name_{other}": "",
        f"description_{lang}": description,
        f"description_{other}": "",
        "cost_basis": "none",
        "cost_amount": None,
        "residents_share": False,
    }


def promote_idea(actor: Any, idea: Idea, now: datetime | None = None, **values: Any) -> MenuItem:
    """Add the idea to the community's renovation menu as a new item (plan.services.add_item
    validates and audits the item); the idea then links to it and its author is told."""
    now = aware(now) if now is not None else utcnow()
    db.session.refresh(idea, with_for_update=True)  # two committee members at once
    _require_open(idea)
    if idea.hidden:
        raise DomainError(_("Show the idea again before adding it to the menu."))
    community = db.session.get(Community, idea.community_id)
    item = menu_services.add_item(actor, community, **(values or menu_prefill(idea)))
    idea.status = IdeaStatus.PROMOTED
    idea.menu_item_id = item.id
    idea.promoted_at = now
    idea.promoted_by_id = getattr(actor, "id", None)
    audit.record(
        actor,
        "idea.promote",
        community_id=idea.community_id,
        target=idea,
        menu_item=item.id,
        supports=idea.support_count,
    )
    notify.send(
        [idea.author_id],
        N_("The committee added your idea “%(title)s” to the renovation menu."),
        link=idea_url(idea),
        community_id=idea.community_id,
        params={"title": idea.title},
    )
    return item


# ---------------------------------------------------------------------------------------------
# Reading


def list_query(community: Community, *, sort: str = "support", author: Any = None):
    """Ideas of the community for a list: open and promoted ones (hidden ones last, shown as
    hidden), or every idea of one author; authors, buildings and photos loaded with them."""
    query = (
        select(Idea)
        .where(Idea.community_id == community.id)
        .options(
            joinedload(Idea.author),
            joinedload(Idea.building),
            selectinload(Idea.photos),
        )
    )
    if author is not None:
        query = query.where(Idea.author_id == author.id)
    else:
        query = query.where(Idea.status != IdeaStatus.WITHDRAWN)
    order = [Idea.hidden_at.is_not(None)]
    if sort == "support":
        order.append(Idea.support_count.desc())
    order += [Idea.created_at.desc(), Idea.id.desc()]
    return query.order_by(*order)


def buildings_of(community: Community | int) -> list[Building]:
    return list(
        db.session.scalars(
            select(Building)
            .where(Building.community_id == getattr(community, "id", community))
            .order_by(Building.sort_key, Building.name)
        )
    )
