"""Helpers shared by the portfolio tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import Decision, GateReview, GateTemplate, ReviewStatus, StageTransition
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory
from usecases.models import Stage, Status, UseCase


def kill(use_case: UseCase) -> None:
    # Tests only: the gate engine is the one writer of status in the product.
    UseCase.objects.filter(pk=use_case.pk).update(status=Status.KILLED)
    use_case.refresh_from_db()


def record_go(use_case: UseCase, *, gate: int, chair, when) -> StageTransition:
    """Leave a decided Go review and its stage transition behind, as the gate
    engine does, and move the use case on (tests only)."""
    template = GateTemplate.objects.get(number=gate)
    review = GateReview.objects.create(
        use_case=use_case,
        template=template,
        template_version=template.version,
        gate_number=gate,
        from_stage=template.from_stage,
        to_stage=template.to_stage,
        status=ReviewStatus.DECIDED,
        chair=chair,
        decision=Decision.GO,
        decided_at=when,
        decided_by=chair,
    )
    transition = StageTransition.objects.create(
        use_case=use_case,
        from_stage=template.from_stage,
        to_stage=template.to_stage,
        review=review,
        decision=Decision.GO,
        decided_by=chair,
        occurred_at=when,
    )
    UseCase.objects.filter(pk=use_case.pk).update(stage=template.to_stage, stage_entered_at=when)
    use_case.refresh_from_db()
    return transition


@pytest.fixture
def make_portfolio(db):
    """``make_portfolio(n)``: n use cases across stages and two business units,
    each with a sponsor, a technical lead and a contributor."""

    def make(count: int, *, member=None) -> list[UseCase]:
        units = [BusinessUnitFactory(code="retail"), BusinessUnitFactory(code="ops")]
        stages = Stage.ordered()
        created = []
        for index in range(count):
            use_case = UseCaseFactory(
                business_unit=units[index % 2],
                sponsor=member or UserFactory(),
                technical_lead=UserFactory(),
                contributors=[UserFactory()],
            )
            stage = stages[index % len(stages)]
            UseCase.objects.filter(pk=use_case.pk).update(
                stage=stage, stage_entered_at=timezone.now() - timedelta(days=index)
            )
            created.append(use_case)
        return created

    return make
