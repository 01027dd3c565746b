"""Reading and checking register sheets: pure rules, no app or database."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from participation.core import register_import as ri
from tests.register.sheets import EN, GOOD, ZH, csv_bytes, xlsx_bytes


def codes(sheet: ri.ParsedSheet) -> list[tuple[int, str]]:
    return [(e.row, e.code) for e in sheet.errors]


def test_good_csv_with_chinese_headers():
    sheet = ri.parse_file(csv_bytes(GOOD), "register.csv")
    assert sheet.ok, codes(sheet)
    assert sheet.data_rows == 6
    first = sheet.rows[0]
    assert (first.row, first.building, first.entrance, first.room) == (2, "1", "1", "101")
    assert first.area == Decimal("80.50") and first.area.as_tuple().exponent == -2
    assert sheet.rows[1].area == Decimal("80.50")
    assert sheet.rows[2].area == Decimal("95.00")
    # No owner number: the unit is its own owner, keyed by building-entrance-room.
    assert first.owner_key == "1-1-101" and first.owner_name == "李四"
    assert first.phone == "13800000001"
    assert sheet.columns == frozenset(ri.FIELDS)


def test_owner_with_several_units_is_one_owner():
    sheet = ri.parse_file(csv_bytes(GOOD), "register.csv")
    owner = sheet.owners["A1"]
    assert owner.rows == (3, 4)
    assert (owner.name, owner.phone, owner.is_developer) == ("张三", "13800000002", False)
    # 李四, 张三, 王五 and the developer.
    assert len(sheet.owners) == 4


def test_developer_units_share_one_owner():
    rows = [
        *GOOD,
        ["3", "1", "101", "50", "developer", "", ""],
        ["3", "1", "102", "50", "DEVELOPER", "某某地产", ""],
    ]
    sheet = ri.parse_file(csv_bytes(rows), "register.csv")
    assert sheet.ok, codes(sheet)
    developer_rows = [r for r in sheet.rows if r.is_developer]
    assert [r.row for r in developer_rows] == [6, 7, 8, 9]
    assert {r.owner_key for r in developer_rows} == {ri.DEVELOPER_KEY}
    owner = sheet.owners[ri.DEVELOPER_KEY]
    assert owner.is_developer and owner.rows == (6, 7, 8, 9)
    # Developer rows may name the developer differently: not a conflict, the first name wins.
    assert owner.name == "开发商"


def test_good_xlsx_with_english_headers_and_excel_cell_types():
    headers = [" Building ", "ENTRANCE", "room", "Area_M2", "owner_key", "Owner_Name", "PHONE "]
    rows = [
        [1, 1, 101, 80.12000000000001, None, "Li", 13800000001],
        [1, 1, 102, 75, "K7", None, None],
        [10, 2, 1501, 90.5, "K7", "Zhang", "138 0000 0002"],
    ]
    sheet = ri.parse_file(xlsx_bytes(rows, headers), "sheet.XLSX")
    assert sheet.ok, codes(sheet)
    assert [(r.building, r.entrance, r.room, r.area) for r in sheet.rows] == [
        ("1", "1", "101", Decimal("80.12")),
        ("1", "1", "102", Decimal("75.00")),
        ("10", "2", "1501", Decimal("90.50")),
    ]
    assert sheet.rows[0].phone == "13800000001"
    assert sheet.owners["K7"].name == "Zhang"
    assert sheet.owners["K7"].phone == "13800000002"


def test_gbk_encoded_csv():
    data = csv_bytes(GOOD, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = ri.parse_file(data, "register.csv")
    assert sheet.ok, codes(sheet)
    assert sheet.rows[0].owner_name == "李四"


def test_utf16_tab_separated_text_from_excel():
    text = "\t".join(ZH[:4]) + "\r\n" + "1\t1\t101\t80\r\n"
    sheet = ri.parse_file(text.encode("utf-16"), "register.csv")
    assert sheet.ok, codes(sheet)
    assert sheet.rows[0].area == Decimal("80.00")


def test_each_kind_of_bad_row_reported_with_its_row_number():
    rows = [
        ["1", "1", "101", "80", "", "", ""],  # row 2: fine
        ["", "1", "102", "80", "", "", ""],  # 3: no building
        ["1", "", "103", "80", "", "", ""],  # 4: no entrance
        ["1", "1", "", "80", "", "", ""],  # 5: no room
        ["1", "1", "104", "", "", "", ""],  # 6: no area
        ["1", "1", "105", "八十", "", "", ""],  # 7: not a number
        ["1", "1", "106", "0", "", "", ""],  # 8: zero
        ["1", "1", "107", "-3.5", "", "", ""],  # 9: negative
        ["1", "1", "108", "80.125", "", "", ""],  # 10: three decimals
        ["", "", "", "", "", "", ""],  # 11: blank, skipped but counted
        ["1", "1", "101", "80", "", "", ""],  # 12: duplicate of row 2
        ["1", "1", "109", "80", "", "", "1380000000"],  # 13: ten digits
        ["1", "1", "110", "NaN", "", "", ""],  # 14: not a number either
    ]
    sheet = ri.parse_file(csv_bytes(rows), "register.csv")
    assert codes(sheet) == [
        (3, "missing_building"),
        (4, "missing_entrance"),
        (5, "missing_room"),
        (6, "missing_area"),
        (7, "area_not_number"),
        (8, "area_not_positive"),
        (9, "area_not_positive"),
        (10, "area_decimals"),
        (12, "duplicate_room"),
        (13, "phone_invalid"),
        (14, "area_not_number"),
    ]
    assert [r.row for r in sheet.rows] == [2]
    by_row = {e.row: str(e.reason) for e in sheet.errors}
    assert by_row[12] == "Room 1-1-101 appears twice: rows 2 and 12."
    assert by_row[7] == "The area “八十” is not a number."
    assert by_row[10] == "The area “80.125” has more than 2 decimals."
    assert "1380000000" in by_row[13]
    assert sheet.bad_rows == 11


def test_a_row_with_several_problems_reports_each():
    sheet = ri.parse_table([ZH[:4] + ["联系电话"], ["", "", "101", "-1", "123"]])
    assert codes(sheet) == [
        (2, "missing_building"),
        (2, "missing_entrance"),
        (2, "area_not_positive"),
        (2, "phone_invalid"),
    ]


def test_unknown_column_is_reported_on_row_1_and_rows_are_still_checked():
    sheet = ri.parse_table([[*ZH, "备注"], ["1", "1", "101", "abc", "", "", ""]])
    assert codes(sheet) == [(1, "unknown_column"), (2, "area_not_number")]
    assert "备注" in str(sheet.errors[0].reason)


def test_missing_required_column_is_one_error_on_the_header():
    sheet = ri.parse_table([["楼栋", "单元", "房号"], ["1", "1", "101"]])
    assert codes(sheet) == [(1, "missing_column")]
    assert "面积" in str(sheet.errors[0].reason)


def test_duplicate_column():
    sheet = ri.parse_table([[*ZH[:4], "area_m2"], ["1", "1", "101", "80", "80"]])
    assert codes(sheet) == [(1, "duplicate_column")]


def test_empty_sheets():
    assert codes(ri.parse_file(b"", "register.csv")) == [(1, "empty_sheet")]
    assert codes(ri.parse_file(csv_bytes([]), "register.csv")) == [(1, "empty_sheet")]
    assert codes(ri.parse_file(xlsx_bytes([], headers=[]), "register.xlsx")) == [(1, "empty_sheet")]
    assert codes(ri.parse_table([["x", "y"], ["1", "2"]])) == [(1, "no_header")]


def test_title_rows_above_the_header_are_skipped_and_numbering_kept():
    table = [["幸福小区户籍登记表"], [], ZH[:4], ["1", "1", "101", "abc"]]
    sheet = ri.parse_table(table)
    assert codes(sheet) == [(4, "area_not_number")]


def test_header_variants_and_area_units():
    table = [
        ["楼栋 ", "\u3000单元", "房号", "面积（㎡）"],
        ["1", "1", "101", "80.5㎡"],
        ["１", "１", "１０２", "８０.５ 平方米"],
    ]
    sheet = ri.parse_table(table)
    assert sheet.ok, codes(sheet)
    assert [(r.room, r.area) for r in sheet.rows] == [
        ("101", Decimal("80.50")),
        ("102", Decimal("80.50")),
    ]
    assert sheet.columns == {"building", "entrance", "room", "area"}


def test_owner_number_with_different_names_is_a_conflict():
    rows = [
        ["1", "1", "101", "80", "A1", "张三", "13800000002"],
        ["1", "1", "102", "80", "A1", "张山", ""],
        ["1", "1", "103", "80", "A1", "", "13800000003"],
    ]
    sheet = ri.parse_file(csv_bytes(rows), "register.csv")
    assert codes(sheet) == [(3, "owner_conflict"), (4, "owner_conflict")]
    assert "row 2" in str(sheet.errors[0].reason)


def test_value_too_long():
    sheet = ri.parse_table([ZH[:4], ["1", "1", "1" * 21, "80"]])
    assert codes(sheet) == [(2, "too_long")]


def test_excel_date_cells_are_reported():
    data = xlsx_bytes([[1, datetime(2024, 1, 2), 101, 80]])
    sheet = ri.parse_file(data, "register.xlsx")
    assert codes(sheet) == [(2, "date_cell")]


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(ri, "MAX_ROWS", 3)
    sheet = ri.parse_table([ZH[:4]] + [["1", "1", str(n), "80"] for n in range(1, 6)])
    assert codes(sheet) == [(5, "too_many_rows")]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("register.txt", b"a,b"),
        ("register", b"a,b"),
        ("register.xls", b"\xd0\xcf\x11\xe0"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("register.xlsx", "楼栋,单元\n".encode()),
        ("register.csv", b"PK\x03\x04zip"),
    ],
)
def test_files_that_are_not_sheets_are_refused(filename, data):
    with pytest.raises(ri.UnreadableSheet):
        ri.parse_file(data, filename)


def test_broken_xlsx_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(ri.UnreadableSheet) as info:
        ri.parse_file(out.getvalue(), "register.xlsx")
    assert "xlsx" in str(info.value.reason)


def test_natural_sort_keys():
    names = ["10", "2", "1", "10号楼", "2号楼", "B2", "B10", "0501", "1501"]
    assert sorted(names, key=ri.natural_key) == [
        "1",
        "2",
        "2号楼",
        "10",
        "10号楼",
        "0501",
        "1501",
        "B2",
        "B10",
    ]
    assert ri.natural_key("1" * 80) == ri.natural_key("1" * 80)[:60]


def test_derived_owner_keys_fit_the_column():
    assert ri.derived_owner_key("3", "2", "501") == "3-2-501"
    long_key = ri.derived_owner_key("楼" * 40, "单" * 40, "房" * 20)
    assert len(long_key) <= ri.MAX_LEN["owner_key"]
    assert long_key == ri.derived_owner_key("楼" * 40, "单" * 40, "房" * 20)


def test_sheet_from_rows_checks_owners_and_duplicates():
    row = ri.SheetRow(2, "1", "1", "101", Decimal("80.00"), "A1", "张三")
    rows = [row, ri.SheetRow(3, "1", "1", "101", Decimal("80.00"), "A1", "李四")]
    sheet = ri.sheet_from_rows(rows)
    assert codes(sheet) == [(3, "duplicate_room"), (3, "owner_conflict")]


def test_templates_have_the_headers_and_read_back_as_empty():
    csv_data = ri.template_csv()
    assert csv_data.startswith(b"\xef\xbb\xbf")
    assert csv_data.decode("utf-8-sig").strip() == ",".join(ZH)
    assert codes(ri.parse_file(csv_data, "t.csv")) == [(1, "empty_sheet")]

    xlsx_data = ri.template_xlsx(["说明一", "说明二"])
    workbook = load_workbook(io.BytesIO(xlsx_data))
    assert [c.value for c in workbook.worksheets[0][1]] == ZH
    assert workbook.worksheets[0]["C2"].number_format == "@"  # rooms stay text
    assert workbook.worksheets[1]["A2"].value == "说明二"
    assert codes(ri.parse_file(xlsx_data, "t.xlsx")) == [(1, "empty_sheet")]
    assert [ri.HEADERS_EN[f] for f in ri.FIELDS] == EN


def test_a_bad_row_still_claims_its_room():
    sheet = ri.parse_table([ZH[:4], ["1", "1", "101", "abc"], ["1", "1", "101", "80"]])
    assert codes(sheet) == [(2, "area_not_number"), (3, "duplicate_room")]
    assert sheet.rows == []
