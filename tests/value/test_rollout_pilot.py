"""The pilot's scope: who sets it, its share of the target and the warning
outside the playbook's 5-15% (a warning, never a refusal)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from usecases.models import Status
from value.models import PilotScope
from value.selectors_rollout import rollout_of
from value.services import rollout

pytestmark = pytest.mark.django_db


def _set(use_case, by, pilot, target=1000, **extra):
    return rollout.pilot_scope_set(
        use_case=use_case, by=by, unit="users", pilot_units=pilot, target_units=target, **extra
    )


@pytest.mark.parametrize(
    ("pilot", "shown", "warned"),
    [(49, "4.9", "below"), (50, "5.0", None), (150, "15.0", None), (151, "15.1", "above")],
)
def test_it_warns_outside_five_to_fifteen_percent(use_case, sponsor, pilot, shown, warned):
    scope = _set(use_case, sponsor, pilot)

    assert scope.share_percent == Decimal(shown)
    warning = rollout_of(use_case).warning
    if warned is None:
        assert warning == ""
    else:
        assert warning.startswith(f"The pilot reaches {shown}% of the target: {warned}")


def test_it_judges_the_exact_share_not_the_rounded_one(use_case, sponsor):
    _set(use_case, sponsor, 1504, target=10000)  # 15.04%, shown 15.0%

    assert "15.0%" in rollout_of(use_case).warning


def test_it_records_the_scope_with_its_audit_row(use_case, techlead):
    scope = _set(use_case, techlead, 80, adoption_percent="62.5")

    scope.refresh_from_db()
    assert (scope.pilot_units, scope.target_units, scope.adoption_percent) == (
        80,
        1000,
        Decimal("62.50"),
    )
    event = AuditEvent.objects.filter(action="pilot_scope.set").get()
    assert event.actor == techlead
    assert event.summary == "Pilot scope: 80 of 1,000 users (8.0%), adoption 62.50%"
    assert event.payload["before"] is None


def test_setting_it_again_keeps_the_before_in_the_audit_trail(use_case, sponsor):
    _set(use_case, sponsor, 80)
    _set(use_case, sponsor, 90, adoption_percent="61")

    assert PilotScope.objects.get(use_case=use_case).pilot_units == 90
    last = AuditEvent.objects.filter(action="pilot_scope.set").order_by("-seq").first()
    assert last.payload["before"]["pilot_units"] == 80
    assert last.payload["after"]["adoption_percent"] == "61.00"


@pytest.mark.parametrize(
    ("pilot", "target", "adoption", "field"),
    [
        (1001, 1000, None, "pilot_units"),
        (0, 1000, None, "pilot_units"),
        (10, "many", None, "target_units"),
        (10, 1000, "100.5", "adoption_percent"),
        (10, 1000, "50.123", "adoption_percent"),
        (10, 1000, "NaN", "adoption_percent"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    use_case, sponsor, pilot, target, adoption, field
):
    with pytest.raises(InvalidInput) as caught:
        _set(use_case, sponsor, pilot, target=target, adoption_percent=adoption)

    assert caught.value.field == field
    assert not PilotScope.objects.exists()
    assert not AuditEvent.objects.filter(action="pilot_scope.set").exists()


def test_a_blank_or_multiline_unit_is_refused(use_case, sponsor):
    for unit in ("", "   ", "users\nand more"):
        with pytest.raises(InvalidInput) as caught:
            rollout.pilot_scope_set(
                use_case=use_case, by=sponsor, unit=unit, pilot_units=10, target_units=100
            )
        assert caught.value.field == "unit"


@pytest.mark.parametrize("who", ["contributor", "executive", "outsider"])
def test_only_leads_the_sponsor_and_the_technical_lead_set_it(use_case, request, who):
    with pytest.raises(PermissionRefused):
        _set(use_case, request.getfixturevalue(who), 100)
    assert not PilotScope.objects.exists()


def test_a_program_lead_sets_it(use_case, lead):
    assert _set(use_case, lead, 100).updated_by == lead


def test_a_killed_use_case_is_read_only(use_case, sponsor):
    use_case.status = Status.KILLED
    use_case.save(update_fields=["status"])

    with pytest.raises(TransitionRefused):
        _set(use_case, sponsor, 100)
