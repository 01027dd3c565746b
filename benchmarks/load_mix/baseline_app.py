"""The baseline: a bare Flask app (no session, no login, no templates) with a trivial GET and a
route doing a single INSERT and commit. It tags its responses as app_under_test.py does, so the
wrk script does the same work for both."""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)
INSERT = text("INSERT INTO bench_baseline (k, choice, created_at) VALUES (:k, :choice, now())")


@app.get("/bench/get")
def trivial():
    return "ok"


@app.post("/bench/insert")
def insert_row():
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {"k": request.form.get("k", 0, type=int), "choice": request.form.get("choice", "")},
        )
    return {"ok": True}


@app.after_request
def tag(response):
    if request.method != "POST":
        response.headers["X-Bench"] = "read"
    else:
        response.headers["X-Bench"] = "insert:ok" if response.status_code < 400 else "insert:error"
    return response
