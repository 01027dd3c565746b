"""Sheet builders for the register tests: CSV and XLSX bytes from rows of cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

ZH = ["楼栋", "单元", "房号", "面积", "业主编号", "业主姓名", "联系电话"]
EN = ["building", "entrance", "room", "area_m2", "owner_key", "owner_name", "phone"]

# 2 buildings; 张三 (key A1) holds two units; the developer holds two units (marked two ways).
GOOD = [
    ["1", "1", "101", "80.50", "", "李四", "13800000001"],
    ["1", "1", "102", "80.5", "A1", "张三", "13800000002"],
    ["1", "2", "101", "95", "A1", "张三", ""],
    ["2", "1", "101", "60.25", "", "王五", ""],
    ["2", "1", "102", "60.25", "开发商", "", ""],
    ["10", "1", "101", "70", "", "开发商", ""],
]


def csv_bytes(
    rows: Iterable[Sequence[Any]], headers: Sequence[str] = ZH, encoding: str = "utf-8-sig"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if headers:
        writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Sequence[Any]], headers: Sequence[str] = EN) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("register")
    if headers:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def big_rows(units: int = 2000) -> list[list[Any]]:
    """`units` units in buildings of 4 entrances × 10 floors × 5 rooms, cells typed as Excel
    stores them (numbers as numbers). The last 20 units belong to the developer; otherwise every
    50th unit belongs to the owner of the unit before it (2,000 units: 1,942 owners)."""
    rows: list[list[Any]] = []
    n = 0
    for building in range(1, units // 200 + 2):
        for entrance in range(1, 5):
            for floor in range(1, 11):
                for room in range(1, 6):
                    if n >= units:
                        return rows
                    n += 1
                    row = [building, entrance, floor * 100 + room, 60 + (n % 40) * 1.25]
                    if n > units - 20:
                        row += ["开发商", "", None]
                    elif n % 50 == 0:
                        prev = rows[-1]
                        prev[4] = prev[4] or f"K{n - 1}"
                        row += prev[4:7]
                    else:
                        row += ["", f"业主{n}", 13800000000 + n]
                    rows.append(row)
    return rows
