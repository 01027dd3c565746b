"""Reading spreadsheets that committees upload: CSV (as Excel saves it, UTF-8 with a BOM, GBK
on Chinese Windows, or UTF-16) and XLSX. Judged by name AND content; rows keep their sheet row
numbers so every problem can be reported where the committee will look for it. Pure: no Flask,
no database (messages are lazy strings, translated when shown)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

FORMATS = ("csv", "xlsx")
DEFAULT_LIMIT = 20_011  # rows kept before reading stops (the importers check their own caps)


class UnreadableSheet(Exception):
    """The file is not a sheet we can read at all (wrong type, broken, not text). `code` is
    stable for callers that word the message their own way."""

    def __init__(self, reason: Any, code: str = "unreadable") -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.code = code


def detect_format(filename: str, data: bytes) -> str:
    """The format, "csv" or "xlsx", judged by the name AND the content; others are refused."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "xls":
        raise UnreadableSheet(
            _l(
                "Old .xls files cannot be read. In Excel choose “Save as” → “Excel workbook (.xlsx)”, or “CSV”."
            ),
            "old_xls",
        )
    if ext not in FORMATS:
        raise UnreadableSheet(_l("Please choose a .csv or .xlsx file."), "wrong_type")
    is_zip = data[:4] == b"PK\x03\x04"
    if ext == "xlsx" and not is_zip:
        raise UnreadableSheet(_l("This file is not an Excel workbook (.xlsx)."))
    if ext == "csv" and (is_zip or _looks_binary(data)):
        raise UnreadableSheet(_l("This file is not a CSV text file."))
    return ext


def _looks_binary(data: bytes) -> bool:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 text from Excel's "Unicode text"
        return False
    return b"\x00" in data[:8192]


def decode_text(data: bytes) -> str:
    """Excel saves CSV as UTF-8 with a BOM, or in the system code page (GBK on Chinese Windows)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableSheet(_l("This file is not a CSV text file."))


NumberedRow = tuple[int, Sequence[Any]]


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def numbered(rows: Iterable[Sequence[Any]], limit: int) -> list[NumberedRow]:
    """Non-blank rows with their sheet row numbers (row 1 first). Blank rows are dropped here so
    a sheet of empty lines costs no memory; reading stops once `limit` rows are kept."""
    kept: list[NumberedRow] = []
    for number, cells in enumerate(rows, start=1):
        if _blank(cells):
            continue
        kept.append((number, cells))
        if len(kept) > limit:
            break
    return kept


def read_csv(data: bytes, limit: int = DEFAULT_LIMIT) -> list[NumberedRow]:
    text = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limit)
    except csv.Error as err:
        raise UnreadableSheet(_l("This file is not a CSV text file.")) from err


def read_xlsx(data: bytes, limit: int = DEFAULT_LIMIT) -> list[NumberedRow]:
    """The first worksheet (not the active one: the template's second sheet is instructions)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # zipfile, XML and openpyxl's own errors for a damaged workbook
        raise UnreadableSheet(_l("This file is not an Excel workbook (.xlsx).")) from err
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        # The stored dimension may be wrong or huge (A1:XFD1048576); read what is really there.
        sheet.reset_dimensions()
        return numbered(sheet.iter_rows(values_only=True), limit)
    except UnreadableSheet:
        raise
    except Exception as err:
        raise UnreadableSheet(_l("This file is not an Excel workbook (.xlsx).")) from err
    finally:
        workbook.close()


def read_table(data: bytes, filename: str, limit: int = DEFAULT_LIMIT) -> list[NumberedRow]:
    """Non-blank rows of the first sheet with their row numbers (row 1 first)."""
    if detect_format(filename, data) == "xlsx":
        return read_xlsx(data, limit)
    return read_csv(data, limit)
