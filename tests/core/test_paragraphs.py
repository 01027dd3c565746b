"""Texts shown as paragraphs (the `paragraphs` filter of core/web.py): blank lines dropped,
everything escaped, and a line that is one of the app's own addresses (a plan vote's question
ends with its plan's) a link to tap instead of a path to read."""

from __future__ import annotations

import pytest

from participation.core.web import paragraphs


@pytest.fixture()
def ctx(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        yield


def test_lines_become_escaped_paragraphs(ctx):
    assert (
        paragraphs("第一段\n\n  \n<b>第二段</b>") == "<p>第一段</p><p>&lt;b&gt;第二段&lt;/b&gt;</p>"
    )
    assert paragraphs(None) == "" and paragraphs("") == ""


def test_an_own_address_on_its_line_is_a_link(ctx):
    html = paragraphs("您是否同意改造方案第2版？\n/c/XFL/plan/2")
    assert html.endswith('<p><a class="more" href="/c/XFL/plan/2">See the page</a></p>')


def test_the_link_is_in_the_readers_language(app):
    with app.test_request_context("/"):  # Chinese by default
        assert ">查看页面</a>" in paragraphs("/c/XFL/plan/2")


@pytest.mark.parametrize(
    "line",
    [
        "javascript:alert(1)",
        "//evil.example/c/X/",
        "https://evil.example/c/XFL/plan/2",
        "/c/XFL/plan/2?next=//evil",
        '/c/XFL/"onmouseover=x',
        "see /c/XFL/plan/2",
        "/login",
    ],
)
def test_nothing_else_is_a_link(ctx, line):
    assert "<a " not in paragraphs(line)
