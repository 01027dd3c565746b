"""Reading paper-ballot sheets (pure): headers, encodings, XLSX, row numbers."""

from __future__ import annotations

import io

from openpyxl import Workbook

from participation.voting.ballot_import import parse_sheet


def test_english_csv():
    data = b"building,entrance,room,choice,reference\n1,1,101,agree,P001\n1,1,102,abstain,P002\n"
    sheet = parse_sheet("ballots.csv", data)
    assert sheet.errors == []
    assert [(r.row, r.label, r.choice, r.reference) for r in sheet.rows] == [
        (2, "1-1-101", "agree", "P001"),
        (3, "1-1-102", "abstain", "P002"),
    ]


def test_chinese_headers_in_gb18030_with_a_title_row_and_blank_lines():
    text = "某小区入户征询表\n楼栋,单元,房号,意见,编号\n1,1,101,同意,001\n\n2,1,201,反对,002\n1,2,101,弃权,003\n"
    sheet = parse_sheet("征询.csv", text.encode("gb18030"))
    assert sheet.errors == []
    assert [(r.row, r.choice) for r in sheet.rows] == [
        (3, "agree"),
        (5, "disagree"),
        (6, "abstain"),
    ]


def test_utf8_with_bom_and_full_width_digits():
    text = "\ufeff楼栋,单元,房号,意见,编号\n１,１,１０１,同意,Ａ1\n"
    sheet = parse_sheet("x.csv", text.encode("utf-8"))
    assert sheet.errors == []
    assert sheet.rows[0].label == "1-1-101" and sheet.rows[0].reference == "A1"


def test_bad_rows_are_reported_by_row_number():
    data = "楼栋,单元,房号,意见,编号\n1,1,101,同意,1\n1,,102,同意,2\n1,1,103,也许,3\n1,1,104,反对,\n".encode()
    sheet = parse_sheet("x.csv", data)
    assert [r.row for r in sheet.rows] == [2]
    assert [(e.row, e.msgid[:20]) for e in sheet.errors] == [
        (3, "The %(column)s cell "),
        (4, "Unknown choice “%(va"),
        (5, "The ballot reference"),
    ]
    assert sheet.errors[1].params == {"value": "也许"}


def test_missing_columns_are_named():
    sheet = parse_sheet("x.csv", "楼栋,单元,房号,意见\n1,1,101,同意\n".encode())
    assert sheet.rows == []
    assert sheet.errors[0].row == 1 and sheet.errors[0].params == {"columns": "reference"}


def test_xlsx_with_numbers_as_cells():
    wb = Workbook()
    ws = wb.active
    ws.append(["building", "entrance", "room", "choice", "reference"])
    ws.append([3, 2, 501.0, "disagree", 17])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = parse_sheet("ballots.xlsx", buf.getvalue())
    assert sheet.errors == []
    assert sheet.rows[0].label == "3-2-501" and sheet.rows[0].reference == "17"


def test_unreadable_and_old_files():
    assert (
        parse_sheet("x.xlsx", b"PK\x03\x04garbage").errors[0].msgid.startswith("The file could not")
    )
    assert parse_sheet("x.xls", b"\xd0\xcf\x11\xe0....").errors[0].msgid.startswith("Old .xls")
    assert parse_sheet("x.csv", b"building,entrance,room,choice,reference\n").errors[0].msgid == (
        "The sheet has no ballots."
    )
