"""The register pages: overview, upload → preview → apply, permissions, CSRF, templates."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.core.models import AuditEntry, Membership, Owner, Unit
from participation.core.services import register as register_service
from tests import factories
from tests.register.conftest import count_queries
from tests.register.sheets import GOOD, ZH, csv_bytes, xlsx_bytes


def url(community, path: str = "/") -> str:
    return f"/c/{community.code}/register{path}"


def upload(client, community, data: bytes, filename: str = "register.csv", **kwargs):
    return client.post(
        url(community, "/import"),
        {"sheet": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


def token_of(html: str) -> str:
    match = re.search(r'name="token"[^>]*value="([^"]+)"', html)
    assert match, "no Apply form"
    return match.group(1)


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    return sorted(folder.glob("*")) if folder.exists() else []


def unit_count(db, community) -> int:
    return db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == community.id))


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


@pytest.fixture(autouse=True)
def _clean_uploads(app):
    for path in stored_files(app):
        path.unlink()


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/import", "/template.csv"])
def test_anonymous_is_sent_to_login(client, community, path):
    resp = client.get(url(community, path))
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/", "/import", "/template.xlsx"])
@pytest.mark.parametrize("who", ["resident", "property"])
def test_residents_and_property_staff_are_refused(client, db, community, path, who):
    user = (
        factories.resident(db.session, community)
        if who == "resident"
        else factories.staff(db.session, "property", community)
    )
    client.login(user)
    assert client.get(url(community, path)).status_code == 403


def test_committee_of_another_community_is_refused(client, db, community):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=1)
    client.login(factories.staff(db.session, "committee", other))
    assert client.get(url(community)).status_code == 403


def test_refused_posts(client, db, community):
    client.login(factories.resident(db.session, community))
    assert upload(client, community, csv_bytes(GOOD)).status_code == 403
    assert client.post(url(community, "/import/apply"), {"token": "x" * 32}).status_code == 403


def test_csrf_is_required(client, db, community, committee):
    client.login(committee)
    resp = client.post(
        url(community, "/import"),
        {"sheet": (io.BytesIO(csv_bytes(GOOD)), "register.csv")},
        csrf=False,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    resp = client.post(url(community, "/import/apply"), {"token": "x" * 32}, csrf=False)
    assert resp.status_code == 400
    assert stored_files(client.application) == []


# --- the overview -----------------------------------------------------------------------------


def test_committee_sees_the_register_with_phones(en_client, db, community, committee):
    en_client.login(committee)
    resp = en_client.get(url(community))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    owner = db.session.scalar(select(Owner).where(Owner.key == "1-1-101"))
    assert owner.phone in html
    assert "Household register" in html and "Import a sheet" in html
    assert "2 units, one head" in html  # the owner of 1-1-101 and 1-1-102
    assert "No. 1-1-101" in html  # 1-1-102 is held under another unit's number
    assert "80.50" in html
    assert re.search(r"css/register\.[0-9a-f]{10}\.css", html)  # fingerprinted


def test_city_sees_masked_phones_and_no_import(en_client, db, community):
    en_client.login(factories.staff(db.session, "city", None))
    html = en_client.get(url(community)).get_data(as_text=True)
    owner = db.session.scalar(select(Owner).where(Owner.key == "1-1-101"))
    assert owner.phone not in html
    assert f"{owner.phone[:3]}****{owner.phone[-4:]}" in html
    assert "Import a sheet" not in html
    assert en_client.get(url(community, "/import")).status_code == 403


def test_filter_by_building(en_client, db, community, committee):
    en_client.login(committee)
    html = en_client.get(url(community)).get_data(as_text=True)
    building_ids = re.findall(r"\?building=(\d+)", html)
    assert len(building_ids) == 2
    second = en_client.get(url(community, f"/?building={building_ids[1]}")).get_data(as_text=True)
    assert 'aria-current="true"' in second
    assert "业主2-1-101" in second and "业主1-1-101" not in second


def test_empty_register(en_client, db, ctx):
    community = register_service.create_community(None, "E01", "空小区")
    db.session.commit()
    user = factories.staff(db.session, "committee", community)
    en_client.login(user)
    html = en_client.get(url(community)).get_data(as_text=True)
    assert "The register is empty." in html


def test_overview_queries_do_not_grow_with_units(en_client, db, committee, community, app):
    en_client.login(committee)

    def page_queries() -> tuple[int, str]:
        db.session.commit()  # both measurements start from an expired session
        with count_queries(db.engine) as statements:
            html = en_client.get(url(community)).get_data(as_text=True)
        return len(statements), html

    small, _html = page_queries()
    rows = [
        [str(b), str(e), str(r), "70", "", f"业主{b}{e}{r}", ""]
        for b in (1, 2)
        for e in (1, 2)
        for r in range(101, 161)
    ]
    with app.test_request_context():
        register_service.apply_import(None, community, _sheet(rows))
    large, html = page_queries()
    assert "业主12160" in html  # building 1 now has 124 units on the page
    assert large == small


def _sheet(rows):
    from participation.core.register_import import parse_file

    return parse_file(csv_bytes(rows), "r.csv")


# --- upload → preview → apply -----------------------------------------------------------------


def test_upload_form(en_client, community, committee):
    en_client.login(committee)
    html = en_client.get(url(community, "/import")).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'accept=".csv,.xlsx' in html
    assert "template.xlsx" in html and "template.csv" in html


def test_upload_preview_then_apply(en_client, db, ctx, committee, app):
    community = register_service.create_community(None, "N01", "新小区")
    db.session.commit()
    committee = factories.staff(db.session, "committee", community)
    en_client.login(committee)
    resp = upload(en_client, community, csv_bytes(GOOD))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Check before importing" in html
    assert "New units" in html and "Import these changes" in html
    assert unit_count(db, community) == 0  # a dry run
    files = stored_files(app)
    assert len(files) == 1 and files[0].suffix == ".csv"
    assert files[0].stem == token_of(html)

    resp = en_client.post(url(community, "/import/apply"), {"token": token_of(html)})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(url(community))
    assert unit_count(db, community) == 6
    assert stored_files(app) == []  # the upload is gone once applied
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "register.import"))
    assert entry.actor_id == committee.id
    page = en_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The register is imported. New units: 6" in page

    # The same token cannot be applied twice.
    resp = en_client.post(url(community, "/import/apply"), {"token": token_of(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/import")
    assert unit_count(db, community) == 6


def test_xlsx_upload_updates_in_place(en_client, db, community, committee, app):
    en_client.login(committee)
    rows = [
        [1, 1, 101, 99.5, "1-1-101", "业主1-1-101", None],  # area changed
        [1, 1, 102, 80.5, "1-1-101", None, None],
    ]
    headers = ["building", "entrance", "room", "area_m2", "owner_key", "owner_name"]
    resp = upload(en_client, community, xlsx_bytes(rows, headers), "register.xlsx")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Units that change" in html and "99.50" in html
    assert "14 units of the register are not in the sheet" in html
    assert stored_files(app)[0].suffix == ".xlsx"
    unit_ids = sorted(db.session.scalars(select(Unit.id)))
    en_client.post(url(community, "/import/apply"), {"token": token_of(html)})
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Unit.id))) == unit_ids  # updated, not duplicated
    first = db.session.get(Unit, unit_ids[0])
    assert (first.label(), first.area) == ("1-1-101", Decimal("99.50"))


def test_bad_rows_are_listed_and_nothing_can_be_applied(en_client, db, ctx, app):
    community = register_service.create_community(None, "N02", "新小区")
    db.session.commit()
    en_client.login(factories.staff(db.session, "committee", community))
    rows = [*GOOD, ["3", "1", "101", "", "", "", ""], ["1", "1", "101", "80", "", "", ""]]
    resp = upload(en_client, community, csv_bytes(rows, [*ZH[:6], "联系电话", "备注"]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "3 rows have errors" in html
    assert re.search(r'<th scope="row" class="num">1</th><td>Unknown column “备注”', html)
    assert re.search(r'<th scope="row" class="num">8</th><td>The area is missing.', html)
    assert "Room 1-1-101 appears twice: rows 2 and 9." in html
    assert "6 of 8 rows are correct." in html
    assert "What the import will change" not in html
    assert 'name="token"' not in html  # no Apply button
    assert stored_files(app) == []
    assert unit_count(db, community) == 0


def test_a_sheet_that_matches_offers_nothing_to_apply(en_client, db, ctx, app):
    community = register_service.create_community(None, "N03", "新小区")
    db.session.commit()
    register_service.apply_import(None, community, _sheet(GOOD))
    db.session.commit()
    en_client.login(factories.staff(db.session, "committee", community))
    html = upload(en_client, community, csv_bytes(GOOD)).get_data(as_text=True)
    assert "The register already matches this sheet." in html
    assert 'name="token"' not in html
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n", "Please choose a .csv or .xlsx file."),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not a CSV text file."),
        ("fake.xlsx", b"building,entrance\n", "This file is not an Excel workbook (.xlsx)."),
        ("zip.xlsx", b"PK\x03\x04broken", "This file is not an Excel workbook (.xlsx)."),
        ("old.xls", b"\xd0\xcf\x11\xe0", "Old .xls files cannot be read."),
    ],
)
def test_non_spreadsheets_are_refused(
    en_client, db, community, committee, app, filename, data, message
):
    en_client.login(committee)
    resp = upload(en_client, community, data, filename)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert stored_files(app) == []


def test_no_file_chosen(en_client, community, committee):
    en_client.login(committee)
    resp = en_client.post(url(community, "/import"), {}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Please choose a file." in resp.get_data(as_text=True)


def test_forged_or_foreign_tokens_are_refused(en_client, db, community, committee, app):
    en_client.login(committee)
    # A file placed by someone else, not bound to this session.
    folder = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("a" * 32 + ".csv")).write_bytes(csv_bytes(GOOD))
    for token in ["a" * 32, "../../etc/passwd", ""]:
        resp = en_client.post(url(community, "/import/apply"), {"token": token})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/import")
    assert unit_count(db, community) == 16


def test_token_is_bound_to_its_community(en_client, db, community, committee, app):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=1)
    db.session.add(Membership(user_id=committee.id, role="committee", community_id=other.id))
    db.session.commit()
    en_client.login(committee)
    html = upload(en_client, community, csv_bytes(GOOD)).get_data(as_text=True)
    resp = en_client.post(url(other, "/import/apply"), {"token": token_of(html)})
    assert resp.headers["Location"].endswith(url(other, "/import"))
    assert unit_count(db, other) == 1


def test_discard(en_client, db, community, committee, app):
    en_client.login(committee)
    html = upload(en_client, community, csv_bytes(GOOD)).get_data(as_text=True)
    assert len(stored_files(app)) == 1
    resp = en_client.post(url(community, "/import/discard"), {"token": token_of(html)})
    assert resp.status_code == 302
    assert stored_files(app) == []
    assert unit_count(db, community) == 16


def test_old_uploads_are_swept(en_client, db, community, committee, app):
    import os
    import time

    folder = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / ("b" * 32 + ".xlsx")
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    en_client.login(committee)
    upload(en_client, community, csv_bytes(GOOD))
    assert not old.exists()


def test_template_downloads(client, db, community, committee):
    client.login(committee)
    resp = client.get(url(community, "/template.csv"))
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.decode("utf-8-sig").strip() == ",".join(ZH)
    resp = client.get(url(community, "/template.xlsx"))
    assert resp.status_code == 200
    workbook = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in workbook.worksheets[0][1]] == ZH
    assert len(workbook.worksheets) == 2  # instructions
    assert client.get(url(community, "/template.pdf")).status_code == 404


def test_pages_work_in_chinese(client, db, community, committee):
    client.login(committee)
    for path in ("/", "/import"):
        assert client.get(url(community, path)).status_code == 200
    resp = upload(client, community, csv_bytes(GOOD))
    assert resp.status_code == 200


def test_apply_when_someone_else_imported_meanwhile(
    en_client, db, community, committee, app, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    en_client.login(committee)
    html = upload(en_client, community, csv_bytes(GOOD)).get_data(as_text=True)

    def collide(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(register_service, "apply_import", collide)
    resp = en_client.post(url(community, "/import/apply"), {"token": token_of(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/import")
    page = en_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "changed by someone else" in page
    assert unit_count(db, community) == 16


def test_apply_refused_shows_the_rows(en_client, db, community, committee, app, monkeypatch):
    from participation.core.register_import import RowError

    en_client.login(committee)
    html = upload(en_client, community, csv_bytes(GOOD)).get_data(as_text=True)

    def refuse(actor, comm, rows):
        plan = register_service.ImportPlan(rows=6, errors=[RowError(4, "x", "Owner conflict")])
        raise register_service.ImportRefused("refused", plan)

    monkeypatch.setattr(register_service, "apply_import", refuse)
    resp = en_client.post(url(community, "/import/apply"), {"token": token_of(html)})
    assert resp.status_code == 400
    assert "Owner conflict" in resp.get_data(as_text=True)
    assert stored_files(app) == []
