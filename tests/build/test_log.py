"""The construction log and advance notices: entries with photos and progress per plan item,
notices of water cuts and night work on the notice board and in residents' inboxes; and the
deadline command."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from participation.build import log, services
from participation.build.models import AdvanceNotice, LogEntry
from participation.core.errors import DomainError
from participation.core.models import Message, Notice
from participation.core.timeutil import local_zone, utcnow, wall_to_utc
from tests.build.helpers import file_tuple, report, upload


def today():
    return utcnow().astimezone(local_zone()).date()


def test_log_entry_with_photos_and_progress(app, db, ctx, community, people):
    entry = log.add_entry(
        people["contractor"],
        community,
        day=today(),
        item="3幢外墙保温",
        progress="40%",
        body="完成3幢北立面保温板粘贴",
        photos=[upload(), upload()],
    )
    db.session.commit()
    assert entry.progress == 40 and len(entry.photos) == 2
    assert (Path(app.config["UPLOAD_FOLDER"]) / entry.photos[0].thumb).is_file()
    log.add_entry(
        people["contractor"],
        community,
        day=today(),
        item="3幢外墙保温",
        progress="65",
        body="南立面",
    )
    log.add_entry(people["property"], community, day=today(), item="雨污分流", body="开挖")
    db.session.commit()
    assert log.latest_progress(community) == [("3幢外墙保温", 65)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"day": None}, "day"),
        ({"day": date.today() + timedelta(days=3)}, "day"),
        ({"item": ""}, "item"),
        ({"progress": "120"}, "progress"),
        ({"progress": "half"}, "progress"),
        ({"body": " "}, "body"),
        ({"plan_line_id": "999"}, "plan_line"),
        ({"photos": [upload(b"not an image")]}, "photos"),
    ],
)
def test_log_entry_refusals(app, db, ctx, community, people, kwargs, field):
    args = {"day": today(), "item": "屋面防水", "progress": "", "body": "完成", **kwargs}
    with pytest.raises(DomainError) as err:
        log.add_entry(people["contractor"], community, **args)
    assert err.value.field == field


def test_log_pages(as_user, db, ctx, community, people):
    c = as_user(people["contractor"])
    resp = c.post(
        f"/c/{community.code}/build/log/new",
        {
            "day": today().isoformat(),
            "item": "楼道改造",
            "progress": "30",
            "body": "1幢楼道墙面刷新",
            "photos": [file_tuple()],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    entry = db.session.scalar(select(LogEntry))
    page = as_user(people["owner"]).get(f"/c/{community.code}/build/log").get_data(as_text=True)
    assert "1幢楼道墙面刷新" in page and "30%" in page
    photo = f"/c/{community.code}/build/log/photos/{entry.photos[0].id}/thumb"
    assert as_user(people["owner"]).get(photo).status_code == 200
    assert as_user(people["outsider"]).get(photo).status_code == 403
    bad = c.post(
        f"/c/{community.code}/build/log/new",
        {"day": "", "item": "楼道改造", "body": ""},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "Enter the date of the work." in bad.get_data(as_text=True)


def _wall(days: int, hour: int, minute: int = 0):
    local = (utcnow().astimezone(local_zone()) + timedelta(days=days)).replace(
        hour=hour, minute=minute, second=0, microsecond=0, tzinfo=None
    )
    return wall_to_utc(local)


def test_water_cut_notice_reaches_board_and_inboxes(db, ctx, community, people):
    item = log.post_advance_notice(
        people["contractor"],
        community,
        kind="water_cut",
        starts_at=_wall(2, 8, 30),
        ends_at=_wall(2, 16),
        area="1幢",
        details="请提前储水",
    )
    db.session.commit()
    notice = db.session.get(Notice, item.notice_id)
    assert (
        notice.kind == "advance" and notice.title.startswith("停水通知") and "1幢" in notice.title
    )
    assert "请提前储水" in notice.body
    for role in ("owner", "family", "tenant", "committee"):
        titles = db.session.scalars(select(Message.title).where(Message.user_id == people[role].id))
        assert notice.title in list(titles), role
    assert not db.session.scalar(
        select(func.count(Message.id)).where(Message.user_id == people["outsider"].id)
    )


@pytest.mark.parametrize(
    ("kind", "start", "end", "reason", "field"),
    [
        ("night_work", (2, 23), (3, 2), "", "reason"),  # night work needs a reason
        ("water_cut", (2, 21), (2, 23), "", "reason"),  # a day notice reaching into the night
        ("water_cut", (-1, 8), (-1, 12), "", "starts_at"),  # after the fact
        ("water_cut", (2, 12), (2, 8), "", "ends_at"),
        ("flood", (2, 8), (2, 12), "", "kind"),
        ("water_cut", (2, 8), (40, 12), "", "ends_at"),
    ],
)
def test_advance_notice_refusals(db, ctx, community, people, kind, start, end, reason, field):
    with pytest.raises(DomainError) as err:
        log.post_advance_notice(
            people["contractor"],
            community,
            kind=kind,
            starts_at=_wall(*start),
            ends_at=_wall(*end),
            area="2幢",
            reason=reason,
        )
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_night_work_with_a_reason(db, ctx, community, people):
    item = log.post_advance_notice(
        people["contractor"],
        community,
        kind="night_work",
        starts_at=_wall(1, 23),
        ends_at=_wall(2, 4),
        area="小区主路",
        reason="市政给水主管接驳须在夜间用水低峰进行",
    )
    db.session.commit()
    notice = db.session.get(Notice, item.notice_id)
    assert "原因：市政给水主管接驳" in notice.body and "22:00–06:00" in notice.body


def test_notice_form(as_user, db, ctx, community, people):
    c = as_user(people["property"])
    start = (utcnow().astimezone(local_zone()) + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    end = (utcnow().astimezone(local_zone()) + timedelta(days=2)).strftime("%Y-%m-%dT23:30")
    resp = c.post(
        f"/c/{community.code}/build/notices/new",
        {"kind": "power_cut", "starts_at": start, "ends_at": end, "area": "2幢"},
    )
    assert resp.status_code == 400 and "need a stated reason" in resp.get_data(as_text=True)
    resp = c.post(
        f"/c/{community.code}/build/notices/new",
        {
            "kind": "power_cut",
            "starts_at": start,
            "ends_at": end,
            "area": "2幢",
            "reason": "变压器更换",
        },
    )
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(AdvanceNotice.id))) == 1
    page = as_user(people["owner"]).get(f"/c/{community.code}/build/log").get_data(as_text=True)
    assert "Coming up" in page and "变压器更换" in page


def test_deadline_command_is_idempotent(app, db, ctx, community, people):
    report(
        people["owner"],
        community,
        category="safety",
        urgency="emergency",
        now=utcnow() - timedelta(hours=3),
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["process-issue-deadlines"])
    assert first.exit_code == 0, first.output
    assert "1 escalation(s), 0 closed" in first.output
    second = runner.invoke(args=["process-issue-deadlines"])
    assert "0 escalation(s), 0 closed" in second.output
    db.session.expire_all()
    inbox = db.session.scalars(select(Message).where(Message.user_id == people["committee"].id))
    assert [m.title for m in inbox] == ["Report #%(id)s is overdue: nobody answered it in time"]


def test_plan_items_read_from_the_adopted_plan(db, ctx, community, people):
    # No adopted plan: free-text items only, and a plan line id is refused.
    assert log.plan_items(community.id) == []
    with pytest.raises(DomainError):
        log.add_entry(people["contractor"], community, day=today(), plan_line_id="1", body="x")
    assert services.MAX_PHOTOS == 3


def test_log_entry_on_an_adopted_plan_line(as_user, db, ctx, community, people):
    from tests import factories

    plan = factories.adopted_plan(db.session, community)
    items = log.plan_items(community.id)
    assert len(items) == 1
    line_id, name = items[0]
    assert name == "Wall insulation"  # the reader's language (English here)
    entry = log.add_entry(
        people["contractor"],
        community,
        day=today(),
        plan_line_id=str(line_id),
        progress="55",
        body="北立面保温板完成",
    )
    db.session.commit()
    assert (entry.plan_line_id, entry.item_name, plan.id > 0) == (line_id, "Wall insulation", True)
    page = as_user(people["contractor"]).get(f"/c/{community.code}/build/log/new")
    assert f'<option value="{line_id}">' in page.get_data(as_text=True)


def test_every_entry_of_a_long_log_stays_reachable_page_by_page(
    as_user, db, ctx, community, people
):
    """Ten entries a page, newest first; older pages linked; past the last page: 404."""
    for n in range(23):
        log.add_entry(
            people["contractor"],
            community,
            day=today() - timedelta(days=n),
            item="外墙保温",
            body=f"第{n:02d}天",
        )
    db.session.commit()
    client = as_user(people["owner"])
    url = f"/c/{community.code}/build/log"
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"{url}?page={page}").get_data(as_text=True)
        days = [int(d) for d in re.findall(r"第(\d\d)天", html)]
        assert days == sorted(days), page  # newest (fewest days ago) first
        seen += days
        assert f"Page {page} of 3" in html
        assert ("Older entries" in html) == (page < 3)
        assert ("Newer entries" in html) == (page > 1)
    assert seen == list(range(23))
    assert client.get(f"{url}?page=4").status_code == 404
    assert client.get(f"{url}?page=abc").status_code == 200  # read as the first page
