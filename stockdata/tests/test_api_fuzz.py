"""API fuzzing: schemathesis generates requests from our OpenAPI schema and sends them to the
real WSGI application, as every role of the fixture world (token auth; anonymous without one).

For every operation and every role, each generated request must get an answer that is
* not a server error (no 5xx),
* a status code the schema documents for the operation,
* a body that matches the schema documented for that status.

Bounded: ``STOCKDATA_FUZZ_EXAMPLES`` generated examples per operation (default 5), each sent as all seven
roles, once as generated and once with the path naming A's real objects. Every request runs in a savepoint that is rolled back, so one example's writes (a deleted
photo, a new cart line) never change what the next one sees.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from stockdata.accounts.tokens import api_token_issue
from stockdata.tests.access_world import ROLES, world_fixture  # noqa: F401 - the module-scoped `world`
from stockdata.wsgi import application

EXAMPLES = int(os.environ.get("STOCKDATA_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _schema_dict() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


schema = schemathesis.openapi.from_dict(_schema_dict())
# The schema's examples and Hypothesis' generated cases (bounded by max_examples). Not the
# "coverage" phase: it sends every boundary value of every parameter, hundreds of requests per
# operation whatever max_examples says, which is for a nightly run, not every CI run.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module")
def tokens(world, django_db_blocker):
    with django_db_blocker.unblock():
        return {role: api_token_issue(user=user, name="fuzz")[1] for role, user in world.users.items()}


@pytest.fixture
def in_process_requests():
    """The WSGI handler closes "old" connections at each request's start and end, which inside a
    test transaction would be the test's own: keep it from doing so (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)
def test_api_answers_every_role_within_its_schema(case, world, tokens, in_process_requests):
    # As generated (random ids: mostly "not found"), then with the path naming A's real objects,
    # so the generated query and body also reach the code behind the 404.
    variants = [dict(case.path_parameters or {})]
    if case.path_parameters:
        variants.append({name: _real_parameter(world, case.path, name) for name in case.path_parameters})
    for path_parameters in variants:
        case.path_parameters = path_parameters
        for role in ROLES:
            headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
            with transaction.atomic():
                try:
                    case.call_and_validate(app=application, headers=headers, checks=CHECKS)
                except Exception as exc:
                    exc.add_note(f"(sent as {role}, path parameters {path_parameters})")
                    raise
                finally:
                    transaction.set_rollback(True)


# Path parameter → the object of the A side of the world it names (by the path it appears in).
REAL_PARAMETERS = {
    ("/api/v1/photos/", "uuid"): "photo_a.uuid",
    ("/api/v1/photos/", "photo_uuid"): "photo_a.uuid",
    ("/api/v1/photos/", "position"): 1,
    ("/api/v1/releases/", "uuid"): "release_a.uuid",
    ("/api/v1/orders/", "uuid"): "order_a.uuid",
    ("/api/v1/invoices/", "number"): "invoice_a.number",
    ("/api/v1/cart/", "line_id"): "cart_line_a.pk",
    ("/api/v1/earnings/", "id"): "payout_a.pk",
    ("/api/v1/datasets/", "slug"): "dataset.slug",
    ("/api/v1/curation/datasets/", "slug"): "draft_dataset.slug",
    ("/api/v1/curation/photos/", "uuid"): "photo_a.uuid",
    ("/api/v1/auth/tokens/", "public_id"): "api_token_a.public_id",
    ("/api/v1/withdrawal-notices/", "notice_id"): "notice_a.pk",
}


def _real_parameter(world, path: str, name: str):
    for (prefix, parameter), value in REAL_PARAMETERS.items():
        if parameter == name and path.startswith(prefix):
            return str(world.get(value)) if isinstance(value, str) else value
    raise AssertionError(f"no real object for {{{name}}} in {path}: add it to REAL_PARAMETERS")


def test_every_operation_documents_its_errors_in_the_one_error_format():
    document = _schema_dict()
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation["responses"].get("400", {}).get("content", {}).get("application/json", {}).get("schema")
        != {"$ref": "#/components/schemas/Error"}
        or ("{" in path and "404" not in operation["responses"])
    ]
    assert not undocumented, f"error responses not documented: {undocumented}"
    token = document["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"400", "403", "429"} <= set(token)
