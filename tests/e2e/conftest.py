"""Browser tests in real Chromium (Debian's, see /work/shared/TOOLING.md) at 390×844, against the
real app served by werkzeug in a thread, on a throw-away database (a SQLite file, or
TEST_DATABASE_URL). One browser for the run, a new context (cookies, storage) for every test.

Every test here is marked `e2e`: `pytest -m e2e tests/e2e` runs them, `-m "not e2e"` skips them.

The committee's register-upload test (test_register.py) belongs to the author of the register
pages (templates/register/, views/register.py), who adds it once those pages exist: log in as
committee, upload an .xlsx through the form, check the preview, confirm, with
`assert_no_axe_violations` and the elder-mode checks of support.py on each page it visits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import support

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, **support.LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **support.CONTEXT_ARGS}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    support.ensure_htmx()
    app = support.make_app(tmp_path_factory.mktemp("e2e"))
    yield app
    support.drop_all(app)


@pytest.fixture(scope="session")
def live_server(live_app):
    server = support.LiveServer(live_app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright passes it to every context, so page.goto("/login") works."""
    return live_server.url


@pytest.fixture(autouse=True)
def _clean_database(live_app):
    # Emptied before each test rather than after, so a page still loading when a test ends
    # cannot hold a lock while the tables are being emptied.
    support.empty_all_tables(live_app)


@pytest.fixture()
def data(live_app):
    """Creates test data in the app context (tests/factories.py) and returns plain values."""
    return support.Data(live_app)


@pytest.fixture()
def page(page):
    """pytest-playwright's page, failing the test on JS errors, CSP violations or failed
    sub-resources."""
    page.set_default_timeout(5_000)  # a local server answers in milliseconds
    watch = support.ConsoleWatch(page)
    yield page
    watch.check()


@pytest.fixture()
def axe():
    return support.assert_no_axe_violations


@pytest.fixture()
def login():
    return support.login
