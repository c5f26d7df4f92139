"""Use cases at Gate 3 with different risk: an EU AI Act high-risk one and
a low-risk one, on the same team."""

from __future__ import annotations

import pytest

from tests.factories import UseCaseFactory
from usecases.models import Stage, UseCase


def at_pilot(use_case: UseCase) -> UseCase:
    # Test set-up only: products move the stage through gate decisions.
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.PILOT)
    use_case.refresh_from_db()
    return use_case


@pytest.fixture
def team(business_unit, sponsor, techlead):
    def make(**fields) -> UseCase:
        use_case = UseCaseFactory(
            business_unit=business_unit, sponsor=sponsor, technical_lead=techlead, **fields
        )
        return at_pilot(use_case)

    return make


@pytest.fixture
def eu_high(team, cio, risk):
    return team(risk_tier="high", regulatory_constraints=["eu_ai_act"])


@pytest.fixture
def low(team, cio):
    return team(risk_tier="low", regulatory_constraints=[])
