"""The OpenAPI schema types every readiness operation: a request body from a
serializer for each write, a typed 2xx response, and no free-form object
anywhere in them."""

from __future__ import annotations

from readiness import api_urls
from tests.schema_typing import missing_paths, paths_of, untyped_requests, untyped_responses

READINESS_PATHS = paths_of(api_urls.urlpatterns)


def test_every_readiness_route_is_in_the_schema(schema):
    assert READINESS_PATHS
    assert missing_paths(schema, READINESS_PATHS) == []


def test_every_write_has_a_typed_request_body(schema):
    assert untyped_requests(schema, READINESS_PATHS) == []


def test_every_operation_answers_success_with_a_typed_body(schema):
    assert untyped_responses(schema, READINESS_PATHS) == []


def test_the_readiness_enums_keep_their_names(schema):
    components = schema["components"]["schemas"]
    names = {
        "KpiKindEnum": ["leading", "lagging"],
        "KpiDirectionEnum": ["higher", "lower"],
        "KpiOperatorEnum": [">=", "<="],
        "ScorecardBandEnum": ["recommended", "conditional", "more_poc"],
        "ChecklistStatusEnum": ["open", "done", "not_applicable"],
        "ChecklistGroupEnum": ["technical", "operations", "organisational"],
        "PriorityDimensionEnum": [
            "business_impact",
            "data_readiness",
            "technical_feasibility",
            "organisational_readiness",
        ],
    }
    assert {name: components[name]["enum"] for name in names} == names
    kpi = components["Kpi"]["properties"]
    assert kpi["kind"] == {"$ref": "#/components/schemas/KpiKindEnum"}
    # Other apps' fields named like readiness ones keep their enum's name.
    assert "approval_requested" in components["KindEnum"]["enum"]
