from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.factories import UseCaseFactory
from usecases.models import MemberRole, Stage, Status, UseCase, UseCaseMember


def test_it_orders_the_stages_and_knows_the_next_one():
    assert [s.value for s in Stage.ordered()] == [
        "discovery",
        "poc",
        "pilot",
        "production",
        "scale",
    ]
    assert Stage.POC.number == 2
    assert Stage.PILOT.next == Stage.PRODUCTION
    assert Stage.SCALE.next is None


def test_it_starts_a_use_case_in_discovery_and_active(use_case):
    assert use_case.stage == Stage.DISCOVERY
    assert use_case.status == Status.ACTIVE
    assert not use_case.is_killed
    assert use_case.get_absolute_url() == f"/use-cases/{use_case.pk}/"


def test_it_labels_regulatory_constraints(db):
    use_case = UseCaseFactory(regulatory_constraints=["gdpr", "eu_ai_act"])
    assert use_case.is_regulated
    assert use_case.regulatory_constraint_labels() == ["GDPR", "EU AI Act"]


def test_it_refuses_an_unknown_stage_in_the_database(use_case):
    with pytest.raises(IntegrityError), transaction.atomic():
        UseCase.objects.filter(pk=use_case.pk).update(stage="launched")


def test_it_refuses_the_same_role_twice_for_one_person(use_case, sponsor):
    with pytest.raises(IntegrityError), transaction.atomic():
        UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)


def test_it_keeps_stage_and_status_out_of_model_forms():
    editable = {f.name for f in UseCase._meta.get_fields() if getattr(f, "editable", False)}
    assert not editable & {"stage", "status", "stage_entered_at"}
