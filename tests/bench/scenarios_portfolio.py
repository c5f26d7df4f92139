"""The portfolio page and the use-case list API at scale."""

from __future__ import annotations

from tests.bench.harness import get_scenario

get_scenario("GET /portfolio/", "/portfolio/")
get_scenario("GET /portfolio/?page=2", "/portfolio/?page=2")
get_scenario("GET /portfolio/?stage=pilot&q=claims", "/portfolio/?stage=pilot&q=claims")
get_scenario("GET /portfolio/ (htmx fragment)", "/portfolio/?page=2", HX_Request="true")
get_scenario("GET /portfolio/ (sponsor)", "/portfolio/", user="sponsor")
get_scenario("GET /api/v1/use-cases/", "/api/v1/use-cases/")
