"""The API keeps to its own OpenAPI document: schemathesis generates requests from it.

Run against the WSGI application in the test's database, with a working token
and without one. Every answer must be documented (its status, its body's
schema, its headers) and none may be a server error. Examples are bounded so
this stays a matter of seconds in CI.
"""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_clients.dates import today
from api_clients.services import create_api_client

OPENAPI_URL = "/api/v1/openapi.json"
EXAMPLES = 60
# What the document promises: no server error, and every status, content type,
# header and body as documented. (Not schemathesis's opinions beyond it, such
# as refusing unknown query parameters, which the API ignores on purpose.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the request signals must not close the
    # test's database connection (and with it the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(OPENAPI_URL, get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(api_user, settings):
    # Generous limits: the rate limit is not what is under test here (its 429
    # is documented and checked elsewhere).
    settings.API_CLIENTS = {
        **getattr(settings, "API_CLIENTS", {}),
        "CLIENT_RATE_LIMIT": "100000/min",
        "ADDRESS_RATE_LIMIT": "100000/min",
    }
    _, token = create_api_client(
        owner=api_user, name="Contract", expiry_date=today() + datetime.timedelta(days=30)
    )
    return {"Authorization": f"Bearer {token}"}


OPERATIONS = [
    ("/api/v1/info", "GET"),
    ("/api/v1/providers", "GET"),
    ("/api/v1/providers/{provider_id}", "GET"),
]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def run_examples(operation, mode, call):
    """Drive hypothesis over the operation's generated requests (valid or invalid ones)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case):
        call(case)

    examples()


def test_the_document_lists_every_operation(api_schema):
    found = {
        (result.ok().path, result.ok().method.upper()) for result in api_schema.get_all_operations()
    }
    assert set(OPERATIONS) <= found


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_with_a_working_token(api_schema, bearer, path, method, mode):
    operation = api_schema[path][method]
    statuses = set()

    def call(case):
        # Whatever header was generated (or left out), the working token goes.
        case.headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "authorization"
        }
        case.headers.update(bearer)
        response = case.call_and_validate(checks=CHECKS)
        statuses.add(response.status_code)

    run_examples(operation, mode, call)
    # The token worked: valid requests were answered, invalid ones (where there
    # are parameters to get wrong) refused as documented.
    if mode is GenerationMode.POSITIVE:
        assert statuses & {200, 404}
    elif operation.query or operation.path_parameters:
        assert 422 in statuses


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_without_a_token(api_schema, settings, path, method, mode):
    settings.API_CLIENTS = {
        **getattr(settings, "API_CLIENTS", {}),
        "ADDRESS_RATE_LIMIT": "100000/min",
    }
    operation = api_schema[path][method]

    def call(case):
        case.headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "authorization"
        }
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 401, response.text

    run_examples(operation, mode, call)


def test_rate_limited_answers_keep_to_the_document(api_schema, settings):
    """Past the address limit: a documented 429, with Retry-After."""
    settings.API_CLIENTS = {**getattr(settings, "API_CLIENTS", {}), "ADDRESS_RATE_LIMIT": "1/min"}
    operation = api_schema["/api/v1/info"]["GET"]
    statuses = []
    for _ in range(3):
        case = operation.Case()
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)
        headers = {name.lower(): value for name, value in response.headers.items()}
        if response.status_code == 429:
            assert int(headers["retry-after"][0]) >= 1
    assert statuses[-1] == 429


class TestTheDocument:
    @pytest.fixture
    def document(self, client):
        return client.get(OPENAPI_URL).json()

    def test_no_internal_schemas(self, document):
        schemas = set(document["components"]["schemas"])
        assert not schemas & {"Input", "ProviderFilter"}
        assert {"ProviderOut", "ErrorOut", "ValidationErrorOut"} <= schemas

    def test_enums_for_the_providers_coded_fields(self, document):
        schemas = document["components"]["schemas"]
        assert schemas["ProviderType"]["enum"] == ["hei", "school", "other"]
        assert schemas["AccreditationStatus"]["enum"] == ["accredited", "unaccredited"]

    def test_summaries_are_written_for_people(self, document):
        summaries = {
            path: operation["summary"]
            for path, operations in document["paths"].items()
            for operation in operations.values()
        }
        assert summaries["/api/v1/providers"] == "List training providers"
        assert summaries["/api/v1/providers/{provider_id}"] == "Get one training provider"
        assert summaries["/api/v1/info"] == "About the API and the calling client"

    def test_refusals_document_their_headers_and_bodies(self, document):
        for path, method in OPERATIONS:
            for operation in [document["paths"][path][method.lower()]]:
                responses = operation["responses"]
                assert "WWW-Authenticate" in responses["401"]["headers"], path
                assert "Retry-After" in responses["429"]["headers"], path
                for status in ("401", "429"):
                    body = responses[status]["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorOut"}, path

    def test_every_body_schema_has_an_example(self, document):
        schemas = document["components"]["schemas"]
        for name in ("ProviderOut", "ErrorOut", "ValidationErrorOut", "InfoOut"):
            assert schemas[name]["examples"], name


def test_the_secret_scanning_endpoint_keeps_to_the_document(api_schema):
    """Reports without GitHub's signature: refused, always as documented.

    (Its body is any JSON, so there is nothing invalid to generate for it.)
    """
    operation = api_schema["/api/v1/secret-scanning/github"]["POST"]
    statuses = set()

    def call(case):
        response = case.call_and_validate(checks=CHECKS)
        statuses.add(response.status_code)

    run_examples(operation, GenerationMode.POSITIVE, call)
    assert statuses and max(statuses) < 500
