"""Reading and checking the household register sheet: pure rules, no Flask app or database.

A committee's spreadsheet (CSV or XLSX, headers in Chinese or English) becomes a list of
`SheetRow`s and a list of `RowError`s, each error with the row number the committee sees in
Excel (the header is row 1) and a reason in the reader's language (lazy: translated when shown).
The service (services/register.py) diffs the rows against the database; nothing here writes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

# The readers are shared with other sheet imports; names kept here for this module's callers.
from .sheets import (  # noqa: F401
    FORMATS,
    NumberedRow,
    UnreadableSheet,
    decode_text,
    detect_format,
    numbered,
    read_csv,
    read_table,
    read_xlsx,
)

FIELDS = ("building", "entrance", "room", "area", "owner_key", "owner_name", "phone")
REQUIRED = ("building", "entrance", "room", "area")
# Template headers, in sheet order: Chinese is what committees use, English the alternative.
HEADERS_ZH = {
    "building": "楼栋",
    "entrance": "单元",
    "room": "房号",
    "area": "面积",
    "owner_key": "业主编号",
    "owner_name": "业主姓名",
    "phone": "联系电话",
}
HEADERS_EN = {
    "building": "building",
    "entrance": "entrance",
    "room": "room",
    "area": "area_m2",
    "owner_key": "owner_key",
    "owner_name": "owner_name",
    "phone": "phone",
}
_HEADER_FIELD = {h: f for f, h in HEADERS_ZH.items()} | {h: f for f, h in HEADERS_EN.items()}
# Lengths of the model columns: longer values would fail in the database, so they are row errors.
MAX_LEN = {
    "building": 40,
    "entrance": 40,
    "room": 20,
    "owner_key": 60,
    "owner_name": 100,
    "phone": 20,
}
MAX_AREA = Decimal("99999999.99")  # Numeric(10, 2)
CENT = Decimal("0.01")
# A big community has a few thousand units; the cap keeps a runaway sheet from eating memory.
MAX_ROWS = 20_000
_READ_LIMIT = MAX_ROWS + 11  # plus a header and title rows above it
DEVELOPER_KEY = "DEVELOPER"
DEVELOPER_NAME = "开发商"
_DEVELOPER_MARKS = {"DEVELOPER", DEVELOPER_NAME}
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")  # the same rule as account phones, so owners can log in
_UNIT_SUFFIX = re.compile(r"\s*(m2|平方米|平米)$", re.IGNORECASE)
_HEADER_UNIT = re.compile(r"\s*\((m2|平方米|平米)\)$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class RowError:
    """One problem on one row; `code` is stable for tests and tools, `reason` is for people."""

    row: int
    code: str
    reason: Any  # a lazy string: str() translates it in the current language

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"


@dataclass(frozen=True)
class SheetRow:
    row: int
    building: str
    entrance: str
    room: str
    area: Decimal
    owner_key: str  # resolved: given, derived from the unit, or DEVELOPER_KEY
    owner_name: str = ""
    phone: str = ""
    is_developer: bool = False

    @property
    def unit_key(self) -> tuple[str, str, str]:
        return (self.building, self.entrance, self.room)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.entrance}-{self.room}"


@dataclass(frozen=True)
class OwnerSpec:
    """An owner as the sheet describes it, merged over all of their rows."""

    key: str
    name: str
    phone: str
    is_developer: bool
    rows: tuple[int, ...]


@dataclass
class ParsedSheet:
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Fields whose column is in the sheet: an absent optional column leaves the register alone.
    columns: frozenset[str] = frozenset(FIELDS)
    owners: dict[str, OwnerSpec] = field(default_factory=dict)
    data_rows: int = 0  # non-blank rows below the header, good or bad

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


# ---------------------------------------------------------------------------------------------
# Natural ordering and keys


def natural_key(name: str, width: int = 6, limit: int = 60) -> str:
    """Sort key that puts "2" before "10": every run of digits is zero-padded."""
    return _DIGITS.sub(lambda m: m.group().lstrip("0").zfill(width), name)[:limit]


def derived_owner_key(building: str, entrance: str, room: str) -> str:
    """Key of an owner the sheet gives no number for: the unit itself (building-entrance-room)."""
    key = f"{building}-{entrance}-{room}"
    if len(key) > MAX_LEN["owner_key"]:
        key = "U-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return key


def is_developer_mark(owner_key: str, owner_name: str = "") -> bool:
    return owner_key.upper() in _DEVELOPER_MARKS or owner_name == DEVELOPER_NAME


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def parse_file(data: bytes, filename: str) -> ParsedSheet:
    """Read and check a sheet; raises UnreadableSheet when the file is not a sheet at all."""
    return parse_numbered(read_table(data, filename))


# ---------------------------------------------------------------------------------------------
# Checking rows


class _DateCell(str):
    """Marks a cell Excel turned into a date (it does that to "1-2" or "3/1")."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return _DateCell(str(value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits; this turns 80.12000000000001 back into 80.12.
        return format(value, ".15g")
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_field(raw: str) -> str | None:
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    name = _HEADER_UNIT.sub("", name)
    return _HEADER_FIELD.get(name)


