"""The Gongjian app under gunicorn, plus the engine's ballot-casting route the benchmark POSTs
to (and an "app floor" route that does only the baseline's INSERT through the whole app). The
vote page's own cast view (participation/voting/views.py) is measured too, at its own URL.

The engine route: the logged-in user from the signed session (Flask-Login), CSRF validated by
Flask-WTF, the vote loaded, services.cast_ballot (which checks state, window, electorate and
proxy itself), the commit, the receipt returned."""

from __future__ import annotations

import os

from flask import request
from flask_login import current_user
from sqlalchemy import text

from participation import create_app
from participation.core.errors import DomainError
from participation.extensions import db
from participation.voting import services
from participation.voting.models import Vote

app = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "SECRET_KEY": os.environ["BENCH_SECRET_KEY"],
    }
)
with app.app_context():  # gunicorn --preload forks the workers from here: no shared connection
    db.engine.dispose()


@app.post("/bench/votes/<int:vote_id>/cast")
def cast(vote_id: int):
    """The engine's own API: the user, the vote, services.cast_ballot, the commit. As the vote
    page does, the connection is put in autocommit before anything is read: the cast is one
    statement on PostgreSQL, which commits by itself (no BEGIN/COMMIT round trips)."""
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if not current_user.is_authenticated:
        return {"error": "log in"}, 401
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        return {"error": "no such vote"}, 404
    try:
        result = services.cast_ballot(current_user, vote, request.form.get("choice", ""))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return {"error": err.message}, 409
    return {"receipt": result.receipt_display, "choice": result.choice}


@app.post("/bench/floor")
def floor():
    """The app's own floor: the same logged-in, CSRF-checked POST through the whole app, doing
    only the baseline's single INSERT. The gap between it and the bare baseline is the app's
    per-request cost (sessions, login, CSRF, headers), not the voting engine's."""
    if not current_user.is_authenticated:
        return {"error": "log in"}, 401
    db.session.execute(
        text("INSERT INTO bench_baseline (k, choice, created_at) VALUES (:k, :choice, now())"),
        {"k": current_user.id, "choice": request.form.get("choice", "")},
    )
    db.session.commit()
    return {"ok": True}
