"""The whole Gongjian app as gunicorn serves it in production, plus one after-request hook that
tags each response for the wrk script (X-Bench): "read" for a page view, "<kind>:ok" when a
write's view flashed success (a ballot: redirected to ?cast=), "<kind>:refused" when it flashed an error (a refusal still answers
302), "<kind>:error" for 4xx/5xx. The hook reads what the view left in the session; it adds no
query. The views themselves are untouched: the ballot is cast through the vote page's own form
route (participation/voting/views.py cast), issues are answered through the build package's
act route (participation/build/views.py act)."""

from __future__ import annotations

import os

from flask import request, session

from participation import create_app
from participation.extensions import db

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "SECRET_KEY": os.environ["BENCH_SECRET_KEY"],
    }
)
with app.app_context():  # gunicorn --preload forks the workers from here: no shared connection
    db.engine.dispose()


def write_kind() -> str:
    if request.endpoint == "voting.cast":
        return "cast"
    if request.endpoint == "build.act":
        return request.form.get("action", "act")
    return request.endpoint or "post"


@app.after_request
def tag(response):
    if request.method != "POST":
        response.headers["X-Bench"] = "read"
        return response
    kind = write_kind()
    if response.status_code >= 400:
        outcome = "error"
    else:
        flashes = session.get("_flashes") or []
        category = flashes[-1][0] if flashes else ""
        # A ballot cast without JS flashes nothing: it redirects to the vote page with the
        # owner in ?cast=, where the page confirms it from the stored ballot.
        if not category and kind == "cast" and "?cast=" in response.headers.get("Location", ""):
            category = "success"
        outcome = {"success": "ok", "error": "refused"}.get(category, "unknown")
    response.headers["X-Bench"] = f"{kind}:{outcome}"
    return response
