"""Whole pages from the section cache, with holes where a reader's own parts go.

A page that every reader with the same roles sees alike (the community home, the results board,
an issues list, a plan, a closed vote) is rendered once per community data version, language,
elder mode, address, the reader's role set here and `key_parts` (core/cache.py
`cached_section`: same lifetime, same rules), with *holes*: markers no content can contain (a random nonce per process) where the
reader's own parts go. Each request fills them in, so a page view costs the one query that
loads the community and its reader, a few `str.replace` and the compression.

Holes every page has: the CSRF token (every `csrf_token()` and form field in the page returns
the marker while a shared page is built) and the inbox badge. A view names its own with
`holes={"name": fill}`, `fill()` returning the reader's Markup, and its template puts
`{{ hole('name') }}` where it goes; when the page is not cached, `hole()` calls `fill()` in
place, so the page is the same either way.

Not kept, rendered as usual: a request with flashed messages to show, a session with writes of
its own (as `cached_section`), a page whose rendering asked a permission with a per-user check
(core/permissions.py `can`: such an answer is the reader's, not the role's), and a page with the
reader's real CSRF token in it (a form built before the page). Whatever else a page shows must
depend only on what the key holds: a view that puts a reader's data in a shared page outside a
hole is a bug (tests/core/test_pagecache.py shows the rules on real pages).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from .cache import NotKept, cached_section, writing
from .sessions import csrf_token

_NONCE = secrets.token_hex(12)
_CSRF = "csrf"
_BADGE = "badge"
_G_TOKEN = "csrf_token"  # where flask_wtf keeps the request's signed token (g.csrf_token)


def marker(name: str) -> str:
    return f"\ue000{_NONCE}:{name}\ue001"


@dataclass
class _Build:
    holes: set[str]
    shareable: bool = True


_building: ContextVar[_Build | None] = ContextVar("shared_page_build", default=None)


def not_shareable() -> None:
    """While a shared page is built: what was just rendered is this reader's own (a permission
    with a per-user check), so the page is not kept for others."""
    build = _building.get()
    if build is not None:
        build.shareable = False


def hole(name: str) -> Markup:
    """For templates: the reader's part `name` (the view's `holes`), or its marker while a
    shared page is built."""
    build = _building.get()
    if build is not None:
        build.holes.add(name)
        return Markup(marker(name))
    return _fill(name)


def _fill(name: str) -> Markup:
    fills: dict[str, Callable[[], str]] = g.get("_page_holes") or {}
    fill = fills.get(name) or _BUILTIN.get(name)
    if fill is None:
        raise KeyError(f"no fill for the page hole {name!r}")
    return Markup(fill())


def _badge() -> str:
    from .notify import unread_count
    from .web import _template_gettext

    if not current_user.is_authenticated:
        return ""
    count = unread_count(current_user.id)
    if not count:
        return ""
    unread = escape(_template_gettext(str(get_locale())).gettext("unread"))
    return f' <span class="badge">{int(count)}<span class="sr"> {unread}</span></span>'


_BUILTIN: dict[str, Callable[[], str]] = {_BADGE: _badge, _CSRF: csrf_token}


def cached_page(
    community,
    name: str,
    render: Callable[[], str],
    *key_parts,
    holes: dict[str, Callable[[], str]] | None = None,
    keep: bool = True,
) -> str:
    """`render()` (the full page), or the same page as it was rendered for readers with the
    same key, its holes filled for this reader. See the module's docstring. `keep=False`
    renders it afresh (holes filled in place): a page that is shared only in some states."""
    g._page_holes = holes or {}
    if (
        not keep
        or not current_app.config.get("PAGE_CACHE", True)
        or "_flashes" in session
        or writing(community.id)
    ):
        return render()
    from .cache import roles_key
    from .permissions import roles_for
    from .web import elder_mode

    kept = cached_section(
        community,
        "page:" + name,
        lambda: _build(render),
        request.full_path,
        request.headers.get("HX-Request") == "true",
        elder_mode(),
        roles_key(roles_for(current_user, community.id)),  # what a shared page may depend on
        *key_parts,
    )
    page, used = kept
    for hole_name in used:
        page = page.replace(marker(hole_name), _fill(hole_name))
    return page


def _build(render: Callable[[], str]):
    """The page rendered with markers for its holes: (page, hole names) to keep, or NotKept."""
    build = _Build(holes=set())
    real_token = g.pop(_G_TOKEN, None)
    setattr(g, _G_TOKEN, marker(_CSRF))
    token = _building.set(build)
    try:
        page = render()
    finally:
        _building.reset(token)
        if real_token is None:
            g.pop(_G_TOKEN, None)
        else:
            setattr(g, _G_TOKEN, real_token)
    if marker(_CSRF) in page:
        build.holes.add(_CSRF)
    if not build.shareable or (real_token is not None and real_token in page):
        return NotKept((page, tuple(build.holes)))
    return page, tuple(build.holes)
