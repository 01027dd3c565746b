"""Flask's signed-cookie sessions, with the verification of a cookie remembered per process.

A logged-in resident sends the same session cookie with every request until something in the
session changes. Checking its signature and decoding it again each time (a fresh serializer,
HMAC, base64, tagged JSON) costs about 0.15 ms, a fifth of a bare Flask request: so a cookie
already verified is looked up instead. Nothing about what is trusted changes: only a cookie
string byte-for-byte equal to one whose signature was checked is reused, its age is still
checked against the session lifetime, the remembered entries belong to the current secret
key, and each request gets its own copy of the data."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_REMEMBERED = 4096


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: tuple | None = None
        self._serializer: URLSafeTimedSerializer | None = None
        self._verified: dict[str, tuple[dict[str, Any], float]] = {}

    def _current(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._keys:  # first use, or the secret changed: forget everything
            with self._lock:
                self._serializer = super().get_signing_serializer(app)
                self._verified = {}
                self._keys = keys
        return self._serializer

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return self._current(app)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        found = self._verified.get(val)
        if found is not None and time.time() - found[1] <= max_age:
            return self.session_class(_copy(found[0]))
        try:
            data, signed_at = s.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            if len(self._verified) >= MAX_REMEMBERED:
                self._verified.clear()
            self._verified[val] = (data, signed_at.timestamp())
        return self.session_class(_copy(data))


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    # Flashed messages are a list the request may change: those sessions are copied deeply.
    if any(isinstance(v, list | dict) for v in data.values()):
        return copy.deepcopy(data)
    return dict(data)


# A page's CSRF token is the session's secret token signed with the time (flask_wtf), afresh on
# every page: a tenth of a cached page view. One signed less than REUSE_SECONDS ago for the same
# session token and secret key is reused instead: it proves the same thing, and is accepted for
# as long (WTF_CSRF_TIME_LIMIT, an hour by default) less at most a minute.
REUSE_SECONDS = 60
_signed: dict[tuple[str, Any], tuple[str, float]] = {}


def csrf_token() -> str:
    """The request's signed CSRF token, as flask_wtf's generate_csrf gives it (which forms
    built later in the request then return too)."""
    from flask import current_app, g, session
    from flask_wtf.csrf import generate_csrf

    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    raw, now = session.get(field), time.monotonic()
    key = (raw, current_app.secret_key)
    found = _signed.get(key) if raw else None
    if found is not None and now - found[1] < REUSE_SECONDS:
        setattr(g, field, found[0])
        return found[0]
    token = generate_csrf()
    if len(_signed) >= MAX_REMEMBERED:
        _signed.clear()
    _signed[(session[field], current_app.secret_key)] = (token, now)
    return token
