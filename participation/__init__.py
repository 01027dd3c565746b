"""Gongjian (共建): resident participation in the renovation of old residential communities."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .config import DEV_SECRET_KEY, INSTANCE, ROOT, Config


def create_app(config: type | dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Build the app from Config, then `config` (a class or dict), then keyword overrides
    (e.g. SQLALCHEMY_DATABASE_URI for a test database: extensions read config at init)."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.update(overrides)
    if app.config.get("HTTPS"):
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https"
        )
    if (
        not app.debug
        and not app.testing
        and os.environ.get("FLASK_ENV") == "production"
        and app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "")
    ):
        raise RuntimeError("set SECRET_KEY in production")
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    from .core import web

    web.init_app(app)

    from . import cli

    cli.init_app(app)
    return app
