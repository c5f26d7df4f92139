"""Naming the operating owner: program leads only, while in operation."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from operations import services
from usecases.models import Status, UseCase

pytestmark = pytest.mark.django_db


def test_a_lead_names_a_new_owner_with_a_reason(operating, lead, techlead, sponsor):
    services.operating_owner_set(use_case=operating, by=lead, owner=techlead, reason="Handover")
    operating.refresh_from_db()
    assert operating.operating_owner == techlead
    event = AuditEvent.objects.get(action="operation.owner_changed", use_case=operating)
    assert event.payload == {"before": "sponsor", "after": "techlead", "reason": "Handover"}


@pytest.mark.parametrize("who", ["sponsor", "techlead", "outsider", "executive"])
def test_nobody_else_names_the_owner(operating, request, who, techlead):
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionRefused):
        services.operating_owner_set(use_case=operating, by=person, owner=techlead, reason="x")
    operating.refresh_from_db()
    assert operating.operating_owner.username == "sponsor"


def test_it_refuses_bad_input(operating, lead, techlead):
    with pytest.raises(InvalidInput) as bad:
        services.operating_owner_set(use_case=operating, by=lead, owner=techlead, reason=" ")
    assert bad.value.field == "reason"
    techlead.is_active = False
    techlead.save(update_fields=["is_active"])
    with pytest.raises(InvalidInput) as bad:
        services.operating_owner_set(use_case=operating, by=lead, owner=techlead, reason="r")
    assert bad.value.field == "owner"
    assert not AuditEvent.objects.filter(action="operation.owner_changed").exists()


def test_it_refuses_outside_operation(use_case, lead, techlead):
    with pytest.raises(TransitionRefused) as refused:
        services.operating_owner_set(use_case=use_case, by=lead, owner=techlead, reason="r")
    assert "not in operation" in refused.value.message


def test_a_retired_use_case_is_read_only(operating, lead, techlead):
    UseCase.objects.filter(pk=operating.pk).update(status=Status.RETIRED)
    with pytest.raises(TransitionRefused):
        services.operating_owner_set(use_case=operating, by=lead, owner=techlead, reason="r")
