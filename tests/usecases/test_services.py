from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.usecases.conftest import kill
from usecases import services
from usecases.models import MemberRole, Stage, UseCaseMember


def test_it_creates_a_use_case_in_discovery_with_the_creator_as_sponsor(sponsor, business_unit):
    use_case = services.usecase_create(
        by=sponsor,
        title="Invoice matching",
        summary="Match invoices to orders.",
        business_unit=business_unit,
        regulatory_constraints=["sox", "gdpr", "sox"],
    )
    use_case.refresh_from_db()
    assert use_case.stage == Stage.DISCOVERY
    assert use_case.regulatory_constraints == ["sox", "gdpr"]
    assert list(use_case.members.values_list("user__username", "role")) == [
        ("sponsor", MemberRole.SPONSOR)
    ]
    event = AuditEvent.objects.get(action="usecase.created")
    assert event.use_case == use_case and event.actor == sponsor


def test_it_refuses_creation_by_an_executive(executive, business_unit):
    with pytest.raises(PermissionRefused):
        services.usecase_create(by=executive, title="X", summary="Y", business_unit=business_unit)


def test_it_lets_only_a_lead_name_another_sponsor(lead, sponsor, techlead, business_unit):
    with pytest.raises(PermissionRefused):
        services.usecase_create(
            by=techlead, title="X", summary="Y", business_unit=business_unit, sponsor=sponsor
        )
    use_case = services.usecase_create(
        by=lead, title="X", summary="Y", business_unit=business_unit, sponsor=sponsor
    )
    assert use_case.members.get().user == sponsor


def test_it_refuses_unknown_regulatory_constraints(sponsor, business_unit):
    with pytest.raises(InvalidInput) as caught:
        services.usecase_create(
            by=sponsor,
            title="X",
            summary="Y",
            business_unit=business_unit,
            regulatory_constraints=["ccpa"],
        )
    assert caught.value.field == "regulatory_constraints"


def test_it_updates_and_audits_only_what_changed(use_case, sponsor):
    services.usecase_update(use_case=use_case, by=sponsor, title="Renamed", risk_tier="medium")
    use_case.refresh_from_db()
    assert use_case.title == "Renamed"
    event = AuditEvent.objects.get(action="usecase.updated")
    assert event.payload["after"] == {"title": "Renamed"}


def test_it_refuses_stage_and_status_in_an_update(use_case, lead):
    for field in ("stage", "status", "stage_entered_at"):
        with pytest.raises(InvalidInput):
            services.usecase_update(use_case=use_case, by=lead, **{field: "pilot"})
    use_case.refresh_from_db()
    assert use_case.stage == Stage.DISCOVERY


@pytest.mark.parametrize("who", ["techlead", "contributor", "buhead", "executive", "outsider"])
def test_it_refuses_an_update_by_anyone_but_a_lead_or_the_sponsor(use_case, who, request):
    with pytest.raises(PermissionRefused):
        services.usecase_update(use_case=use_case, by=request.getfixturevalue(who), title="No")


def test_it_refuses_changes_to_a_killed_use_case_before_checking_who_asks(use_case, sponsor, lead):
    kill(use_case)
    for person in (sponsor, lead):
        with pytest.raises(TransitionRefused):
            services.usecase_update(use_case=use_case, by=person, title="No")
        with pytest.raises(TransitionRefused):
            services.usecase_ensure_editable(use_case=use_case, by=person)
    with pytest.raises(TransitionRefused):
        services.member_add(use_case=use_case, by=lead, user=lead, role=MemberRole.CONTRIBUTOR)


def test_it_adds_and_removes_team_members_with_an_audit_row(use_case, sponsor, outsider):
    member = services.member_add(
        use_case=use_case, by=sponsor, user=outsider, role=MemberRole.CONTRIBUTOR
    )
    assert AuditEvent.objects.filter(action="usecase.member_added").count() == 1
    with pytest.raises(TransitionRefused):
        services.member_add(
            use_case=use_case, by=sponsor, user=outsider, role=MemberRole.CONTRIBUTOR
        )
    services.member_remove(member=member, by=sponsor)
    assert not UseCaseMember.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action="usecase.member_removed").count() == 1


def test_it_keeps_at_least_one_sponsor(use_case, lead):
    only_sponsor = use_case.members.get(role=MemberRole.SPONSOR)
    with pytest.raises(TransitionRefused):
        services.member_remove(member=only_sponsor, by=lead)


def test_it_refuses_team_changes_by_a_technical_lead(use_case, techlead, outsider):
    with pytest.raises(PermissionRefused):
        services.member_add(
            use_case=use_case, by=techlead, user=outsider, role=MemberRole.CONTRIBUTOR
        )
