"""Both languages render, and the Chinese catalogue translates every msgid in the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "pgettext": ((1, "c"), 2),
}


def extracted_msgids() -> set[str]:
    method_map = [("participation/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()

    # Babel skips folders starting with "_" by default; templates/_macros holds strings too.
    def directory_filter(path: str) -> bool:
        name = Path(path).name
        return not name.startswith(".") and name not in {"node_modules", ".venv"}

    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS, directory_filter=directory_filter
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalogue():
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_Hans")


def test_chinese_catalogue_is_complete():
    cat = catalogue()
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in cat if m.id}
    missing = sorted(extracted_msgids() - set(translated))
    assert not missing, f"msgids not in the zh_Hans catalogue (run `make messages`): {missing[:20]}"
    empty = sorted(
        k
        for k, m in translated.items()
        if not (m.string if isinstance(m.string, str) else all(m.string))
    )
    assert not empty, f"untranslated: {empty[:20]}"
    fuzzy = sorted(k for k, m in translated.items() if m.fuzzy)
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_placeholders_survive_translation():
    import re

    for m in catalogue():
        if not m.id or not isinstance(m.id, str):
            continue
        assert set(re.findall(r"%\((\w+)\)", m.id)) == set(re.findall(r"%\((\w+)\)", m.string)), (
            m.id
        )


@pytest.mark.parametrize(
    "lang,marker,absent", [("zh_Hans", "登录", "Log in"), ("en", "Log in", "登录")]
)
def test_pages_render_in_each_language(client, db, community, lang, marker, absent):
    client.client.set_cookie(key="lang", value=lang)
    html = client.get("/login").get_data(as_text=True)
    assert marker in html and absent not in html
    committee = factories.staff(db.session, "committee", community)
    client.login(committee)
    for url in ("/c/T01/", "/c/T01/notices", "/inbox", "/me", "/c/T01/project", "/c/T01/audit"):
        resp = client.get(url)
        assert resp.status_code == 200, url


def test_dates_and_numbers_follow_locale(client, db, community):
    committee = factories.staff(db.session, "committee", community)
    client.login(committee)
    client.client.set_cookie(key="lang", value="en")
    en = client.get("/c/T01/").get_data(as_text=True)
    client.client.set_cookie(key="lang", value="zh_Hans")
    zh = client.get("/c/T01/").get_data(as_text=True)
    # 16 units of 80.50 m²: 1,288 m² in the overview (whole m²), with the unit label translated.
    assert "1,288 m²" in en and "1,288 m²" in zh
    assert "Units" in en and "Units" not in zh


def test_dates_are_unambiguous_in_both_languages(app):
    from datetime import UTC, datetime

    from participation.core.web import format_date, format_datetime

    moment = datetime(2026, 11, 26, 13, 47, tzinfo=UTC)  # 21:47 in Shanghai
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert format_datetime(moment, "short") == "26 Nov 2026, 21:47"
        assert format_date(moment) == "26 Nov 2026"
    with app.test_request_context():
        assert format_datetime(moment, "short") == "2026年11月26日 21:47"
        assert format_date(moment) == "2026年11月26日"
