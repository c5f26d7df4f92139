"""Business units are edited in the admin through their services: every
change, addition and deletion writes an audit event."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.audit import audit_verify
from core.errors import PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.factories import BusinessUnitFactory, UserFactory
from usecases import services
from usecases.models import BusinessUnit


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def members_form(unit: BusinessUnit | None, *, add=(), delete=()) -> dict[str, str]:
    """The members inline of the business unit form: its rows as they are,
    ``delete`` ticked on some, ``add`` as new rows."""
    rows = list(unit.memberships.order_by("pk")) if unit else []
    data = {
        "memberships-TOTAL_FORMS": str(len(rows) + len(add)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data[f"memberships-{index}-id"] = str(row.pk)
        data[f"memberships-{index}-business_unit"] = str(unit.pk)
        if row.user in delete:
            data[f"memberships-{index}-DELETE"] = "on"
    for offset, user in enumerate(add):
        data[f"memberships-{len(rows) + offset}-user"] = str(user.pk)
    return data


def chain_intact() -> bool:
    checked, broken = audit_verify()
    return checked > 0 and broken is None


def test_it_audits_a_new_head(admin_client, superuser, business_unit, buhead, outsider):
    url = reverse("admin:usecases_businessunit_change", args=[business_unit.pk])

    response = admin_client.post(
        url,
        {
            "name": business_unit.name,
            "code": business_unit.code,
            "head": str(outsider.pk),
            **members_form(business_unit),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    business_unit.refresh_from_db()
    assert business_unit.head == outsider
    event = AuditEvent.objects.get(action="framework.business_unit_changed")
    assert event.actor == superuser
    assert (event.object_type, event.object_id) == ("usecases.businessunit", str(business_unit.pk))
    assert event.payload == {"before": {"head": buhead.pk}, "after": {"head": outsider.pk}}
    assert chain_intact()


def test_it_audits_an_added_business_unit(admin_client, superuser):
    response = admin_client.post(
        reverse("admin:usecases_businessunit_add"),
        {"name": "Underwriting", "code": "uw", **members_form(None)},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    unit = BusinessUnit.objects.get(code="uw")
    event = AuditEvent.objects.get(action="framework.business_unit_created")
    assert event.actor == superuser
    assert event.object_id == str(unit.pk)
    assert event.payload == {
        "before": {},
        "after": {"name": "Underwriting", "code": "uw", "head": None},
    }


def test_it_audits_each_unit_of_a_bulk_delete(admin_client, superuser, buhead):
    units = [
        BusinessUnitFactory(name="Underwriting", code="uw", head=buhead),
        BusinessUnitFactory(name="Procurement", code="proc", head=None),
    ]

    response = admin_client.post(
        reverse("admin:usecases_businessunit_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(unit.pk) for unit in units],
            "post": "yes",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not BusinessUnit.objects.filter(pk__in=[unit.pk for unit in units]).exists()
    events = {
        e.object_id: e for e in AuditEvent.objects.filter(action="framework.business_unit_deleted")
    }
    assert set(events) == {str(unit.pk) for unit in units}
    assert events[str(units[0].pk)].payload == {
        "before": {"name": "Underwriting", "code": "uw", "head": buhead.pk},
        "after": {},
    }
    assert all(e.actor == superuser for e in events.values())
    assert chain_intact()


def test_it_keeps_a_unit_with_use_cases(admin_client, superuser, use_case):
    unit = use_case.business_unit
    response = admin_client.post(
        reverse("admin:usecases_businessunit_changelist"),
        {"action": "delete_selected", "_selected_action": [str(unit.pk)], "post": "yes"},
    )
    assert BusinessUnit.objects.filter(pk=unit.pk).exists()
    assert response.status_code == 200  # the admin names the use cases in the way
    with pytest.raises(TransitionRefused):
        services.business_unit_delete(by=superuser, business_unit=unit)
    assert not AuditEvent.objects.filter(action__startswith="framework.").exists()


def test_it_refuses_someone_without_the_admin_permission(business_unit, outsider):
    business_unit.name = "Renamed"
    with pytest.raises(PermissionRefused):
        services.business_unit_change(by=outsider, business_unit=business_unit, fields=["name"])
    assert BusinessUnit.objects.get(pk=business_unit.pk).name == "Claims Operations"


def test_it_audits_who_joins_and_leaves_a_unit(
    admin_client, superuser, business_unit, sponsor, outsider
):
    url = reverse("admin:usecases_businessunit_change", args=[business_unit.pk])
    base = {"name": business_unit.name, "code": business_unit.code, "head": ""}
    base["head"] = str(business_unit.head_id)

    response = admin_client.post(
        url, {**base, **members_form(business_unit, add=[outsider], delete=[sponsor])}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(business_unit.memberships.values_list("user__username", flat=True)) == [
        outsider.username
    ]
    events = AuditEvent.objects.filter(action__startswith="framework.business_unit_member")
    assert sorted((e.action, e.payload["user"]) for e in events) == [
        ("framework.business_unit_member_added", outsider.username),
        ("framework.business_unit_member_removed", sponsor.username),
    ]
    assert all(e.actor == superuser for e in events)
    assert chain_intact()
