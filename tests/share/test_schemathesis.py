"""The whole API (every operation in /api/v1/openapi.json, including those other steps add)
run through schemathesis: no server errors, every status code documented, every body and header
as the schema says, invalid input refused with a 4xx. Valid and invalid (negative) cases for
each operation, derandomized and without an example database, so every run sends the same
requests; quick (a few hundred requests), on SQLite and on PostgreSQL (TEST_DATABASE_URL).

The schema is loaded from the running app inside the test (schemathesis' pytest fixture
integration does not work with pytest 9), and each operation's strategy is run with
hypothesis' @given."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as oa_checks

from tests import factories
from tests.share import helpers

CHECKS = [
    checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
    oa_checks.response_headers_conformance,
    oa_checks.negative_data_rejection,
]
EXAMPLES = 20
CALLS: list[str] = []


def _run(operation, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(checks=CHECKS)
        CALLS.append(operation.label)

    run()


UNCONSTRAINED = {"type", "description", "examples", "example", "title"}


def _negatable(operation) -> bool:
    """Whether any parameter can be made invalid: a string without constraints cannot (any
    string is valid), and hypothesis would spend seconds proving that."""
    for parameter in (*operation.path_parameters, *operation.query, *operation.headers):
        schema = parameter.definition.get("schema", {})
        if schema.get("type") != "string" or set(schema) - UNCONSTRAINED:
            return True
    return False


def test_whole_api(app, db, community, people):
    # Data for every endpoint: communities in different steps, a closed vote with its result,
    # an adopted plan.
    factories.current_step(db.session, community, "build")
    helpers.plan(db.session, community)
    helpers.closed_vote(db.session, community)
    factories.current_step(db.session, people["other"], "consult")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"GET /communities", "GET /communities/{code}", "GET /votes/{id}"} <= labels
    skipped: list[str] = []
    for operation in operations:
        _run(operation, GenerationMode.POSITIVE)
        if not _negatable(operation):
            skipped.append(operation.label)
            continue
        try:
            _run(operation, GenerationMode.NEGATIVE)
        except Unsatisfiable:  # schemathesis' own runner skips these too
            skipped.append(operation.label)
    assert "GET /communities" not in skipped and "GET /votes/{id}" not in skipped
