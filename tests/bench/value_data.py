"""Money for the scale data set, so the dashboard's value panel reads what a
real portfolio holds: cost lines for every use case past Discovery (and half
of those in it), benefits for most of them, realised benefits for those in
Production and Scale, and a decided Kill review, with an exit reason for
four in five, for every killed use case.

Bulk-created once and kept, like the rest of the data set: acceptable ONLY
for this benchmark. Real cost lines, benefits and kills go through services."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from tests.bench.dataset import review_row

SEED = 14
BATCH = 2_000


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high) * 100)


def ensure_value_data(ctx: Any) -> None:
    from django.db import transaction

    from gates.models import Decision, ExitReason, GateReview, GateTemplate
    from usecases.models import Stage, Status, UseCase
    from value.models import Benefit, BenefitRealisation, CostLine

    bench = {"use_case__business_unit__code__startswith": "bench-"}
    if CostLine.objects.filter(**bench).count() > 1000:
        return
    print("bench: adding costs, benefits and kills to the portfolio (once)", flush=True)
    rng = random.Random(SEED)
    lead = ctx.dataset.lead
    order = Stage.ordered()
    templates = {t.from_stage: t for t in GateTemplate.objects.all()}
    reasons = list(ExitReason.objects.filter(applies_to__in=["kill", "both"]))
    use_cases = list(
        UseCase.objects.filter(business_unit__code__startswith="bench-").values_list(
            "pk", "stage", "status", "created_at", "stage_entered_at"
        )
    )
    lines, benefits, kills = [], [], []
    for pk, stage, status, created, entered in use_cases:
        reached = order.index(Stage(stage))
        if reached == 0 and rng.random() < 0.5:
            continue

        def cost(
            at: Stage, category: str, planned: Decimal | None, actual: Decimal | None, pk=pk
        ) -> None:
            lines.append(
                CostLine(
                    use_case_id=pk,
                    stage=at,
                    category=category,
                    planned=planned,
                    actual=actual,
                    updated_by=lead,
                )
            )

        cost(Stage.DISCOVERY, "development", _amount(rng, 50, 300), _amount(rng, 40, 350))
        for index, at in enumerate(order[1:4], start=1):
            for category in ("development", "infrastructure", "data_preparation"):
                planned = _amount(rng, 100 * index, 900 * index)
                # Spent in the stages passed and the one in progress.
                actual = _amount(rng, 80 * index, 1100 * index) if index <= reached else None
                cost(at, category, planned, actual)
        cost(Stage.PRODUCTION, "training_change", _amount(rng, 100, 800), None)
        cost(Stage.PRODUCTION, "operations_annual", _amount(rng, 200, 2000), None)
        if reached and rng.random() < 0.8:
            benefits.append(
                Benefit(
                    use_case_id=pk,
                    name="Hours saved",
                    annual_amount=_amount(rng, 500, 8000),
                    created_by=lead,
                )
            )
        if status == Status.KILLED and stage in templates:
            template = templates[stage]
            kills.append(
                review_row(
                    template,
                    use_case_id=pk,
                    status="decided",
                    decision=Decision.KILL,
                    decided_at=max(entered, created) + datetime.timedelta(days=rng.randint(5, 90)),
                    decided_by=lead,
                    chair=lead,
                    exit_reason=rng.choice(reasons) if rng.random() < 0.8 else None,
                )
            )
    with transaction.atomic():
        CostLine.objects.bulk_create(lines, batch_size=BATCH)
        created = Benefit.objects.bulk_create(benefits, batch_size=BATCH)
        stages = dict(
            UseCase.objects.filter(pk__in=[b.use_case_id for b in created]).values_list(
                "pk", "stage"
            )
        )
        realisations = [
            BenefitRealisation(
                benefit=benefit,
                period_end=datetime.date(2026, month, 28),
                amount=benefit.annual_amount / 12,
                recorded_by=lead,
            )
            for benefit in created
            if stages[benefit.use_case_id] in (Stage.PRODUCTION, Stage.SCALE)
            for month in range(1, 1 + rng.randint(1, 9))
        ]
        BenefitRealisation.objects.bulk_create(realisations, batch_size=BATCH)
        GateReview.objects.bulk_create(kills, batch_size=BATCH)
    print(
        f"bench: {len(lines):,} cost lines, {len(created):,} benefits, "
        f"{len(realisations):,} realisations, {len(kills):,} kills",
        flush=True,
    )
