"""The demo ideas: XFL has one in every state, with real photos; JSXC has two."""

from __future__ import annotations

from datetime import UTC, datetime

from PIL import Image
from sqlalchemy import func, select

from participation.core.models import AuditEntry, Community, Message
from participation.core.timeutil import aware
from participation.core.uploads import upload_path
from participation.ideas.models import Idea, IdeaPhoto, IdeaSupport
from participation.plan.models import MenuItem

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def test_demo_ideas_in_every_state(db, demo_copy):
    demo_copy(now=NOW)
    codes = dict(db.session.execute(select(Community.id, Community.code)).all())
    ideas = db.session.scalars(select(Idea).order_by(Idea.id)).all()
    xfl = [i for i in ideas if codes[i.community_id] == "XFL"]
    jsxc = [i for i in ideas if codes[i.community_id] == "JSXC"]
    assert len(jsxc) == 2 and all(i.is_open and i.support_count for i in jsxc)

    states = {(i.status, i.hidden) for i in xfl}
    assert {("open", False), ("promoted", False), ("withdrawn", False), ("open", True)} <= states
    popular = max(xfl, key=lambda i: i.support_count)
    assert popular.is_open and popular.support_count >= 40 and len(popular.photos) == 2
    hidden = next(i for i in xfl if i.hidden)
    assert hidden.hidden_reason_code == "personal_data" and hidden.report_count == 3

    promoted = next(i for i in xfl if i.status == "promoted")
    item = db.session.get(MenuItem, promoted.menu_item_id)
    assert item.community_id == promoted.community_id and item.key is None
    assert item.name_en and item.cost_amount is not None
    told = db.session.scalars(select(Message).where(Message.user_id == promoted.author_id))
    assert any((m.params or {}).get("title") == promoted.title for m in told)

    # Counts match the rows; nobody supports their own idea; photos are real, clean JPEGs.
    for idea in ideas:
        rows = db.session.scalar(
            select(func.count(IdeaSupport.id)).where(IdeaSupport.idea_id == idea.id)
        )
        assert rows == idea.support_count
        assert not db.session.scalar(
            select(IdeaSupport.id).where(
                IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == idea.author_id
            )
        )
        assert aware(idea.created_at) < NOW
    for photo in db.session.scalars(select(IdeaPhoto)):
        with Image.open(upload_path(photo.name)) as im:
            assert im.format == "JPEG" and not im.getexif()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("idea.%"))).all()
    assert {e.action for e in entries} >= {
        "idea.create",
        "idea.report",
        "idea.hide",
        "idea.withdraw",
        "idea.promote",
    }
    assert all(aware(e.at) < NOW for e in entries)
