"""Login throttling with the production store (Redis), shared by every app server."""

from __future__ import annotations

import os
import uuid

import pytest

from participation import create_app
from participation.config import TestConfig
from tests import factories
from tests.conftest import FormClient

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_login_limit_is_shared_through_redis(app, db, community):
    user = factories.staff(db.session, "committee", community)
    # Two app instances stand for two gunicorn servers; a fresh key prefix isolates this run.
    prefix = f"gj-test-{uuid.uuid4().hex}"
    servers = [
        create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            RATELIMIT_STORAGE_URI=REDIS_URL,
            RATELIMIT_KEY_PREFIX=prefix,
            LOGIN_RATE_LIMIT="3 per minute",
        )
        for _ in range(2)
    ]
    codes = []
    for i in range(4):
        client = FormClient(servers[i % 2].test_client())
        codes.append(client.post("/login", {"phone": user.phone, "password": "wrong"}).status_code)
    assert codes == [400, 400, 400, 429]