def _find_header(rows: Sequence[NumberedRow]) -> int | None:
    """Position of the header row: the first row naming a known column (title rows above it are
    skipped), else the first row."""
    for i, (_number, cells) in enumerate(rows[:10]):
        if any(_header_field(t) for t in (_text(c) for c in cells) if t):
            return i
    return 0 if rows else None


def parse_area(raw: str) -> tuple[Decimal | None, str | None]:
    """The area as Decimal(0.01), or an error code."""
    if not raw:
        return None, "missing_area"
    text = _UNIT_SUFFIX.sub("", unicodedata.normalize("NFKC", raw).strip())
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "area_not_number"
    if not value.is_finite():
        return None, "area_not_number"
    if value <= 0:
        return None, "area_not_positive"
    if value != value.quantize(CENT):
        return None, "area_decimals"
    if value > MAX_AREA:
        return None, "area_too_large"
    return value.quantize(CENT), None


def _area_error(code: str, row: int, value: str) -> RowError:
    reasons = {
        "missing_area": _l("The area is missing."),
        "area_not_number": _l("The area “%(value)s” is not a number.", value=value),
        "area_not_positive": _l("The area must be more than 0 (it is %(value)s).", value=value),
        "area_decimals": _l("The area “%(value)s” has more than 2 decimals.", value=value),
        "area_too_large": _l("The area “%(value)s” is too large.", value=value),
    }
    return RowError(row, code, reasons[code])


def parse_table(table: Sequence[Sequence[Any]]) -> ParsedSheet:
    """Check a sheet given as rows of cells, row 1 first (blank rows included)."""
    return parse_numbered(numbered(table, _READ_LIMIT))


