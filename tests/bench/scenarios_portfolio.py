"""The portfolio page and the use-case list API at scale."""

from __future__ import annotations

from tests.bench.harness import get_scenario

get_scenario("GET /portfolio/", "/portfolio/")
get_scenario("GET /portfolio/?page=2", "/portfolio/?page=2")
get_scenario("GET /portfolio/?stage=pilot&q=claims", "/portfolio/?stage=pilot&q=claims")
get_scenario("GET /portfolio/ (htmx fragment)", "/portfolio/?page=2", HX_Request="true")
get_scenario("GET /portfolio/ (sponsor)", "/portfolio/", user="sponsor")
# The head of a business unit sees their whole unit: 1,250 use cases at
# 10,000, 12,500 at 100,000, counted per stage on every page.
get_scenario("GET /portfolio/ (head of a business unit)", "/portfolio/", user="bu_head")
get_scenario("GET /api/v1/use-cases/", "/api/v1/use-cases/")
# My work of the head of a business unit: 1,250 use cases of their unit at
# 10,000, 12,500 at 100,000; the page lists the 25 most recently updated.
get_scenario(
    "GET /my-work/ (head of a business unit)",
    "/my-work/",
    user="bu_head",
    max_queries=16,
    p95_ms=250,
)
# My work of the program lead who chairs the reviews of the data set: 9,800
# submitted reviews await their decision at 10,000 use cases (11,800 at
# 100,000) and 200 open ones are prepared (1,800): each queue shows its 25
# oldest and counts the rest.
get_scenario(
    "GET /my-work/ (program lead: 9,800 reviews awaiting decision)",
    "/my-work/",
    max_queries=22,
    p95_ms=300,
)
get_scenario(
    "GET /my-work/decisions/?page=100 (the same queue, page 100)",
    "/my-work/decisions/?page=100",
    max_queries=10,
    p95_ms=150,
)
