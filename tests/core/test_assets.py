"""Page weight machinery: compressed responses, fingerprinted and precompressed static files,
the favicon; and the production settings that go with it (proxy headers, the secret key)."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from participation import create_app
from participation.config import TestConfig

BR = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends


def _asset(client, name: str) -> str:
    html = client.get("/login").get_data(as_text=True)
    match = re.search(rf'"(/static/{re.escape(name)}\.[0-9a-f]{{10}}\.(css|js))"', html)
    assert match, name
    return match.group(1)


def test_pages_are_compressed_with_brotli_else_gzip_else_not(client):
    plain = client.get("/login").get_data()
    resp = client.get("/login", headers=BR)
    assert resp.headers["Content-Encoding"] == "br"
    assert b"<!doctype html>" in brotli.decompress(resp.get_data())
    assert len(resp.get_data()) < len(plain) / 2
    assert "Accept-Encoding" in resp.headers["Vary"] and "Cookie" in resp.headers["Vary"]
    resp = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert b"<!doctype html>" in gzip.decompress(resp.get_data())
    assert "Content-Encoding" not in client.get("/login").headers


def test_tiny_responses_are_not_compressed(client):
    resp = client.get("/healthz", headers=BR)
    assert "Content-Encoding" not in resp.headers and resp.json == {"status": "ok"}


def test_static_files_are_precompressed_and_revalidate_with_etags(client):
    url = _asset(client, "css/app")
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    br = client.get(url, headers=BR)
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()) == plain.get_data()
    assert br.headers["Content-Type"].startswith("text/css")
    assert "Accept-Encoding" in br.headers["Vary"]
    again = client.get(url, headers={**BR, "If-None-Match": br.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    js = client.get(_asset(client, "js/app"), headers={"Accept-Encoding": "gzip"})
    assert js.headers["Content-Type"].startswith("text/javascript")


def test_url_for_static_is_fingerprinted_everywhere(app):
    from flask import render_template_string, url_for

    with app.test_request_context("/"):
        by_url_for = url_for("static", filename="css/app.css")
        by_helper = render_template_string("{{ static_url('css/app.css') }}")
        missing = url_for("static", filename="css/no-such-file.css")
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{10}\.css", by_url_for)
    assert by_helper == by_url_for
    assert missing == "/static/css/no-such-file.css"  # and it 404s, not a made-up hash


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/css/../../pyproject.toml",
        "/static/css/none.0123456789.css",
        "/static/css",
    ],
)
def test_static_view_serves_nothing_outside_the_folder(client, path):
    assert client.get(path).status_code == 404


def test_favicon_is_served_with_a_week_of_caching(client):
    resp = client.get("/favicon.ico", headers=BR)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=604800"
    body = resp.get_data()
    if resp.headers.get("Content-Encoding") == "br":
        body = brotli.decompress(body)
    assert body[:4] == b"\x00\x00\x01\x00"


def test_compression_can_be_left_to_the_proxy(db, app):
    quiet = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        COMPRESS_REGISTER=False,
    )
    assert "Content-Encoding" not in quiet.test_client().get("/login", headers=BR).headers


def test_behind_a_proxy_the_residents_address_counts(db, app):
    behind = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        PROXY_COUNT=1,
    )

    @behind.get("/_whoami")
    def whoami():
        from flask import request

        return {"addr": request.remote_addr, "scheme": request.scheme}

    resp = behind.test_client().get(
        "/_whoami", headers={"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    )
    assert resp.json == {"addr": "1.2.3.4", "scheme": "https"}
    # Without PROXY_COUNT a forged header changes nothing.
    plain = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    plain.add_url_rule("/_whoami", view_func=whoami)
    resp = plain.test_client().get("/_whoami", headers={"X-Forwarded-For": "1.2.3.4"})
    assert resp.json["addr"] == "127.0.0.1"


def test_production_refuses_the_development_secret_key(monkeypatch, app):
    from participation.config import DEV_SECRET_KEY, Config

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    monkeypatch.setenv("FLASK_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=DEV_SECRET_KEY)
    # A key set in the environment (Config reads it at import) is accepted.
    started = create_app(Config, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="a-long-random-key")
    assert started.config["SECRET_KEY"] == "a-long-random-key"
