"""The OpenAPI document against the live API: no 5xx, every answer fits its schema.

Loaded from the ASGI app with the real test database (a seeded village with an election
and a meeting): random cases for every operation, plus one case per operation that names
the seeded records so the successful answers are checked too.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import YEAR, Seeded

CHECKS = [not_a_server_error, response_schema_conformance]


def _real_case(operation, seeded: Seeded):
    path = operation.path
    params = {}
    if "{village_id}" in path:
        params["village_id"] = seeded.village.id
    if "{election_id}" in path:
        params["election_id"] = seeded.election.id
    if "{meeting_id}" in path:
        params["meeting_id"] = seeded.meeting.id
    query = {"year": YEAR} if any(p.name == "year" for p in operation.query) else None
    return operation.Case(path_parameters=params, query=query)


def test_the_api_conforms_to_its_openapi_document(app, client, seeded: Seeded):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = seeded.bearer()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    for operation in operations:
        case = _real_case(operation, seeded)
        response = case.call(headers=headers)
        assert response.status_code == 200, (operation.path, response.text)
        case.validate_response(response, checks=CHECKS)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
