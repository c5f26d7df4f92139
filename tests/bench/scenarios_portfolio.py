"""The portfolio page and the use-case list API at scale."""

from __future__ import annotations

from tests.bench.dataset import review_row
from tests.bench.harness import BenchContext, Request, get_scenario, scenario

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
# My work of the program lead who chairs the reviews of the data set: some
# 10,000 submitted reviews await their decision at 10,000 use cases (11,780 at
# 100,000) and at least 200 are in preparation (1,775 at 100,000): each queue
# shows its 25 oldest and counts the rest, one query each.
PREPARING = 200


def _ensure_preparing(ctx: BenchContext) -> None:
    """Give the lead ``PREPARING`` open reviews, on use cases of their own.

    The gate history (``scenarios_reporting._portfolio_history``) opens a
    review on one active use case in twenty that has none; on a 10,000 data
    set the sweep's 10,000 submitted reviews can take every use case first,
    and left the lead 2, a queue My work shows whole without counting it."""
    from datetime import timedelta

    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from gates.models import GateReview, GateTemplate, ReviewStatus
    from usecases.models import Stage, Status, UseCase

    lead = ctx.dataset.lead
    missing = PREPARING - GateReview.objects.filter(chair=lead, status=ReviewStatus.OPEN).count()
    if missing <= 0:
        return
    template = GateTemplate.objects.get(from_stage=Stage.DISCOVERY)
    unit = ctx.dataset.business_units[0]
    title = "Bench: in preparation"
    made = UseCase.objects.filter(title__startswith=title).count()
    now = timezone.now()
    with transaction.atomic():
        use_cases = UseCase.objects.bulk_create(
            [
                UseCase(
                    title=f"{title} #{n + 1}",
                    summary="A gate review in preparation, for the lead's My work.",
                    business_problem="Manual work takes days and errors are costly.",
                    value_hypothesis="Automating the routine part frees experts for hard cases.",
                    business_unit=unit,
                    # Benchmark data only: real stage changes go through gate decisions.
                    stage=Stage.DISCOVERY,
                    status=Status.ACTIVE,
                    stage_entered_at=now - timedelta(days=300 + n % 90),
                    last_activity_at=now - timedelta(days=300 + n % 30),
                )
                for n in range(made, made + missing)
            ]
        )
        # Older than the data set's own, so they do not crowd the pages
        # sorted by the latest update (the portfolio, the API) at 10,000
        # only; ``update`` leaves ``updated_at`` as given.
        UseCase.objects.filter(pk__in=[u.pk for u in use_cases]).update(
            updated_at=F("stage_entered_at")
        )
        GateReview.objects.bulk_create(
            [
                review_row(
                    template,
                    use_case=use_case,
                    status=ReviewStatus.OPEN,
                    chair=lead,
                )
                for use_case in use_cases
            ]
        )


@scenario(
    "GET /my-work/ (program lead: 10,000 and more reviews awaiting decision)",
    max_queries=22,
    p95_ms=300,
)
def lead_my_work(ctx: BenchContext) -> Request:
    _ensure_preparing(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get("/my-work/")


get_scenario(
    "GET /my-work/decisions/?page=100 (the same queue, page 100)",
    "/my-work/decisions/?page=100",
    max_queries=10,
    p95_ms=150,
)
