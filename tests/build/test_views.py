"""Pages of step 4 by every role: who sees and does what, private photos, the masked reporter,
the report form (duplicates offered first, photos, refusals), the staff queue (sorted by
deadline, filters, htmx, no query per row) and the committee's pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from participation.build import services
from participation.build.models import Issue, IssuePhoto
from participation.core.timeutil import utcnow
from tests.build.helpers import count_queries, file_tuple, jpeg_bytes, report, upload

ROLES = (
    "anon",
    "owner",
    "family",
    "tenant",
    "committee",
    "property",
    "contractor",
    "city",
    "outsider",
    "other_property",
    "other_committee",
)


def who(people, role):
    return None if role == "anon" else people[role]


# Expected status of each page by role ("anon" is sent to log in: 302).
PAGES = {
    "/issues": {
        "anon": 302,
        "owner": 200,
        "family": 200,
        "tenant": 200,
        "committee": 200,
        "property": 200,
        "contractor": 200,
        "city": 200,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/issues/new": {
        "anon": 302,
        "owner": 200,
        "family": 200,
        "tenant": 200,
        "committee": 403,
        "property": 403,
        "contractor": 403,
        "city": 403,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/issues/queue": {
        "anon": 302,
        "owner": 403,
        "family": 403,
        "tenant": 403,
        "committee": 200,
        "property": 200,
        "contractor": 200,
        "city": 403,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/issues/routing": {
        "anon": 302,
        "owner": 403,
        "family": 403,
        "tenant": 403,
        "committee": 200,
        "property": 403,
        "contractor": 403,
        "city": 403,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/issues/{id}": {
        "anon": 302,
        "owner": 200,
        "family": 200,
        "tenant": 200,
        "committee": 200,
        "property": 200,
        "contractor": 200,
        "city": 200,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/build/log": {
        "anon": 302,
        "owner": 200,
        "family": 200,
        "tenant": 200,
        "committee": 200,
        "property": 200,
        "contractor": 200,
        "city": 200,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/build/log/new": {
        "anon": 302,
        "owner": 403,
        "family": 403,
        "tenant": 403,
        "committee": 403,
        "property": 200,
        "contractor": 200,
        "city": 403,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
    "/build/notices/new": {
        "anon": 302,
        "owner": 403,
        "family": 403,
        "tenant": 403,
        "committee": 403,
        "property": 200,
        "contractor": 200,
        "city": 403,
        "outsider": 403,
        "other_property": 403,
        "other_committee": 403,
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(as_user, db, ctx, community, people, role):
    issue = report(people["owner"], community)
    client = as_user(who(people, role))
    for path, expected in PAGES.items():
        url = f"/c/{community.code}" + path.replace("{id}", str(issue.id))
        resp = client.get(url)
        assert resp.status_code == expected[role], (url, role, resp.status_code)
        if expected[role] == 302:
            assert "/login" in resp.headers["Location"]


# Actions on a contractor's issue by role: which may act (and which are refused with 403).
ACTS = {
    "acknowledge": {"contractor"},
    "reassign": {"committee"},
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anon"])
@pytest.mark.parametrize("action", sorted(ACTS))
def test_actions_by_role(as_user, db, ctx, community, people, role, action):
    issue = report(people["owner"], community, category="noise")  # → the contractor
    client = as_user(people[role])
    resp = client.post(
        f"/c/{community.code}/issues/{issue.id}/act", {"action": action, "party": "property"}
    )
    db.session.expire_all()
    after = db.session.get(Issue, issue.id)
    if role in ACTS[action]:
        assert resp.status_code == 302
        assert (after.status, after.party) != ("submitted", "contractor")
    else:
        assert resp.status_code == 403, (role, resp.status_code)
        assert (after.status, after.party) == ("submitted", "contractor")


def test_reporter_confirms_and_others_may_not(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    services.resolve(people["contractor"], issue, "好了")
    db.session.commit()
    url = f"/c/{community.code}/issues/{issue.id}/act"
    for role in ("family", "neighbour", "committee", "contractor", "city"):
        assert as_user(people[role]).post(url, {"action": "confirm"}).status_code == 403, role
    owner = as_user(people["owner"])
    page = owner.get(f"/c/{community.code}/issues/{issue.id}").get_data(as_text=True)
    assert "Yes, it is fixed" in page and "No, reopen it" in page
    resp = owner.post(url, {"action": "confirm"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "closed"
    # Once closed, nothing more: a clear refusal, not an error page.
    resp = as_user(people["contractor"]).post(
        url, {"action": "resolve", "note": "again"}, follow_redirects=True
    )
    assert resp.status_code == 200
    assert "This report is closed" in resp.get_data(as_text=True)


def test_bad_action_and_missing_csrf(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    c = as_user(people["contractor"])
    url = f"/c/{community.code}/issues/{issue.id}/act"
    assert c.post(url, {"action": "teleport"}).status_code == 400
    assert c.post(url, {"action": "auto_close"}).status_code == 400
    assert c.post(url, {"action": "acknowledge"}, csrf=False).status_code == 400
    assert (
        c.post(f"/c/{community.code}/issues/999999/act", {"action": "acknowledge"}).status_code
        == 404
    )


# --- privacy --------------------------------------------------------------------------------


def test_private_photos_only_for_reporter_staff_and_committee(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="damage", photos=[upload()], private=True)
    photo = issue.photos[0]
    base = f"/c/{community.code}/issues/{issue.id}"
    for role, status in {
        "owner": 200,
        "contractor": 200,
        "property": 200,
        "committee": 200,
        "neighbour": 403,
        "family": 403,
        "city": 403,
        "outsider": 403,
    }.items():
        client = as_user(people[role])
        for suffix in ("", "/thumb", "/small"):
            resp = client.get(f"{base}/photos/{photo.id}{suffix}")
            assert resp.status_code == status, (role, suffix, resp.status_code)
            if status == 200:
                assert resp.mimetype == "image/jpeg"
                assert resp.headers["Cache-Control"] == "private, max-age=86400"
        page = client.get(base).get_data(as_text=True)
        shown = f"photos/{photo.id}" in page
        assert shown == (status == 200), role
        if not shown and role != "outsider":
            assert "1 private photo (inside a home)" in page
    list_page = (
        as_user(people["neighbour"]).get(f"/c/{community.code}/issues").get_data(as_text=True)
    )
    assert f"photos/{photo.id}" not in list_page


def test_public_photos_for_every_member(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, photos=[upload()])
    url = f"/c/{community.code}/issues/{issue.id}/photos/{issue.photos[0].id}/thumb"
    assert as_user(people["neighbour"]).get(url).status_code == 200
    assert as_user(people["city"]).get(url).status_code == 200
    assert as_user(people["outsider"]).get(url).status_code == 403
    other = report(people["owner"], community)
    wrong = f"/c/{community.code}/issues/{other.id}/photos/{issue.photos[0].id}"
    assert as_user(people["owner"]).get(wrong).status_code == 404


def test_reporter_masked_in_the_public_list(as_user, db, ctx, community, people):
    owner = people["owner"]
    owner.name = "张伟民"
    db.session.commit()
    report(owner, community)
    page = as_user(people["neighbour"]).get(f"/c/{community.code}/issues").get_data(as_text=True)
    assert "张**" in page and "张伟民" not in page and owner.phone not in page
    mine = as_user(owner).get(f"/c/{community.code}/issues").get_data(as_text=True)
    assert "your report" in mine
    staff = (
        as_user(people["contractor"]).get(f"/c/{community.code}/issues/1").get_data(as_text=True)
    )
    assert "张伟民" in staff  # the party answering needs to reach the reporter


# --- reporting through the form -------------------------------------------------------------


def test_report_in_two_steps_offers_me_too_first(as_user, db, ctx, community, people, places):
    first = report(people["neighbour"], community, category="materials", building=places["b1"])
    client = as_user(people["owner"])
    base = f"/c/{community.code}/issues/new"
    step1 = client.get(base).get_data(as_text=True)
    assert 'name="category"' in step1 and "Step 1 of 2" in step1
    # The owner's home (building 1, entrance 1) is offered as the place.
    home = f"e{places['b1'].id}-{places['e11'].id}"
    assert f'<option value="{home}" selected>' in step1
    place = f"e{places['b1'].id}-{places['e11'].id}"
    step2 = client.get(f"{base}?category=materials&place={place}").get_data(as_text=True)
    assert "Already reported here" in step2
    assert f"/issues/{first.id}/me-too" in step2
    assert step2.count('capture="environment"') == 3 and 'accept="image/*"' in step2
    resp = client.post(f"/c/{community.code}/issues/{first.id}/me-too")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Issue, first.id).me_too_count == 1
    other = client.get(f"{base}?category=noise&place={place}").get_data(as_text=True)
    assert "Already reported here" not in other


def test_report_with_photos_through_the_form(app, as_user, db, ctx, community, people, places):
    client = as_user(people["owner"])
    resp = client.post(
        f"/c/{community.code}/issues/new",
        {
            "category": "materials",
            "place": f"b{places['b2'].id}",
            "urgency": "emergency",
            "description": "消防通道被堆料堵住",
            "spot": "2幢东侧",
            "private": "y",
            "photos": [file_tuple(), file_tuple()],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    issue = db.session.scalar(select(Issue))
    assert resp.headers["Location"].endswith(f"/issues/{issue.id}")
    assert (issue.category, issue.urgency, issue.building_id, issue.spot) == (
        "materials",
        "emergency",
        places["b2"].id,
        "2幢东侧",
    )
    assert issue.photos_private and len(issue.photos) == 2


def _upload_files(app) -> set[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return set(root.rglob("*.*"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": "", "photos": [file_tuple()]}, "Please describe the problem"),
        ({"description": "坏了", "photos": [file_tuple() for _ in range(4)]}, "At most 3 photos"),
        (
            {
                "description": "坏了",
                "photos": [file_tuple(), file_tuple(b"GIF89a nonsense", "a.gif")],
            },
            "not a photo we can read",
        ),
        (
            {"description": "坏了", "photos": [file_tuple(b"%PDF-1.7\n", "scan.pdf")]},
            "not a photo we can read",
        ),
    ],
)
def test_bad_reports_refused_with_message_and_nothing_kept(
    app, as_user, db, ctx, community, people, fields, message
):
    before = _upload_files(app)
    client = as_user(people["owner"])
    resp = client.post(
        f"/c/{community.code}/issues/new",
        {"category": "noise", "place": "", "urgency": "normal", **fields},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Issue.id))) == 0
    assert db.session.scalar(select(func.count(IssuePhoto.id))) == 0
    assert _upload_files(app) == before


def test_a_30_mb_photo_gets_the_too_large_page(app, as_user, db, ctx, community, people):
    client = as_user(people["owner"])
    huge = jpeg_bytes() + b"\0" * (30 * 1024 * 1024)
    resp = client.post(
        f"/c/{community.code}/issues/new",
        {
            "category": "noise",
            "urgency": "normal",
            "description": "吵",
            "photos": [file_tuple(huge)],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413
    assert "too large" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Issue.id))) == 0


def test_resolve_with_after_photo_and_bad_photo_refused(app, as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    client = as_user(people["contractor"])
    url = f"/c/{community.code}/issues/{issue.id}/act"
    before = _upload_files(app)
    resp = client.post(
        url,
        {"action": "resolve", "note": "已整改", "photo": file_tuple(b"junk", "a.jpg")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "not a photo we can read" in resp.get_data(as_text=True)
    assert _upload_files(app) == before
    resp = client.post(url, {"action": "resolve", "note": ""}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "Say in a few words what was done" in resp.get_data(
        as_text=True
    )
    resp = client.post(
        url,
        {"action": "resolve", "note": "已整改", "photo": file_tuple()},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.status == "resolved" and [p.kind for p in issue.photos] == ["after"]
    # After photos are for everyone (nothing private about the fix).
    page = (
        as_user(people["neighbour"])
        .get(f"/c/{community.code}/issues/{issue.id}")
        .get_data(as_text=True)
    )
    assert "已整改" in page and f"photos/{issue.photos[0].id}" in page


# --- the staff queue ------------------------------------------------------------------------


def test_queue_sorted_by_deadline_with_overdue_flag(as_user, db, ctx, community, people, places):
    t = utcnow()
    late = report(people["owner"], community, category="noise", now=t - timedelta(days=2))
    soon = report(people["owner"], community, category="safety", urgency="emergency", now=t)
    later = report(people["owner"], community, category="dust", building=places["b2"], now=t)
    services.acknowledge(people["contractor"], later)
    mine_not = report(people["owner"], community, category="utility", now=t)  # the property's
    db.session.commit()
    page = (
        as_user(people["contractor"])
        .get(f"/c/{community.code}/issues/queue")
        .get_data(as_text=True)
    )
    order = [page.index(f'id="q-{i.id}"') for i in (late, soon, later)]
    assert order == sorted(order)
    assert f'id="q-{mine_not.id}"' not in page  # the contractor sees the contractor's by default
    assert "Overdue by 24 h" in page and "1 report is overdue." in page
    everyone = (
        as_user(people["committee"]).get(f"/c/{community.code}/issues/queue").get_data(as_text=True)
    )
    assert f'id="q-{mine_not.id}"' in everyone
    by_building = (
        as_user(people["contractor"])
        .get(f"/c/{community.code}/issues/queue?building={places['b2'].id}")
        .get_data(as_text=True)
    )
    assert f'id="q-{later.id}"' in by_building and f'id="q-{late.id}"' not in by_building
    overdue = (
        as_user(people["contractor"])
        .get(f"/c/{community.code}/issues/queue?status=overdue")
        .get_data(as_text=True)
    )
    assert f'id="q-{late.id}"' in overdue and f'id="q-{soon.id}"' not in overdue


def test_me_too_counts_visible_to_staff(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    services.me_too(people["neighbour"], issue)
    services.me_too(people["tenant"], issue)
    db.session.commit()
    page = (
        as_user(people["contractor"])
        .get(f"/c/{community.code}/issues/queue")
        .get_data(as_text=True)
    )
    assert "+2 me too" in page


def test_queue_and_list_make_no_query_per_row(as_user, db, ctx, community, people, places):
    def fill(n):
        for i in range(n):
            report(
                people["owner"],
                community,
                category="noise",
                building=places["b1" if i % 2 else "b2"],
                entrance=None,
                photos=[upload()] if i % 3 == 0 else None,
            )

    staff, resident = as_user(people["contractor"]), as_user(people["neighbour"])
    fill(3)
    counts = []
    for n in (0, 12):
        fill(n)
        with count_queries() as q1:
            assert staff.get(f"/c/{community.code}/issues/queue").status_code == 200
        with count_queries() as q2:
            assert resident.get(f"/c/{community.code}/issues").status_code == 200
        counts.append((len(q1), len(q2)))
    assert counts[0] == counts[1], counts


def test_htmx_acknowledge_swaps_the_row(as_user, db, ctx, community, people):
    issue = report(people["owner"], community, category="noise")
    client = as_user(people["contractor"])
    resp = client.post(
        f"/c/{community.code}/issues/{issue.id}/act",
        {"action": "acknowledge", "from": "queue"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="q-row" id="q-{issue.id}"')
    assert "Acknowledged. The resident was told." in html and "<html" not in html
    again = client.post(
        f"/c/{community.code}/issues/{issue.id}/act",
        {"action": "acknowledge", "from": "queue"},
        headers={"HX-Request": "true"},
    )
    assert "has moved on" in again.get_data(as_text=True)
    plain = client.post(
        f"/c/{community.code}/issues/{issue.id}/act", {"action": "start", "from": "queue"}
    )
    assert plain.status_code == 302 and "/issues/queue" in plain.headers["Location"]


# --- the committee ---------------------------------------------------------------------------


def test_committee_merges_and_rejects_through_the_page(as_user, db, ctx, community, people):
    keep = report(people["owner"], community)
    dup = report(people["neighbour"], community)
    bad = report(people["tenant"], community)
    c = as_user(people["committee"])
    page = c.get(f"/c/{community.code}/issues/{dup.id}").get_data(as_text=True)
    assert "Merge as a duplicate" in page
    resp = c.post(f"/c/{community.code}/issues/{dup.id}/act", {"action": "merge", "into": "abc"})
    assert resp.status_code == 400 and "Enter the number of another report" in resp.get_data(
        as_text=True
    )
    assert (
        c.post(
            f"/c/{community.code}/issues/{dup.id}/act", {"action": "merge", "into": str(keep.id)}
        ).status_code
        == 302
    )
    resp = c.post(f"/c/{community.code}/issues/{bad.id}/act", {"action": "reject", "reason": ""})
    assert resp.status_code == 400 and "Please give the reason" in resp.get_data(as_text=True)
    c.post(f"/c/{community.code}/issues/{bad.id}/act", {"action": "reject", "reason": "户内问题"})
    db.session.expire_all()
    assert db.session.get(Issue, dup.id).status == "merged"
    assert db.session.get(Issue, bad.id).status == "rejected"
    page = (
        as_user(people["tenant"]).get(f"/c/{community.code}/issues/{bad.id}").get_data(as_text=True)
    )
    assert "户内问题" in page


def test_routing_page_saves_route_and_staff_party(as_user, db, ctx, community, people):
    c = as_user(people["committee"])
    url = f"/c/{community.code}/issues/routing"
    resp = c.post(url, {"category": "noise", "party": "property", "ack_normal": "12"})
    assert resp.status_code == 302
    resp = c.post(
        url, {"category": "noise", "party": "property", "ack_normal": "-3"}, follow_redirects=True
    )
    assert "between 1 hour" in resp.get_data(as_text=True)
    c.post(url, {"what": "staff", "user_id": str(people["property"].id), "party": "contractor"})
    assert services.staff_party(people["property"].id, community.id) == "contractor"
    resp = c.post(
        url,
        {"what": "staff", "user_id": str(people["owner"].id), "party": "contractor"},
        follow_redirects=True,
    )
    assert "not property staff" in resp.get_data(as_text=True)
    issue = report(people["owner"], community, category="noise")
    assert issue.party == "property"


def test_community_home_links_to_the_issues(as_user, db, ctx, community, people):
    page = as_user(people["owner"]).get(f"/c/{community.code}/").get_data(as_text=True)
    assert f"/c/{community.code}/issues/new" in page
    staff = as_user(people["contractor"]).get(f"/c/{community.code}/").get_data(as_text=True)
    assert f"/c/{community.code}/issues/queue" in staff
