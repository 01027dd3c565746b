"""Use cases of step 4 through the services: reporting with photos (metadata removed, bad files
refused, nothing half-written), routing, "me too", the whole workflow with the inbox and the
audit log, the committee's decisions, escalation and closing by the deadline job."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from participation.build import services
from participation.build.models import Issue, IssueEvent, IssueMeToo, IssuePhoto
from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message
from participation.core.timeutil import utcnow
from tests.build.helpers import jpeg_bytes, report, upload


def uploads(app) -> set[Path]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "issues"
    return set(root.glob("*")) if root.exists() else set()


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def messages_of(db, user) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.user_id == user.id)))


# --- reporting and photos -----------------------------------------------------------------


def test_photo_is_reencoded_resized_and_stripped_of_gps(app, db, ctx, community, people, places):
    big = jpeg_bytes(size=(4000, 3000))
    assert Image.open(io.BytesIO(big)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS
    issue = report(people["owner"], community, building=places["b1"], photos=[upload(big)])
    photo = issue.photos[0]
    root = Path(app.config["UPLOAD_FOLDER"])
    stored, thumb = root / photo.name, root / photo.thumb
    assert stored.is_file() and thumb.is_file()
    with Image.open(stored) as img:
        assert max(img.size) == 1600
        exif = img.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Make not in exif
        assert "exif" not in img.info
    with Image.open(thumb) as img:
        assert max(img.size) == 240  # uploads.THUMB_EDGE
    raw = stored.read_bytes()
    assert b"PhoneCam" not in raw and b"Exif" not in raw
    assert photo.name.startswith("issues/") and "photo" not in photo.name  # random names


def test_three_photos_accepted_a_fourth_refused_and_nothing_stored(app, db, ctx, community, people):
    before = uploads(app)
    with pytest.raises(DomainError) as err:
        report(people["owner"], community, photos=[upload() for _ in range(4)])
    assert err.value.field == "photos"
    db.session.rollback()
    assert uploads(app) == before
    assert count(db, Issue) == 0
    issue = report(people["owner"], community, photos=[upload() for _ in range(3)])
    assert len(issue.photos) == 3
    assert len(uploads(app) - before) == 9  # each photo, its thumbnail and its list-sized copy


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4 not a photo",
        b"MZ\x90\x00 an executable",
        b"<script>alert(1)</script>",
        jpeg_bytes()[:200],  # a truncated photo
    ],
)
def test_non_images_are_refused_and_earlier_photos_removed(app, db, ctx, community, people, data):
    before = uploads(app)
    with pytest.raises(DomainError) as err:
        report(people["owner"], community, photos=[upload(), upload(data, "x.jpg")])
    assert err.value.field == "photos"
    assert "photo" in err.value.message.lower() or "picture" in err.value.message.lower()
    db.session.rollback()
    assert uploads(app) == before  # the first, good photo was deleted again
    assert count(db, Issue) == 0 and count(db, IssuePhoto) == 0


def test_polyglot_keeps_only_the_picture(app, db, ctx, community, people):
    payload = b"PK\x03\x04" + b"<?php system($_GET['c']); ?>" * 20
    issue = report(people["owner"], community, photos=[upload(jpeg_bytes() + payload, "a.jpg")])
    raw = (Path(app.config["UPLOAD_FOLDER"]) / issue.photos[0].name).read_bytes()
    assert b"<?php" not in raw and b"PK\x03\x04" not in raw


def test_oversized_photo_refused(app, db, ctx, community, people):
    from participation.core import uploads as up

    huge = jpeg_bytes() + b"\0" * (up.MAX_IMAGE_BYTES + 1)
    with pytest.raises(DomainError) as err:
        report(people["owner"], community, photos=[upload(huge)])
    assert "too large" in err.value.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "   "}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"category": "aliens"}, "category"),
        ({"urgency": "soon"}, "urgency"),
    ],
)
def test_bad_fields_refused_before_any_photo_is_stored(
    app, db, ctx, community, people, fields, field
):
    before = uploads(app)
    kwargs = {"category": "noise", "urgency": "normal", "description": "吵", **fields}
    with pytest.raises(DomainError) as err:
        services.report(people["owner"], community, photos=[upload()], **kwargs)
    assert err.value.field == field
    assert uploads(app) == before


def test_place_must_belong_to_the_community(db, ctx, community, people, places):
    other = people["outsider"]
    from participation.core.models import Building

    foreign = db.session.scalar(select(Building).where(Building.community_id != community.id))
    with pytest.raises(DomainError):
        services.report(
            other,
            community,
            category="noise",
            urgency="normal",
            description="吵",
            building_id=foreign.id,
        )
    with pytest.raises(DomainError):  # an entrance of another building
        services.report(
            people["owner"],
            community,
            category="noise",
            urgency="normal",
            description="吵",
            building_id=places["b2"].id,
            entrance_id=places["e11"].id,
        )


def test_private_only_with_photos_and_location_rounded(db, ctx, community, people):
    issue = services.report(
        people["owner"],
        community,
        category="damage",
        urgency="normal",
        description="漏水",
        private=True,
        latitude="31.2345678",
        longitude="121.4567891",
    )
    assert issue.photos_private is False  # nothing to hide
    assert str(issue.latitude) == "31.2346" and str(issue.longitude) == "121.4568"
    issue = services.report(
        people["owner"],
        community,
        category="damage",
        urgency="normal",
        description="漏水",
        private=True,
        photos=[upload()],
        latitude="north",
        longitude="999",
    )
    assert issue.photos_private is True
    assert issue.latitude is None and issue.longitude is None


# --- routing and deadlines ----------------------------------------------------------------


def test_routing_by_category_and_community_setting(db, ctx, community, people):
    noise = report(people["owner"], community, category="noise")
    water = report(people["owner"], community, category="utility")
    assert (noise.party, water.party) == ("contractor", "property")
    services.set_route(
        people["committee"], community, "noise", "committee", ack_normal="4", resolve_normal="48"
    )
    db.session.commit()
    t = utcnow()
    again = report(people["owner"], community, category="noise", now=t)
    assert again.party == "committee"
    assert again.ack_due.replace(tzinfo=None) == (t + timedelta(hours=4)).replace(tzinfo=None)
    assert again.resolve_due.replace(tzinfo=None) == (t + timedelta(hours=48)).replace(tzinfo=None)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "issue.route"))
    assert audit.actor_id == people["committee"].id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ack_normal": "0"}, "between 1 hour"),
        ({"ack_normal": "361"}, "between 1 hour"),
        ({"ack_normal": "two"}, "whole number"),
        ({"ack_normal": "48", "resolve_normal": "24"}, "cannot be later"),
    ],
)
def test_route_hours_checked(db, ctx, community, people, kwargs, message):
    with pytest.raises(DomainError) as err:
        services.set_route(people["committee"], community, "noise", "contractor", **kwargs)
    assert message in err.value.message


def test_new_report_reaches_reporter_and_the_right_party(db, ctx, community, people):
    issue = report(people["owner"], community, category="noise", urgency="emergency")
    assert [m.title for m in messages_of(db, people["owner"])] == [
        "Your report #%(id)s was received"
    ]
    assert [m.title for m in messages_of(db, people["contractor"])] == [
        "Emergency report #%(id)s: please answer within 2 hours"
    ]
    assert messages_of(db, people["property"]) == []
    assert messages_of(db, people["contractor"])[0].params == {"id": issue.id}


# --- "me too" and duplicates --------------------------------------------------------------


def test_similar_open_issues_same_category_and_place(db, ctx, community, people, places):
    a = report(
        people["owner"],
        community,
        category="materials",
        building=places["b1"],
        entrance=places["e11"],
    )
    b = report(people["owner"], community, category="materials", building=places["b1"])
    report(people["owner"], community, category="noise", building=places["b1"])
    report(people["owner"], community, category="materials", building=places["b2"])
    report(
        people["owner"],
        community,
        category="materials",
        building=places["b1"],
        entrance=places["e12"],
    )
    found = services.similar_open(community, "materials", places["b1"].id, places["e11"].id)
    assert {i.id for i in found} == {a.id, b.id}
    services.reject(people["committee"], a, "已清理")
    db.session.commit()
    found = services.similar_open(community, "materials", places["b1"].id, places["e11"].id)
    assert [i.id for i in found] == [b.id]
    assert services.similar_open(community, "materials", None, None) == []


def test_me_too_counts_once_and_not_for_the_reporter(db, ctx, community, people):
    issue = report(people["owner"], community)
    assert services.me_too(people["neighbour"], issue) is True
    assert services.me_too(people["neighbour"], issue) is False
    services.me_too(people["tenant"], issue)
    db.session.commit()
    assert issue.me_too_count == 2
    with pytest.raises(DomainError):
        services.me_too(people["owner"], issue)


def test_merge_moves_the_voices_to_the_other_issue(db, ctx, community, people):
    keep = report(people["owner"], community)
    dup = report(people["neighbour"], community)
    services.me_too(people["tenant"], dup)
    services.me_too(people["tenant"], keep)
    db.session.commit()
    target = services.merge(people["committee"], dup, f"#{keep.id}")
    db.session.commit()
    assert target.id == keep.id and dup.status == "merged" and dup.merged_into_id == keep.id
    voices = set(
        db.session.scalars(select(IssueMeToo.user_id).where(IssueMeToo.issue_id == keep.id))
    )
    assert voices == {people["tenant"].id, people["neighbour"].id}
    assert keep.me_too_count == 2
    msg = messages_of(db, people["neighbour"])[-1]
    assert msg.title == "Your report #%(id)s was merged into report #%(into)s"
    assert msg.params == {"id": dup.id, "into": keep.id}


@pytest.mark.parametrize("into", ["", "abc", "self", "closed", "foreign"])
def test_merge_refusals(db, ctx, community, people, into):
    issue = report(people["owner"], community)
    other = report(people["owner"], community)
    services.reject(people["committee"], other, "重复")
    foreign = report(
        people["outsider"],
        db.session.get(type(community), people["outsider"].residencies[0].community_id),
    )
    value = {"self": issue.id, "closed": other.id, "foreign": foreign.id}.get(into, into)
    with pytest.raises(DomainError):
        services.merge(people["committee"], issue, value)


# --- the workflow -------------------------------------------------------------------------


def test_full_workflow_with_timeline_inbox_and_audit(db, ctx, community, people):
    issue = report(people["owner"], community, category="materials")
    services.acknowledge(people["contractor"], issue)
    services.start(people["contractor"], issue)
    services.resolve(people["contractor"], issue, "已清运", upload())
    db.session.commit()
    assert issue.status == "resolved" and issue.resolved_at is not None
    assert [p.kind for p in issue.photos] == ["after"]
    services.confirm(people["owner"], issue)
    db.session.commit()
    assert issue.status == "closed"
    kinds = [e.kind for e in issue.events]
    assert kinds == ["submitted", "acknowledged", "started", "resolved", "confirmed"]
    assert [e.status for e in issue.events] == [
        "submitted",
        "acknowledged",
        "in_progress",
        "resolved",
        "closed",
    ]
    titles = [m.title for m in messages_of(db, people["owner"])]
    assert titles == [
        "Your report #%(id)s was received",
        "Your report #%(id)s was seen and will be dealt with",
        "Work has started on your report #%(id)s",
        "Your report #%(id)s is fixed: please confirm or reopen it",
    ]
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["issue.acknowledge", "issue.start", "issue.resolve"]


def test_reopen_needs_a_reason_and_restarts_the_fix_clock(db, ctx, community, people):
    t0 = utcnow() - timedelta(days=3)
    issue = report(people["owner"], community, category="noise", now=t0)
    services.resolve(people["contractor"], issue, "已处理", now=t0 + timedelta(hours=5))
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.reopen(people["owner"], issue, "  ")
    assert err.value.field == "reason"
    with pytest.raises(DomainError):
        services.reopen(people["neighbour"], issue, "还在吵")  # not the reporter
    now = utcnow()
    services.reopen(people["owner"], issue, "晚上还在施工", now=now)
    db.session.commit()
    assert issue.status == "reopened" and issue.reopen_count == 1
    assert issue.resolve_due.replace(tzinfo=None) == (now + timedelta(days=7)).replace(tzinfo=None)
    assert issue.events[-1].note == "晚上还在施工"
    assert [m.title for m in messages_of(db, people["contractor"])][-1] == (
        "Report #%(id)s was reopened by the resident"
    )


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("closed", "resolve"),
        ("closed", "acknowledge"),
        ("closed", "reopen"),
        ("rejected", "start"),
        ("resolved", "acknowledge"),
        ("submitted", "confirm"),
        ("in_progress", "acknowledge"),
    ],
)
def test_out_of_order_transitions_refused_and_nothing_written(
    db, ctx, community, people, setup, action
):
    issue = report(people["owner"], community, category="noise")
    c, o = people["contractor"], people["owner"]
    if setup in ("resolved", "closed"):
        services.resolve(c, issue, "好了")
    if setup == "closed":
        services.confirm(o, issue)
    if setup == "rejected":
        services.reject(people["committee"], issue, "不属于施工问题")
    if setup == "in_progress":
        services.start(c, issue)
    db.session.commit()
    events = count(db, IssueEvent)
    actor = {"confirm": o, "reopen": o}.get(action, c)
    with pytest.raises(DomainError):
        services.apply(actor, issue, action, note="x", reason="y")
    db.session.rollback()
    assert issue.status == setup and count(db, IssueEvent) == events


def test_resolving_refused_before_the_photo_is_stored(app, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    services.reject(people["committee"], issue, "重复")
    db.session.commit()
    before = uploads(app)
    with pytest.raises(DomainError):
        services.resolve(people["contractor"], issue, "好了", upload())
    assert uploads(app) == before


@pytest.mark.parametrize(
    "who",
    ["property", "committee", "city", "other_property", "other_committee", "owner", "neighbour"],
)
def test_only_the_routed_party_acts(db, ctx, community, people, who):
    issue = report(people["owner"], community, category="noise")  # → the contractor
    with pytest.raises(DomainError):
        services.acknowledge(people[who], issue)
    db.session.rollback()
    assert db.session.get(Issue, issue.id).status == "submitted"


def test_committee_reassigns_then_the_other_party_acts(db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    with pytest.raises(DomainError):
        services.reassign(people["contractor"], issue, "property")
    with pytest.raises(DomainError):
        services.reassign(people["committee"], issue, "contractor")  # already theirs
    services.reassign(people["committee"], issue, "property", "属公共部位")
    db.session.commit()
    services.acknowledge(people["property"], issue)
    db.session.commit()
    assert issue.status == "acknowledged" and issue.party == "property"
    assert (
        messages_of(db, people["property"])[-1].title
        == "Report #%(id)s was passed to you to answer"
    )


def test_reject_needs_a_reason(db, ctx, community, people):
    issue = report(people["owner"], community)
    with pytest.raises(DomainError):
        services.reject(people["committee"], issue, "")
    services.reject(people["committee"], issue, "属于户内自行维修")
    db.session.commit()
    assert issue.status == "rejected" and issue.reject_reason == "属于户内自行维修"


# --- deadlines: escalation and auto-closing -----------------------------------------------


def test_escalation_reaches_the_committee_once_per_missed_deadline(db, ctx, community, people):
    t0 = utcnow() - timedelta(hours=3)
    urgent = report(people["owner"], community, category="safety", urgency="emergency", now=t0)
    calm = report(people["owner"], community, category="noise", now=t0)
    first = services.process_deadlines()
    db.session.commit()
    assert first.escalated == [(urgent.id, "acknowledge")]
    again = services.process_deadlines()
    db.session.commit()
    assert again.escalated == [] and again.closed == []
    inbox = messages_of(db, people["committee"])
    assert [(m.title, m.params) for m in inbox] == [
        ("Report #%(id)s is overdue: nobody answered it in time", {"id": urgent.id})
    ]
    assert messages_of(db, people["other_committee"]) == []
    later = services.process_deadlines(utcnow() + timedelta(days=1))
    db.session.commit()
    assert later.escalated == [(urgent.id, "resolve"), (calm.id, "acknowledge")]
    assert [e.kind for e in urgent.events].count("escalated") == 2
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "issue.escalate")
    ).all()
    assert len(audit) == 3 and all(a.actor_id is None for a in audit)


def test_resolved_issue_closes_itself_after_seven_days_once(db, ctx, community, people):
    t0 = utcnow() - timedelta(days=10)
    issue = report(people["owner"], community, category="noise", now=t0)
    services.resolve(
        people["contractor"], issue, "已处理", now=utcnow() - timedelta(days=7, minutes=1)
    )
    fresh = report(people["owner"], community, category="noise", now=t0)
    services.resolve(people["contractor"], fresh, "已处理", now=utcnow() - timedelta(days=6))
    db.session.commit()
    done = services.process_deadlines()
    db.session.commit()
    assert done.closed == [issue.id]
    assert issue.status == "closed" and fresh.status == "resolved"
    assert services.process_deadlines().closed == []
    assert messages_of(db, people["owner"])[-1].title == (
        "Your report #%(id)s was closed %(days)d days after the fix"
    )
