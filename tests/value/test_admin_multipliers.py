"""The cost multipliers are edited in the admin through audited services."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import InvalidInput, PermissionRefused
from core.models import AuditEvent
from tests.factories import UserFactory
from value import services
from value.models import CostMultiplier


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_admin_changes_a_multiplier_through_the_service(admin_client, superuser):
    row = CostMultiplier.objects.get(category="development")
    response = admin_client.post(
        f"/admin/value/costmultiplier/{row.pk}/change/",
        {"category": "development", "low": "4", "high": "7"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.low, row.high) == (D("4.00"), D("7.00"))
    event = AuditEvent.objects.get(action="framework.cost_multiplier_changed")
    assert event.actor == superuser
    assert event.payload == {
        "before": {"low": "3.00", "high": "5.00"},
        "after": {"low": "4.00", "high": "7.00"},
    }


def test_the_admin_deletes_and_adds_a_multiplier_audited(admin_client):
    row = CostMultiplier.objects.get(category="infrastructure")
    response = admin_client.post(f"/admin/value/costmultiplier/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="framework.cost_multiplier_deleted").count() == 1
    response = admin_client.post(
        "/admin/value/costmultiplier/add/", {"category": "infrastructure", "low": "2", "high": "4"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="framework.cost_multiplier_created").count() == 1


def test_a_multiplier_needs_the_admins_permission_and_a_sane_range(db, lead, superuser):
    row = CostMultiplier.objects.get(category="development")
    row.low = D(9)
    with pytest.raises(PermissionRefused):
        services.cost_multiplier_change(by=lead, multiplier=row, fields=["low"])
    with pytest.raises(InvalidInput) as refused:
        services.cost_multiplier_change(by=superuser, multiplier=row, fields=["low"])
    assert refused.value.field == "high"
    with pytest.raises(InvalidInput) as refused:
        services.cost_multiplier_create(
            by=superuser,
            multiplier=CostMultiplier(category="operations_annual", low=D(1), high=D(2)),
        )
    assert refused.value.field == "category"
    assert not AuditEvent.objects.filter(action__startswith="framework.cost_multiplier").exists()


def test_cost_lines_and_benefits_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/value/costline/add/").status_code == 403
    assert admin_client.get("/admin/value/benefit/add/").status_code == 403
