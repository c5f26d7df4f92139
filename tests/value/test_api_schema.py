"""The OpenAPI schema types every value operation (money and rollout): a
request body from a serializer for each write, a typed 2xx response, and no
free-form object anywhere in them (the budget grid is a list of stages, not a
map)."""

from __future__ import annotations

from tests.schema_typing import (
    WRITE_METHODS,
    missing_paths,
    operations,
    paths_of,
    untyped_requests,
    untyped_responses,
)
from value import api_urls, api_urls_rollout

VALUE_PATHS = paths_of(api_urls.urlpatterns) + paths_of(api_urls_rollout.urlpatterns)


def test_every_value_route_is_in_the_schema(schema):
    assert VALUE_PATHS
    assert missing_paths(schema, VALUE_PATHS) == []


def test_every_write_has_a_typed_request_body(schema):
    assert untyped_requests(schema, VALUE_PATHS) == []


def test_every_operation_answers_success_with_a_typed_body(schema):
    assert untyped_responses(schema, VALUE_PATHS) == []


def test_the_value_enums_keep_their_names(schema):
    components = schema["components"]["schemas"]
    assert components["CostCategoryEnum"]["enum"] == [
        "infrastructure",
        "development",
        "data_preparation",
        "training_change",
        "operations_annual",
    ]
    cell = components["CostCellInputRequest"]["properties"]
    assert cell["stage"] == {"$ref": "#/components/schemas/StageEnum"}
    assert cell["category"] == {"$ref": "#/components/schemas/CostCategoryEnum"}


def test_every_value_operation_documents_its_errors(schema):
    problems = []
    for path, method, operation in operations(schema, VALUE_PATHS):
        codes = set(operation["responses"])
        needed = {"404"} if "{" in path else set()
        if method in WRITE_METHODS:
            needed |= {"400", "403", "409"}
        if method == "delete":
            needed |= {"403", "409"}
        if needed - codes:
            problems.append(f"{method.upper()} {path}: {sorted(needed - codes)}")
    assert problems == []
