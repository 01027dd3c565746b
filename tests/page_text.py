"""Reading a page in tests that compare pages: its text, and its own content without the CSRF
tokens (signed with the second they were made: two views a second apart differ there only)."""

from __future__ import annotations

import html
import re


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return html.unescape(resp.get_data(as_text=True))


def without_tokens(page: str) -> str:
    page = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken"', page)


def main(page: str) -> str:
    return without_tokens(page[page.index("<main") : page.index("</main>")])