def parse_numbered(rows: Sequence[NumberedRow]) -> ParsedSheet:
    """Check non-blank rows given with their sheet row numbers."""
    sheet = ParsedSheet()
    header_at = _find_header(rows)
    if header_at is None:
        sheet.errors.append(RowError(1, "empty_sheet", _l("The sheet is empty.")))
        return sheet
    header_row, header_cells = rows[header_at]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for i, cell in enumerate(header_cells):
        raw = _text(cell)
        if not raw:
            continue  # stray formatted columns; cells without a header are not read
        name = _header_field(raw)
        if name is None:
            sheet.errors.append(
                RowError(
                    header_row,
                    "unknown_column",
                    _l(
                        "Unknown column “%(name)s”. Use the columns of the template.",
                        name=raw,
                    ),
                )
            )
        elif name in columns:
            sheet.errors.append(
                RowError(
                    header_row,
                    "duplicate_column",
                    _l("The column “%(name)s” appears twice.", name=raw),
                )
            )
        else:
            columns[name] = i
            labels[name] = raw
    if not columns:
        sheet.errors = [
            RowError(
                header_row,
                "no_header",
                _l(
                    "The first row must name the columns: 楼栋, 单元, 房号, 面积 (or building, entrance, room, area_m2)."
                ),
            )
        ]
        return sheet
    for name in REQUIRED:
        if name not in columns:
            sheet.errors.append(
                RowError(
                    header_row,
                    "missing_column",
                    _l(
                        "The column “%(zh)s” (%(en)s) is missing.",
                        zh=HEADERS_ZH[name],
                        en=HEADERS_EN[name],
                    ),
                )
            )
    sheet.columns = frozenset(columns)
    if any(e.code == "missing_column" for e in sheet.errors):
        return sheet  # without the right columns every row would be wrong: say it once

    data_rows = 0
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in rows[header_at + 1 :]:
        values = {
            name: _text(cells[col]) if col < len(cells) else "" for name, col in columns.items()
        }
        if not any(values.values()):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            sheet.errors.append(
                RowError(
                    number,
                    "too_many_rows",
                    _l("The sheet has more than %(max)s rows.", max=format(MAX_ROWS, ",")),
                )
            )
            break
        row = _check_row(number, values, labels, sheet.errors)
        # A bad row still claims its room, so a second row for it is reported too.
        unit_key = (values["building"], values["entrance"], values["room"])
        if all(unit_key) and not any(isinstance(v, _DateCell) for v in unit_key):
            first = seen.setdefault(unit_key, number)
            if first != number:
                sheet.errors.append(
                    RowError(
                        number,
                        "duplicate_room",
                        _l(
                            "Room %(unit)s appears twice: rows %(first)s and %(row)s.",
                            unit="-".join(unit_key),
                            first=first,
                            row=number,
                        ),
                    )
                )
                continue
        if row is not None:
            sheet.rows.append(row)
    sheet.data_rows = data_rows
    if data_rows == 0:
        sheet.errors.append(RowError(header_row, "empty_sheet", _l("The sheet is empty.")))
    sheet.owners = collect_owners(sheet.rows, sheet.errors)
    sheet.errors.sort(key=lambda e: e.row)
    return sheet


def _check_row(
    number: int, values: dict[str, str], labels: dict[str, str], errors: list[RowError]
) -> SheetRow | None:
    before = len(errors)
    missing = {
        "building": ("missing_building", _l("The building (楼栋) is missing.")),
        "entrance": ("missing_entrance", _l("The entrance (单元) is missing.")),
        "room": ("missing_room", _l("The room number (房号) is missing.")),
    }
    for name, value in values.items():
        if isinstance(value, _DateCell):
            errors.append(
                RowError(
                    number,
                    "date_cell",
                    _l(
                        "Excel turned the cell “%(column)s” into a date (%(value)s). Format the column as text and type it again.",
                        column=labels[name],
                        value=value,
                    ),
                )
            )
        elif name in missing and not value:
            code, reason = missing[name]
            errors.append(RowError(number, code, reason))
        elif name in MAX_LEN and len(value) > MAX_LEN[name]:
            errors.append(
                RowError(
                    number,
                    "too_long",
                    _l(
                        "“%(column)s” is longer than %(max)s characters.",
                        column=labels[name],
                        max=MAX_LEN[name],
                    ),
                )
            )
    raw_area = values.get("area", "")
    area = None
    if not isinstance(raw_area, _DateCell):
        area, code = parse_area(raw_area)
        if code:
            errors.append(_area_error(code, number, raw_area))
    phone = normalise_phone(values.get("phone", ""))
    if phone and not isinstance(values.get("phone"), _DateCell) and not PHONE_RE.match(phone):
        errors.append(
            RowError(
                number,
                "phone_invalid",
                _l(
                    "The phone number “%(value)s” is not an 11-digit mobile number.",
                    value=values["phone"],
                ),
            )
        )
    if len(errors) > before or area is None:
        return None
    building, entrance, room = values["building"], values["entrance"], values["room"]
    key, name = values.get("owner_key", ""), values.get("owner_name", "")
    developer = is_developer_mark(key, name)
    if developer:
        key = DEVELOPER_KEY
    elif not key:
        key = derived_owner_key(building, entrance, room)
    return SheetRow(
        row=number,
        building=building,
        entrance=entrance,
        room=room,
        area=area,
        owner_key=key,
        owner_name=name,
        phone=phone,
        is_developer=developer,
    )


