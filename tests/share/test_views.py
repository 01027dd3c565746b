"""Pages of step 5 for every role: board, print, ratings, photos, exports, city dashboard."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event, select

from participation.core.timeutil import utcnow
from participation.extensions import db as _db
from participation.share import ratings
from participation.share.models import PhotoPair, Rating
from tests import factories
from tests.share import helpers

ROLES = ["owner", "tenant", "committee", "property", "city"]


def _login(client, people, role):
    if role != "anonymous":
        client.login(people[role])


@pytest.fixture()
def round_(db, community, people, building):
    with_ctx = ratings.open_round(people["committee"], community, utcnow() + timedelta(days=7))
    db.session.commit()
    return with_ctx


@pytest.mark.parametrize("role", ROLES)
def test_board_for_members(client, db, community, people, building, role):
    _login(client, people, role)
    resp = client.get("/c/T01/board")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Results board" in html and "Wall insulation" in html
    assert client.get("/c/T01/board/print").status_code == 200


@pytest.mark.parametrize("role", ["outsider", "other_committee"])
def test_board_refused_to_other_communities(client, db, community, people, building, role):
    client.login(people[role])
    assert client.get("/c/T01/board").status_code == 403
    assert client.get("/c/T01/ratings").status_code == 403


def test_board_needs_login(client, db, community):
    assert client.get("/c/T01/board").status_code == 302


def test_board_print_has_qr_and_figures(client, db, community, people, building):
    helpers.closed_vote(db.session, community)
    client.login(people["owner"])
    html = client.get("/c/T01/board/print").get_data(as_text=True)
    assert '<svg aria-hidden="true"' in html and "/c/T01/board" in html
    # 4 of 6 owners voted: the figure is written out, not only drawn.
    assert "4 of 6 (66.7%)" in html


def test_resident_rates_and_changes(client, db, community, people, round_):
    client.login(people["owner"])
    page = client.get("/c/T01/ratings").get_data(as_text=True)
    assert "Save my rating" in page
    unit_id = db.session.scalar(select(Rating.unit_id)) or None
    assert unit_id is None
    items = [i.id for i in round_.items]
    from participation.plan.survey import homes_of

    unit = homes_of(people["owner"], community)[0]
    form = {"action": "save", "unit_id": unit.id, "overall": "4", "overall_comment": "很好"}
    form.update({f"item-{i}": "5" for i in items})
    resp = client.post("/c/T01/ratings", form)
    assert resp.status_code == 302
    form["overall"] = "2"
    client.post("/c/T01/ratings", form)
    rating = db.session.scalar(select(Rating))
    db.session.refresh(rating)
    assert rating.overall == 2 and rating.changes == 1
    assert db.session.query(Rating).count() == 1
    # Out of range: refused with a message, nothing changed.
    form["overall"] = "6"
    resp = client.post("/c/T01/ratings", form)
    assert resp.status_code == 400
    assert "from 1 to 5" in resp.get_data(as_text=True)
    db.session.refresh(rating)
    assert rating.overall == 2


def test_committee_opens_and_closes(client, db, community, people, building):
    client.login(people["committee"])
    resp = client.post(
        "/c/T01/ratings",
        {"action": "open", "closes_at": (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")},
    )
    assert resp.status_code == 302
    round_ = ratings.current_round(community)
    assert round_ is not None and len(round_.items) == 3
    client.post("/c/T01/ratings", {"action": "close"})
    db.session.refresh(round_)
    assert round_.closed_early_at is not None
    client.logout() if hasattr(client, "logout") else None


def test_residents_cannot_manage(client, db, community, people, building):
    client.login(people["owner"])
    resp = client.post(
        "/c/T01/ratings",
        {"action": "open", "closes_at": (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")},
    )
    assert resp.status_code == 403
    assert ratings.current_round(community) is None


def _jpeg(colour) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    buf.seek(0)
    return buf


def test_photo_pairs(client, db, community, people, building):
    client.login(people["committee"])
    resp = client.post(
        "/c/T01/board/photos",
        {
            "caption": "3号楼楼道",
            "before": (_jpeg("grey"), "a.jpg"),
            "after": (_jpeg("white"), "b.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    pair = db.session.scalar(select(PhotoPair))
    assert pair.caption == "3号楼楼道"
    assert client.get(f"/c/T01/board/photos/{pair.id}/before/thumb").status_code == 200
    # A broken second photo: nothing is stored.
    resp = client.post(
        "/c/T01/board/photos",
        {
            "caption": "x",
            "before": (_jpeg("grey"), "a.jpg"),
            "after": (io.BytesIO(b"not a photo"), "b.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert db.session.query(PhotoPair).count() == 1
    client.post(f"/c/T01/board/photos/{pair.id}/delete", {})
    assert db.session.query(PhotoPair).count() == 0


def test_photos_refused_to_residents(client, db, community, people, building):
    client.login(people["owner"])
    assert client.get("/c/T01/board/photos").status_code == 403


def _sheet(data: bytes):
    return [
        list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)
    ]


def test_register_export_is_masked(client, db, community, people):
    client.login(people["committee"])
    resp = client.get("/c/T01/exports/register.xlsx")
    assert resp.status_code == 200
    rows = _sheet(resp.data)
    assert rows[0][:4] == ["Building", "Entrance", "Room", "Area (m²)"]
    assert len(rows) == 17
    phones = [r[6] for r in rows[1:] if r[6]]
    assert phones and all("****" in p for p in phones)
    csv = client.get("/c/T01/exports/register.csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Building,Entrance,Room")
    client.set_cookie("lang", "zh_Hans")
    zh = _sheet(client.get("/c/T01/exports/register.xlsx").data)
    assert zh[0][0] != "Building"


@pytest.mark.parametrize("role", ["owner", "property", "city"])
def test_register_and_ballots_export_committee_only(client, db, community, people, role):
    vote = helpers.closed_vote(db.session, community)
    client.login(people[role])
    assert client.get("/c/T01/exports/register.xlsx").status_code == 403
    assert client.get(f"/c/T01/exports/ballots/{vote.id}.csv").status_code == 403


def test_ratings_export(client, db, community, people, round_):
    from participation.plan.survey import homes_of

    unit = homes_of(people["owner"], community)[0]
    with client.application.test_request_context():
        ratings.save_rating(
            people["owner"], round_, unit.id, 3, {i.id: 4 for i in round_.items}, {}, "ok"
        )
    db.session.commit()
    client.login(people["committee"])
    rows = _sheet(client.get("/c/T01/exports/ratings.xlsx").data)
    assert rows[0][:3] == ["Unit", "Overall satisfaction (1–5)", "Comment"]
    assert rows[1][0] == "1-1-101" and rows[1][1] == 3 and rows[1][3] == 4


def test_city_dashboard(client, db, community, people, building):
    helpers.closed_vote(db.session, community)
    client.login(people["city"])
    resp = client.get("/city/?sort=turnout&dir=desc")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "T01" in html and "T02" in html and "66.7%" in html
    filtered = client.get("/city/?q=T02").get_data(as_text=True)
    assert "/c/T02/board" in filtered and "/c/T01/board" not in filtered
    rows = _sheet(client.get("/city/communities.xlsx").data)
    assert rows[0][0] == "Code" and {r[0] for r in rows[1:]} == {"T01", "T02"}
    assert client.get("/c/T02/board").status_code == 200  # drill-down


@pytest.mark.parametrize("role", ["owner", "committee", "property"])
def test_city_dashboard_refused(client, db, community, people, role):
    client.login(people[role])
    assert client.get("/city/").status_code == 403
    assert client.get("/city/communities.csv").status_code == 403


SEEN: list[str] = []


def _count_queries(app, fn):
    count = [0]

    def before(conn, cursor, statement, *args, **kwargs):
        # The summary's rows go in as multi-row INSERTs, batched by the driver's parameter
        # limit: not a query per community, so they are not counted.
        if not statement.startswith("INSERT INTO city_summary"):
            count[0] += 1
        SEEN.append(statement[:90])

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", before)
    _db.session.expire_all()  # every measured request loads the same rows afresh
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count[0]


def test_dashboard_queries_do_not_grow_with_communities(app, client, db, community, people):
    def add(codes):
        for code in codes:
            comm = factories.community(
                db.session, code=code, buildings=1, entrances=1, per_entrance=2
            )
            factories.current_step(db.session, comm, "consult")
            helpers.closed_vote(db.session, comm)

    client.login(people["city"])
    add(["X01", "X02"])
    client.get("/city/")
    few = _count_queries(app, lambda: client.get("/city/"))
    add([f"X{n}" for n in range(10, 30)])
    many = _count_queries(app, lambda: client.get("/city/"))
    assert many == few, "\n".join(SEEN)
    assert few <= 25


@pytest.mark.parametrize("kind", ["pledges", "issues"])
def test_records_exports(client, db, community, people, kind):
    client.login(people["committee"])
    rows = _sheet(client.get(f"/c/T01/exports/{kind}.xlsx").data)
    assert rows[0][0] == ("Building" if kind == "pledges" else "Number")
    # The city is refused them: tests/share/test_records.py


@pytest.mark.parametrize("role", ["owner", "tenant", "property", "outsider"])
def test_records_exports_refused(client, db, community, people, role):
    client.login(people[role])
    assert client.get("/c/T01/exports/pledges.csv").status_code == 403
    assert client.get("/c/T01/exports").status_code == 403


def test_exports_page_for_committee(client, db, community, people, building):
    helpers.closed_vote(db.session, community)
    client.login(people["committee"])
    html = client.get("/c/T01/exports").get_data(as_text=True)
    assert "/c/T01/exports/register.xlsx" in html and "/exports/ballots/" in html
