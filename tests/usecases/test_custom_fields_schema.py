"""The OpenAPI schema types the custom field operations and the use case's
``custom_fields``: a request body from a serializer for each write, a typed
2xx response, and no free-form object anywhere in them."""

from __future__ import annotations

from tests.schema_typing import missing_paths, untyped_requests, untyped_responses

PATHS = [
    "/api/v1/custom-fields/",
    "/api/v1/custom-fields/{id}/",
    "/api/v1/use-cases/",
    "/api/v1/use-cases/{id}/",
]


def test_the_custom_field_routes_are_in_the_schema(schema):
    assert missing_paths(schema, PATHS) == []


def test_every_write_has_a_typed_request_body(schema):
    assert untyped_requests(schema, PATHS) == []


def test_every_operation_answers_success_with_a_typed_body(schema):
    assert untyped_responses(schema, PATHS) == []


def test_a_use_case_types_its_custom_fields(schema):
    components = schema["components"]["schemas"]
    assert components["CustomFieldKindEnum"]["enum"] == [
        "text",
        "number",
        "date",
        "choice",
        "multi_choice",
        "person",
    ]
    read = components["UseCase"]["properties"]["custom_fields"]
    assert read["items"] == {"$ref": "#/components/schemas/CustomValue"}
    value = components["CustomValue"]["properties"]["value"]
    assert [branch["type"] for branch in value["oneOf"]] == ["string", "number", "array"]
    assert value["nullable"] is True
    write = components["PatchedUseCaseWriteRequest"]["properties"]["custom_fields"]
    assert write["items"] == {"$ref": "#/components/schemas/CustomValueInputRequest"}
