"""The OpenAPI document: every route in it as declared, valid OpenAPI 3, and true of the running server.

The last part fuzzes the live server (waitress on 127.0.0.1, the demo event) with Schemathesis: for every
operation a bounded number of generated requests, from a fixed seed; no answer may be a server error, and
every answer must be one the document lists, in the type and shape it gives.
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import FUZZ_SUMMARY, new_app
from tests.servers import Server, run_cli

DOCUMENT = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12
# Generated ids are folded into the range the demo data and the fuzzing itself create, so that requests
# reach real objects instead of answering 404 to nearly every one.
ID_RANGE = 25


def test_the_document_is_served_without_a_token_and_is_valid_openapi(anonymous):
    response = anonymous.get(DOCUMENT)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    validate(response.get_json())


def test_every_api_operation_is_in_the_document_as_its_route_declares_it(app, anonymous):
    document = anonymous.get(DOCUMENT).get_json()
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    routes = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("api.") and hasattr(view, "permission"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # "<path:lookup>" is "{lookup}"
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert listed == routes
    cart_create = document["paths"]["/api/v1/organizers/{organizer}/events/{event}/cartpositions/"]["post"]
    assert cart_create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CartPositionCreate"
    }
    assert cart_create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CartPositionCreated"
    }
    assert cart_create["security"] == [{"Token": []}]
    assert set(cart_create["responses"]) == {"201", "400", "401", "403", "404", "409", "413"}


# ---------------------------------------------------------------------------------------- fuzzing the live server


@pytest.fixture(scope="module")
def live(tmp_path_factory, request) -> Any:
    """A real server on the demo event, with an order in it (so fuzzed deletions cannot take the event)."""
    data_dir = tmp_path_factory.mktemp("fuzzed") / "data"
    token = run_cli(data_dir, "demo").strip().splitlines()[-1]
    server = Server(data_dir)
    stats = {"requests": 0, "operations": set()}
    yield server, token, stats
    server.stop()
    request.config.stash[FUZZ_SUMMARY] = (
        f"schemathesis: {len(stats['operations'])} operations, {stats['requests']} generated requests, "
        "no failed check (derandomized)"
    )


def _document() -> dict[str, Any]:
    """The document as the server serves it, made at collection time so every operation is a test."""
    with tempfile.TemporaryDirectory() as data_dir:
        return new_app(data_dir).test_client().get(DOCUMENT).get_json()


fuzzed = schemathesis.openapi.from_dict(_document())


def _aim(case: Any) -> None:
    """Point the case at the demo organizer and event, and at ids that exist."""
    parameters = case.path_parameters or {}
    if "organizer" in parameters:
        parameters["organizer"] = "demo"
    if "event" in parameters:
        parameters["event"] = "festival"
    for name, value in parameters.items():
        if isinstance(value, int) and not isinstance(value, bool):
            parameters[name] = abs(value) % ID_RANGE + 1


@pytest.mark.slow
@fuzzed.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_of_the_live_server_is_documented_and_none_is_a_server_error(case, live):
    server, token, stats = live
    _aim(case)

    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    stats["requests"] += 1
    stats["operations"].add(case.operation.label)
