"""XFL's demo for step 4: issues in every state, overdue and escalated ones, "me too"s, private
photos, a merged duplicate, a rejection, a reopened report; the staff accounts of the README act
on them; the construction log and advance notices."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PIL import ExifTags, Image
from sqlalchemy import func, select

from participation.build import public, services
from participation.build.models import AdvanceNotice, Issue, IssuePhoto, LogEntry
from participation.core import seed
from participation.core.models import Community, Message, Notice, User
from participation.core.timeutil import aware
from tests.conftest import FormClient

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def test_demo_issues(app, db, demo_copy):
    demo_copy(now=NOW)
    xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
    issues = db.session.scalars(select(Issue).where(Issue.community_id == xfl.id)).all()
    states = {i.status for i in issues}
    assert states == {
        "submitted",
        "acknowledged",
        "in_progress",
        "resolved",
        "reopened",
        "closed",
        "rejected",
        "merged",
    }
    assert all(aware(i.created_at) < NOW for i in issues)
    assert public.overdue_counts(NOW).get(xfl.id, 0) >= 2
    assert any(i.me_too_count >= 2 for i in issues)
    assert any(i.photos_private and i.photos for i in issues)
    assert any(i.reopen_count for i in issues)
    assert any(e.kind == "auto_closed" for i in issues for e in i.events)
    escalated = [i for i in issues if i.ack_escalated_at or i.resolve_escalated_at]
    assert escalated
    chair = db.session.scalar(select(User).where(User.phone == "13800000001"))
    inbox = db.session.scalars(select(Message.title).where(Message.user_id == chair.id)).all()
    assert "Report #%(id)s is overdue: nobody answered it in time" in inbox
    # Photos are real, re-encoded JPEGs on disk without EXIF.
    photo = db.session.scalar(select(IssuePhoto))
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / photo.name) as img:
        assert img.format == "JPEG" and not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # The construction log and the notices of coming works.
    assert db.session.scalar(select(func.count(LogEntry.id))) >= 10
    notices = db.session.scalars(select(AdvanceNotice)).all()
    assert {n.kind for n in notices} == {"night_work", "power_cut"}
    assert all(aware(n.starts_at) > NOW for n in notices)
    night = next(n for n in notices if n.kind == "night_work")
    assert night.reason and db.session.get(Notice, night.notice_id).kind == "advance"
    stats = public.issue_stats(xfl.id)
    assert stats["total"] == len(issues) and 0 < stats["within_deadline_share"] < 1


def test_demo_staff_act_on_open_issues(app, db):
    seed.seed_demo()
    db.session.commit()
    xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
    for phone, party in (("13800000003", "property"), ("13800000004", "contractor")):
        user = db.session.scalar(select(User).where(User.phone == phone))
        client = FormClient(app.test_client())
        client.set_cookie("lang", "en")
        client.login(user, "demo1234")
        page = client.get("/c/XFL/issues/queue").get_data(as_text=True)
        mine = db.session.scalars(
            select(Issue).where(
                Issue.community_id == xfl.id,
                Issue.party == party,
                Issue.status.in_(["submitted", "acknowledged", "reopened"]),
            )
        ).all()
        if party == "contractor":
            assert mine
        for issue in mine:
            assert f'id="q-{issue.id}"' in page
        if mine:
            issue = mine[0]
            action = "acknowledge" if issue.status == "submitted" else "start"
            resp = client.post(f"/c/XFL/issues/{issue.id}/act", {"action": action})
            assert resp.status_code == 302
            db.session.expire_all()
            assert db.session.get(Issue, issue.id).status != issue.status or action == "start"
    assert services.similar_open(xfl, "materials", None) == []
