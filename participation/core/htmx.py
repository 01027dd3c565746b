"""htmx helpers: a page answers an htmx request with just its fragment, which the full page
includes, so both paths render the same markup and work without JavaScript."""

from __future__ import annotations

from flask import render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page(page: str, fragment: str, **context) -> str:
    """The full page for a normal request; only `fragment` for htmx (history restores excepted)."""
    if is_htmx() and request.headers.get("HX-History-Restore-Request") != "true":
        return render_template(fragment, **context)
    return render_template(page, **context)
