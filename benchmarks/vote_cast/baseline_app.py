"""The baseline: a bare Flask app whose one route does a single INSERT and commits."""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)
INSERT = text("INSERT INTO bench_baseline (k, choice, created_at) VALUES (:k, :choice, now())")


@app.post("/bench/insert")
def insert_row():
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {"k": request.form.get("k", 0, type=int), "choice": request.form.get("choice", "")},
        )
    return {"ok": True}
