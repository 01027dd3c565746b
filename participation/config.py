"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("GONGJIAN_INSTANCE", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    # A development key only: production must set SECRET_KEY (checked in create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'gongjian.db'}"
    )
    # No pool_pre_ping: core/pool.py checks each connection at checkout without a round trip
    # unless its socket says the server left, or it sat idle half a minute.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Flask-Limiter: memory by default; production points this at Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "gongjian")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Cookies are Secure only when served over HTTPS (set HTTPS=1 behind a TLS proxy).
    HTTPS = _bool("HTTPS", False)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = (
        None  # elderly residents may take their time; the token lives with the session
    )
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("zh_Hans", "en")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    SEED_DEMO = _bool("SEED_DEMO", False)
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto/-Host are
    # trusted that many hops deep, so rate limits count the resident's address, not the proxy's.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Flask-Compress: pages and JSON compressed by the app (brotli for browsers, else gzip), so
    # the transfer sizes hold behind any proxy. COMPRESS=0 when the proxy compresses instead.
    COMPRESS_REGISTER = _bool("COMPRESS", True)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Level 4: a 12 kB page in 0.18 ms (level 5: 0.25 ms) for 7 % more bytes (1.7 kB against
    # 1.6 kB): every page pays it, and the byte budgets (DESIGN.md §9) keep a wide margin.
    COMPRESS_BR_LEVEL = 4
    COMPRESS_MIN_SIZE = 500
    # Community-wide page sections cached per process until the community's data changes
    # (core/cache.py); an entry lives SECTION_CACHE_MAX_AGE seconds at most.
    SECTION_CACHE = _bool("SECTION_CACHE", True)
    SECTION_CACHE_SIZE = int(os.environ.get("SECTION_CACHE_SIZE", "512"))
    SECTION_CACHE_MAX_AGE = int(os.environ.get("SECTION_CACHE_MAX_AGE", "300"))
    TESTING = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    WTF_CSRF_ENABLED = True
    # Fast hashes keep the suite quick; production keeps werkzeug's scrypt default.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
