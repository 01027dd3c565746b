"""Voting tests read the services' messages in English: outside a request (services called
directly, the CLI) messages use the default locale, which is Chinese."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english_outside_requests(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


# The vote pages' fixtures (test_views*.py); a test module's own fixture of the same name wins.
from tests.voting.view_fixtures import as_user, people, units, vote  # noqa: E402, F401
