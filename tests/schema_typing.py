"""Checks that an app's API operations are typed in the OpenAPI schema: a
request body from a serializer for each write, a typed 2xx response, and no
free-form object anywhere in them. Each app's schema test names its routes."""

from __future__ import annotations

import re
from typing import Any

WRITE_METHODS = {"post", "put", "patch"}
METHODS = {"get", *WRITE_METHODS, "delete"}


def schema_path(route: str) -> str:
    # drf-spectacular names a ``pk`` path parameter ``id``.
    return "/api/v1/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else "{" + m[1] + "}", route
    )


def paths_of(urlpatterns) -> list[str]:
    return [schema_path(str(pattern.pattern)) for pattern in urlpatterns]


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


def operations(schema: dict[str, Any], paths: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path in paths
        for method, operation in schema["paths"][path].items()
        if method in METHODS
    ]


def missing_paths(schema: dict[str, Any], paths: list[str]) -> list[str]:
    return [path for path in paths if not METHODS.intersection(schema["paths"].get(path, {}))]


def untyped_requests(schema: dict[str, Any], paths: list[str]) -> list[str]:
    problems = []
    for path, method, operation in operations(schema, paths):
        where = f"{method.upper()} {path}"
        if method in WRITE_METHODS:
            problems += typed(schema, operation.get("requestBody") or {}, where)
        elif "requestBody" in operation:
            problems.append(f"{where}: a body on a {method.upper()}")
    return problems


def untyped_responses(schema: dict[str, Any], paths: list[str]) -> list[str]:
    problems = []
    for path, method, operation in operations(schema, paths):
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
    return problems
