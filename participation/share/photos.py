"""Before/after photo pairs the committee posts on the results board. Both photos go through
core.uploads (re-encoded, metadata and GPS removed); when the second fails, the first is deleted,
so a failed submission leaves nothing behind."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Community
from ..core.uploads import delete_stored, save_image
from ..extensions import db
from .models import PhotoPair

SUBDIR = "share"
MAX_PAIRS = 24


def add_pair(
    actor: Any, community: Community, caption: str, before: FileStorage, after: FileStorage
) -> PhotoPair:
    caption = (caption or "").strip()
    if not caption:
        raise DomainError(_("Please say what the photos show."), "caption")
    if len(caption) > 120:
        raise DomainError(
            _("The caption is too long (at most %(n)d characters).", n=120), "caption"
        )
    count = db.session.scalar(
        select(func.count(PhotoPair.id)).where(PhotoPair.community_id == community.id)
    )
    if (count or 0) >= MAX_PAIRS:
        raise DomainError(_("At most %(n)d photo pairs can be shown.", n=MAX_PAIRS))
    stored: list[str] = []
    try:
        first = save_image(before, SUBDIR)
        stored += [first.name, first.thumb]
        second = save_image(after, SUBDIR)
        stored += [second.name, second.thumb]
        pair = PhotoPair(
            community_id=community.id,
            caption=caption,
            before_name=first.name,
            before_thumb=first.thumb,
            after_name=second.name,
            after_thumb=second.thumb,
            position=(count or 0) + 1,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(pair)
        db.session.flush()
        audit.record(actor, "photos.add", community_id=community.id, target=pair, caption=caption)
    except Exception:
        delete_stored(stored)
        raise
    return pair


def remove_pair(actor: Any, pair: PhotoPair) -> list[str]:
    """Delete the pair; returns the stored files for the caller to delete after the commit."""
    files = [pair.before_name, pair.before_thumb, pair.after_name, pair.after_thumb]
    audit.record(
        actor, "photos.remove", community_id=pair.community_id, target=pair, caption=pair.caption
    )
    db.session.delete(pair)
    db.session.flush()
    return files
