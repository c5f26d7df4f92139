"""The OpenAPI schema types every value operation: a request body from a
serializer for each write, a typed 2xx response, and no free-form object
anywhere in them (the budget grid is a list of stages, not a map)."""

from __future__ import annotations

import re
from typing import Any

from value import api_urls

WRITE_METHODS = {"post", "put", "patch"}
METHODS = {"get", *WRITE_METHODS, "delete"}


def schema_path(route: str) -> str:
    # drf-spectacular names a ``pk`` path parameter ``id``.
    return "/api/v1/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else "{" + m[1] + "}", route
    )


VALUE_PATHS = [schema_path(str(pattern.pattern)) for pattern in api_urls.urlpatterns]


def free_form(schema: dict[str, Any], node: Any, where: str, seen: set[str]) -> list[str]:
    """Where, under ``node``, a schema is an object without properties (or no
    schema at all), following $refs into the components."""
    if not isinstance(node, dict):
        return [f"{where}: not a schema"]
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        if name in seen:
            return []
        seen.add(name)
        return free_form(schema, schema["components"]["schemas"][name], name, seen)
    problems = []
    if not node or (node.get("type") == "object" and not node.get("properties")):
        problems.append(f"{where}: {node}")
    for key in ("allOf", "oneOf", "anyOf"):
        for i, part in enumerate(node.get(key, [])):
            problems += free_form(schema, part, f"{where}.{key}[{i}]", seen)
    for name, prop in node.get("properties", {}).items():
        problems += free_form(schema, prop, f"{where}.{name}", seen)
    if "items" in node:
        problems += free_form(schema, node["items"], f"{where}[]", seen)
    if isinstance(node.get("additionalProperties"), dict):
        problems.append(f"{where}: additionalProperties {node['additionalProperties']}")
    return problems


def typed(schema: dict[str, Any], body: dict[str, Any], where: str) -> list[str]:
    content = body.get("content") or {}
    if not content:
        return [f"{where}: no content"]
    problems = []
    for media_type, entry in content.items():
        node = entry.get("schema") or {}
        if "$ref" not in node and "type" not in node:
            problems.append(f"{where} {media_type}: neither $ref'd nor typed: {node}")
        problems += free_form(schema, node, f"{where} {media_type}", set())
    return problems


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path in VALUE_PATHS
        for method, operation in schema["paths"][path].items()
        if method in METHODS
    ]


def test_every_value_route_is_in_the_schema(schema):
    assert VALUE_PATHS
    missing = [
        path for path in VALUE_PATHS if not METHODS.intersection(schema["paths"].get(path, {}))
    ]
    assert missing == []


def test_every_write_has_a_typed_request_body(schema):
    problems = []
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        if method in WRITE_METHODS:
            problems += typed(schema, operation.get("requestBody") or {}, where)
        elif "requestBody" in operation:
            problems.append(f"{where}: a body on a {method.upper()}")
    assert problems == []


def test_every_operation_answers_success_with_a_typed_body(schema):
    problems = []
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        if not success:
            problems.append(f"{where}: no 2xx response")
        for code, response in success.items():
            if code == "204":
                if response.get("content"):
                    problems.append(f"{where} 204: has content")
            else:
                problems += typed(schema, response, f"{where} {code}")
    assert problems == []


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
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        needed = {"404"} if "{" in path else set()
        if method in WRITE_METHODS:
            needed |= {"400", "403", "409"}
        if method == "delete":
            needed |= {"403", "409"}
        if needed - codes:
            problems.append(f"{method.upper()} {path}: {sorted(needed - codes)}")
    assert problems == []