def collect_owners(rows: Iterable[SheetRow], errors: list[RowError]) -> dict[str, OwnerSpec]:
    """Merge rows by owner key. Two rows of one owner may not disagree on the name or phone: a
    mistyped key would otherwise merge two households into one head. Developer rows share one
    owner whatever names they carry (解释 Art. 9)."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        owner = merged.get(row.owner_key)
        if owner is None:
            merged[row.owner_key] = {
                "name": row.owner_name,
                "phone": row.phone,
                "developer": row.is_developer,
                "rows": [row.row],
                "name_row": row.row,
                "phone_row": row.row,
            }
            continue
        owner["rows"].append(row.row)
        for attr, value in (("name", row.owner_name), ("phone", row.phone)):
            if not value:
                continue
            if not owner[attr]:
                owner[attr], owner[f"{attr}_row"] = value, row.row
            elif owner[attr] != value and not owner["developer"]:
                errors.append(
                    RowError(
                        row.row,
                        "owner_conflict",
                        _l(
                            "Owner number %(key)s has a different name or phone on row %(other)s.",
                            key=row.owner_key,
                            other=owner[f"{attr}_row"],
                        ),
                    )
                )
    return {
        key: OwnerSpec(
            key=key,
            name=o["name"] or (DEVELOPER_NAME if o["developer"] else ""),
            phone=o["phone"],
            is_developer=o["developer"],
            rows=tuple(o["rows"]),
        )
        for key, o in merged.items()
    }


def sheet_from_rows(rows: Sequence[SheetRow]) -> ParsedSheet:
    """A ParsedSheet for rows built in code (tests, tools), with owners merged and checked."""
    sheet = ParsedSheet(rows=list(rows), data_rows=len(rows))
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if row.unit_key in seen:
            sheet.errors.append(
                RowError(
                    row.row,
                    "duplicate_room",
                    _l(
                        "Room %(unit)s appears twice: rows %(first)s and %(row)s.",
                        unit=row.label,
                        first=seen[row.unit_key],
                        row=row.row,
                    ),
                )
            )
        seen.setdefault(row.unit_key, row.row)
    sheet.owners = collect_owners(rows, sheet.errors)
    return sheet


# ---------------------------------------------------------------------------------------------
# Template sheets


def template_csv() -> bytes:
    """Chinese headers, UTF-8 with a BOM so Excel on Windows shows them right."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([HEADERS_ZH[f] for f in FIELDS])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(instructions: Sequence[str] = ()) -> bytes:
    """Headers on the first sheet with every column but the area formatted as text, so Excel
    keeps "0501", "1-2" and phone numbers as typed; instructions on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "户籍"
    sheet.append([HEADERS_ZH[f] for f in FIELDS])
    widths = {"building": 8, "entrance": 8, "room": 10, "area": 10}
    for i, name in enumerate(FIELDS, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.cell(row=1, column=i).font = Font(bold=True)
        sheet.column_dimensions[letter].width = widths.get(name, 16)
        if name != "area":
            sheet.column_dimensions[letter].number_format = "@"
            for r in range(2, 3001):
                sheet.cell(row=r, column=i).number_format = "@"
    sheet.freeze_panes = "A2"
    if instructions:
        notes = workbook.create_sheet("说明")
        notes.column_dimensions["A"].width = 100
        for line in instructions:
            notes.append([line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
