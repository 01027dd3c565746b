"""Reading a sheet of paper ballots (入户征询). PURE: no Flask, no database.

Columns (any order, English or Chinese headers): building/楼栋, entrance/单元, room/房号,
choice/意见 (agree/disagree/abstain or 同意/反对/弃权) and reference/编号 (the number written on
the paper ballot; required). The header may sit below a title row (it is looked for in the first
five rows). CSV is read as UTF-8 (with or without BOM), else GB18030 (what Excel saves on a
Chinese Windows); XLSX is read with openpyxl (first sheet). Row numbers are the sheet's own, as
the committee sees them in Excel (the header is usually row 1, so the first ballot is row 2).

Messages are English msgids (marked with N_ for extraction) with params; the service translates
them. The database checks (does the home exist, is it in scope, has its owner voted) are the
service's: this module only reads and validates the sheet itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..core import sheets

MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 5

COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("building", "楼栋", "楼号", "楼", "幢", "栋"),
    "entrance": ("entrance", "单元"),
    "room": ("room", "房号", "室", "房间号", "门牌号"),
    "choice": ("choice", "意见", "表决意见", "选择"),
    "reference": ("reference", "ref", "编号", "票号", "表决票编号"),
}

CHOICES = {
    "agree": "agree",
    "disagree": "disagree",
    "abstain": "abstain",
    "同意": "agree",
    "反对": "disagree",
    "不同意": "disagree",
    "弃权": "abstain",
}


def N_(msgid: str) -> str:  # noqa: N802
    return msgid


@dataclass(frozen=True)
class SheetRow:
    row: int
    building: str
    entrance: str
    room: str
    choice: str  # agree | disagree | abstain
    reference: str

    @property
    def label(self) -> str:
        return f"{self.building}-{self.entrance}-{self.room}"


@dataclass(frozen=True)
class RowError:
    row: int  # 0 for the file as a whole
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedSheet:
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def clean(value: Any) -> str:
    """A cell as text: integral floats lose their ".0", full-width characters become ASCII."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(value: Any) -> str | None:
    text = clean(value).lower().replace(" ", "")
    for key, names in COLUMNS.items():
        if text in names:
            return key
    return None


def parse_sheet(filename: str, data: bytes) -> ParsedSheet:
    """Read and validate every row; all problems are reported, none stops the reading."""
    result = ParsedSheet()
    try:
        # Non-blank rows with their sheet row numbers, read by the importers' shared reader.
        table = sheets.read_table(data, filename, limit=MAX_ROWS + HEADER_SEARCH_ROWS + 1)
    except sheets.UnreadableSheet as exc:
        msgid = (
            N_("Old .xls files cannot be read. Please save the sheet as .xlsx or CSV.")
            if exc.code == "old_xls"
            else N_("The file could not be read. Please send a CSV or XLSX file.")
        )
        result.errors.append(RowError(0, msgid))
        return result
    header_at, columns = None, {}
    for index, (_number, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        found = {}
        for position, cell in enumerate(cells):
            key = _header_key(cell)
            if key and key not in found:
                found[key] = position
        if len(found) >= 3:
            header_at, columns = index, found
            break
    missing = [key for key in COLUMNS if key not in columns]
    if header_at is None or missing:
        result.errors.append(
            RowError(
                table[header_at][0] if header_at is not None else 1,
                N_(
                    "Missing columns: %(columns)s. The sheet needs building, entrance, room, "
                    "choice and reference (楼栋, 单元, 房号, 意见, 编号)."
                ),
                {"columns": ", ".join(missing) or ", ".join(COLUMNS)},
            )
        )
        return result
    body = table[header_at + 1 :]
    if len(body) > MAX_ROWS:
        result.errors.append(
            RowError(0, N_("The sheet has more than %(n)d rows."), {"n": MAX_ROWS})
        )
        return result
    for row_number, cells in body:
        values = {
            key: clean(cells[pos]) if pos < len(cells) else "" for key, pos in columns.items()
        }
        if not any(values.values()):
            continue  # blank line
        problems = False
        for key in ("building", "entrance", "room"):
            if not values[key]:
                result.errors.append(
                    RowError(
                        row_number,
                        N_("The %(column)s cell is empty."),
                        {"column": f"{key} ({COLUMNS[key][1]})"},
                    )
                )
                problems = True
        choice = CHOICES.get(values["choice"].lower())
        if choice is None:
            result.errors.append(
                RowError(
                    row_number,
                    N_(
                        "Unknown choice “%(value)s”: use 同意, 反对 or 弃权 (agree, disagree, abstain)."
                    ),
                    {"value": values["choice"]},
                )
            )
            problems = True
        if not values["reference"]:
            result.errors.append(RowError(row_number, N_("The ballot reference (编号) is empty.")))
            problems = True
        elif len(values["reference"]) > 40:
            result.errors.append(
                RowError(row_number, N_("The ballot reference is longer than 40 characters."))
            )
            problems = True
        if not problems:
            result.rows.append(
                SheetRow(
                    row=row_number,
                    building=values["building"],
                    entrance=values["entrance"],
                    room=values["room"],
                    choice=choice,
                    reference=values["reference"],
                )
            )
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, N_("The sheet has no ballots.")))
    return result
