"""The gate review page and endpoint for a large review: 40 criteria, 60
artifact versions and 8 named approvers, read by the chair (who sees every
form) and by an approver after submission."""

from __future__ import annotations

import io
from typing import Any

from tests.bench.harness import BenchContext, Request, scenario

TITLE = "Bench: large Gate 1 review"
CRITERIA = 40
ARTIFACTS = 60
APPROVERS = 8


def _bench_review(ctx: BenchContext) -> Any:
    """The large review, created once and kept between runs (the benchmark
    database is not flushed), through the services where it matters."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from gates import services
    from gates.models import Artifact, GateReview, ReviewApprover, ReviewCriterion
    from usecases.models import MemberRole, UseCase, UseCaseMember

    lead = ctx.dataset.lead
    existing = GateReview.objects.filter(use_case__title=TITLE).first()
    if existing is not None:
        return existing

    users = get_user_model()
    with transaction.atomic():
        use_case = UseCase.objects.create(
            title=TITLE,
            summary="A use case with a large gate review, for the benchmark.",
            business_unit=ctx.dataset.business_units[0],
            created_by=lead,
        )
        people = [
            users.objects.get_or_create(
                username=f"bench-approver-{i}",
                defaults={
                    "first_name": "Approver",
                    "last_name": str(i),
                    "password": make_password("bench"),
                },
            )[0]
            for i in range(APPROVERS - 1)
        ]
        UseCaseMember.objects.create(use_case=use_case, user=people[0], role=MemberRole.SPONSOR)
        for person in people[1:]:
            UseCaseMember.objects.create(
                use_case=use_case, user=person, role=MemberRole.CONTRIBUTOR
            )
        review = services.review_open(use_case=use_case, by=lead)
        # Gate 1 names the lead and the sponsor; the others approve as extra
        # named sponsors, so the page shows 8 approvers.
        ReviewApprover.objects.bulk_create(
            ReviewApprover(review=review, user=person, roles=["sponsor"]) for person in people[1:]
        )
        start = review.criteria.count()
        ReviewCriterion.objects.bulk_create(
            ReviewCriterion(
                review=review,
                order=start + i,
                name=f"Additional criterion {i + 1}",
                requirement="Evidence that the requirement holds, with figures.",
                must_meet=i % 2 == 0,
            )
            for i in range(CRITERIA - start)
        )
    types = [r.artifact_type for r in review.artifact_requirements.select_related("artifact_type")]
    for i in range(ARTIFACTS):
        stream = io.BytesIO(f"# Evidence {i}\n\nFigures and findings.\n".encode())
        services.artifact_upload(
            use_case=use_case,
            by=lead,
            artifact_type=types[i % len(types)],
            file=stream,
            file_name=f"evidence-{i}.md",
        )
    linked = list(Artifact.objects.filter(use_case=use_case).order_by("id")[:3])
    for criterion in review.criteria.all():
        services.criterion_assess(
            review=review,
            criterion=criterion,
            by=lead,
            status="met",
            evidence="Checked against the data.",
            artifacts=linked,
        )
    return review


@scenario("GET /reviews/<id>/ (40 criteria, 60 artifacts, 8 approvers)", max_queries=23, p95_ms=80)
def review_page(ctx: BenchContext) -> Request:
    review = _bench_review(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get(f"/reviews/{review.pk}/")


@scenario("GET /api/v1/reviews/<id>/ (40 criteria, 60 artifacts)", max_queries=16, p95_ms=80)
def review_endpoint(ctx: BenchContext) -> Request:
    review = _bench_review(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get(f"/api/v1/reviews/{review.pk}/")


@scenario("GET /use-cases/<id>/artifacts/ (60 artifacts)", max_queries=8, p95_ms=80)
def artifacts_page(ctx: BenchContext) -> Request:
    review = _bench_review(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get(f"/use-cases/{review.use_case_id}/artifacts/")


def bench_review_page(ctx: BenchContext) -> Request:
    """The review page scenario by its own name, for a direct call."""
    return review_page(ctx)


@scenario(
    "GET /use-cases/<id>/ (its open review: 40 criteria, 60 artifacts)", max_queries=40, p95_ms=150
)
def use_case_page(ctx: BenchContext) -> Request:
    review = _bench_review(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get(f"/use-cases/{review.use_case_id}/")


@scenario(
    "GET /use-cases/<id>/readiness/ (15 checklist owners to name, its open review)",
    max_queries=32,
    p95_ms=150,
)
def readiness_page(ctx: BenchContext) -> Request:
    # Each checklist item names its owner through a search (usecases.people):
    # with a select of every active person in each, the page took 680 ms at
    # 10,000 use cases (616 people) and 6.4 s at 100,000 (6,016).
    review = _bench_review(ctx)
    client = ctx.client_for(ctx.dataset.lead)
    return lambda: client.get(f"/use-cases/{review.use_case_id}/readiness/")
