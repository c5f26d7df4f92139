"""Kill and Retire name why the use case ends, from the exit-reason taxonomy,
and what was learned; the use case page, the review page and the pack show
it with the money spent before the end."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import InvalidInput, PermissionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Decision, ExitReason, GateReview, ReviewStatus
from reporting import pdf
from reporting import services as reporting_services
from reporting.models import GatePack
from reporting.pack_data import pack_data
from tests.factories import UseCaseFactory
from tests.gates.helpers import KILL_EXIT, RETIRE_EXIT, make_open_review
from tests.gates.recertification import checklist, recertification_open
from usecases.models import Status
from value.models import CostLine

pytestmark = pytest.mark.django_db

LESSONS = "Agree the value case with the business before building."


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    from tests.gates.helpers import isolate

    isolate(settings, tmp_path)


def _kill(review, lead, **kwargs):
    return services.gate_decide(
        review=review, by=lead, decision=Decision.KILL, rationale="No value.", **kwargs
    )


def _unchanged(review):
    review.refresh_from_db()
    review.use_case.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert (review.exit_reason_id, review.lessons_learned) == (None, "")
    assert review.use_case.status == Status.ACTIVE
    assert not AuditEvent.objects.filter(action="gate.decided").exists()


# --- The service ----------------------------------------------------------------------


def test_it_refuses_a_kill_without_a_reason_naming_the_allowed_ones(lead, open_review):
    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, lessons_learned=LESSONS)

    assert caught.value.field == "exit_reason"
    assert caught.value.message.startswith("Kill needs an exit reason; one of: ")
    assert "Data quality or availability (data-quality)" in caught.value.message
    assert "Replaced by a better solution" not in caught.value.message
    _unchanged(open_review)


def test_it_refuses_a_kill_with_a_retire_only_reason(lead, open_review):
    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, exit_reason="replaced", lessons_learned=LESSONS)

    assert caught.value.field == "exit_reason"
    assert caught.value.message.startswith(
        "“Replaced by a better solution” is a reason to retire, not to kill; Kill takes one of: "
    )
    _unchanged(open_review)


def test_it_refuses_a_retire_with_a_kill_only_reason(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    review = recertification_open(use_case, lead, sponsor)

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(
            review=review,
            by=lead,
            decision=Decision.RETIRE,
            rationale="Ended.",
            decommissioning=checklist(),
            exit_reason="data-quality",
            lessons_learned=LESSONS,
        )

    assert caught.value.field == "exit_reason"
    assert "is a reason to kill, not to retire; Retire takes one of: " in caught.value.message
    assert "Replaced by a better solution (replaced)" in caught.value.message
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_it_refuses_a_reason_no_longer_in_use(lead, open_review):
    ExitReason.objects.filter(code="cost").update(is_active=False)

    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, exit_reason="cost", lessons_learned=LESSONS)

    assert caught.value.field == "exit_reason"
    assert caught.value.message.startswith(
        "The exit reason “Cost higher than planned” is no longer in use"
    )
    assert "(cost)" not in caught.value.message
    _unchanged(open_review)


@pytest.mark.parametrize("reason", ["no-such-reason", "999999999", "-1", "x" * 300, 12.5])
def test_it_refuses_an_unknown_reason(lead, open_review, reason):
    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, exit_reason=reason, lessons_learned=LESSONS)

    assert caught.value.field == "exit_reason"
    assert caught.value.message.startswith("Unknown exit reason")
    _unchanged(open_review)


@pytest.mark.parametrize("lessons", ["", "  \n ", None])
def test_it_requires_the_lessons_learned(lead, open_review, lessons):
    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, exit_reason="no-sponsor", lessons_learned=lessons)

    assert caught.value.field == "lessons_learned"
    assert caught.value.message == "Kill needs a short record of the lessons learned."
    _unchanged(open_review)


def test_it_refuses_lessons_longer_than_5000_characters(lead, open_review):
    with pytest.raises(InvalidInput) as caught:
        _kill(open_review, lead, exit_reason="no-sponsor", lessons_learned="x" * 5001)

    assert caught.value.field == "lessons_learned"
    _unchanged(open_review)


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"exit_reason": "cost"}, "exit_reason"), ({"lessons_learned": LESSONS}, "lessons_learned")],
)
def test_other_decisions_refuse_a_reason_or_lessons(lead, open_review, extra, field):
    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(
            review=open_review, by=lead, decision=Decision.HOLD, rationale="Budget.", **extra
        )

    assert caught.value.field == field
    assert caught.value.message.startswith("Only Kill and Retire carry")
    _unchanged(open_review)


@pytest.mark.parametrize("named_by", ["code", "id", "row"])
def test_it_kills_with_the_reason_and_lessons_and_audits_them(lead, open_review, named_by):
    reason = ExitReason.objects.get(code="data-quality")
    given = {"code": reason.code, "id": str(reason.pk), "row": reason}[named_by]

    _kill(open_review, lead, exit_reason=given, lessons_learned=f"  {LESSONS}\n")

    open_review.refresh_from_db()
    assert (open_review.decision, open_review.exit_reason, open_review.lessons_learned) == (
        Decision.KILL,
        reason,
        LESSONS,
    )
    event = AuditEvent.objects.get(action="gate.decided")
    assert event.payload["exit_reason"] == {
        "code": "data-quality",
        "label": "Data quality or availability",
    }
    assert event.payload["lessons_learned"] == LESSONS


def test_a_reason_for_both_serves_a_retire(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    review = recertification_open(use_case, lead, sponsor)

    services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.RETIRE,
        rationale="Ended.",
        decommissioning=checklist(),
        exit_reason="adoption",
        lessons_learned=LESSONS,
    )

    review.refresh_from_db()
    assert review.exit_reason.code == "adoption"
    use_case.refresh_from_db()
    assert use_case.status == Status.RETIRED


# --- The taxonomy in the admin --------------------------------------------------------


def test_an_administrator_edits_a_reason_through_the_admin(client, db):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    reason = ExitReason.objects.get(code="cost")
    response = client.post(
        f"/admin/gates/exitreason/{reason.pk}/change/",
        {
            "code": "cost",
            "label": "Cost far above the plan",
            "applies_to": "both",
            "order": reason.order,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.label == "Cost far above the plan"
    event = AuditEvent.objects.get(action="framework.exit_reason_changed")
    assert event.payload["after"] == {"label": "Cost far above the plan"}


def test_only_an_administrator_changes_a_reason(outsider):
    reason = ExitReason.objects.get(code="cost")
    reason.label = "Changed"
    with pytest.raises(PermissionRefused):
        services.exit_reason_change(by=outsider, reason=reason, fields=["label"])
    assert ExitReason.objects.get(code="cost").label == "Cost higher than planned"


def test_a_reason_a_decision_gave_cannot_be_deleted(lead, open_review):
    from core.errors import TransitionRefused
    from tests.factories import UserFactory

    _kill(open_review, lead, **KILL_EXIT)
    admin_user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    with pytest.raises(TransitionRefused):
        services.exit_reason_delete(
            by=admin_user, reason=ExitReason.objects.get(code=KILL_EXIT["exit_reason"])
        )
    assert ExitReason.objects.filter(code=KILL_EXIT["exit_reason"]).exists()


# --- The API --------------------------------------------------------------------------


def test_the_api_records_a_kill_with_its_reason(api_as, lead, open_review):
    response = api_as(lead).post(
        f"/api/v1/reviews/{open_review.pk}/decision/",
        {"decision": "kill", "rationale": "No value.", **KILL_EXIT},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["exit_reason"] == {
        "code": "no-business-value",
        "label": "No clear business value or ROI",
    }
    assert body["lessons_learned"] == KILL_EXIT["lessons_learned"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "exit_reason"),
        ({"exit_reason": "replaced", "lessons_learned": LESSONS}, "exit_reason"),
        ({"exit_reason": "cost"}, "lessons_learned"),
        ({"exit_reason": "cost", "lessons_learned": "x" * 5001}, "lessons_learned"),
        ({"exit_reason": ["cost"], "lessons_learned": LESSONS}, "exit_reason"),
    ],
)
def test_the_api_answers_400_for_a_bad_reason_or_lessons(api_as, lead, open_review, extra, field):
    response = api_as(lead).post(
        f"/api/v1/reviews/{open_review.pk}/decision/",
        {"decision": "kill", "rationale": "No value.", **extra},
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    _unchanged(open_review)


def test_an_undecided_review_has_no_reason_in_the_api(api_as, lead, open_review):
    body = api_as(lead).get(f"/api/v1/reviews/{open_review.pk}/").json()
    assert (body["exit_reason"], body["lessons_learned"]) == (None, "")


def test_the_api_lists_the_active_reasons(api, api_as, sponsor, django_assert_max_num_queries):
    ExitReason.objects.filter(code="cost").update(is_active=False)
    with django_assert_max_num_queries(3):
        response = api_as(sponsor).get("/api/v1/exit-reasons/")
    assert response.status_code == 200
    active = ExitReason.objects.filter(is_active=True).order_by("order", "id")
    assert response.json() == [
        {"id": r.pk, "code": r.code, "label": r.label, "applies_to": r.applies_to, "order": r.order}
        for r in active
    ]
    assert "cost" not in {r["code"] for r in response.json()}
    assert api.get("/api/v1/exit-reasons/").status_code in (401, 403)


def test_the_schema_types_the_exit_reason(schema):
    components = schema["components"]["schemas"]
    assert set(components["ExitKindEnum"]["enum"]) == {"kill", "retire", "both"}
    decision = components["DecisionInputRequest"]["properties"]
    assert decision["exit_reason"]["type"] == "string"
    assert decision["lessons_learned"]["maxLength"] == 5000
    assert set(components["ExitReason"]["properties"]) == {
        "id",
        "code",
        "label",
        "applies_to",
        "order",
    }
    review = components["Review"]["properties"]
    assert {"exit_reason", "lessons_learned"} <= set(review)
    assert "/api/v1/exit-reasons/" in schema["paths"]


# --- The pages ------------------------------------------------------------------------


def _kill_form(**overrides) -> dict:
    data = {
        "decision": "kill",
        "rationale": "The value case did not hold.",
        "conditions-TOTAL_FORMS": "0",
        "conditions-INITIAL_FORMS": "0",
        **KILL_EXIT,
    }
    data.update(overrides)
    return data


def test_the_decision_form_offers_the_reasons_for_kill(client_as, lead, open_review):
    ExitReason.objects.filter(code="cost").update(is_active=False)
    body = client_as(lead).get(open_review.get_absolute_url()).content.decode()

    assert 'name="exit_reason"' in body
    assert 'name="lessons_learned"' in body
    assert '<option value="data-quality">Data quality or availability</option>' in body
    assert '<option value="no-business-value">' in body
    assert 'value="replaced"' not in body
    assert 'value="cost"' not in body


def test_the_page_records_a_kill_with_its_reason(client_as, lead, open_review):
    response = client_as(lead).post(f"/reviews/{open_review.pk}/decision/", _kill_form())

    assert response.status_code == 302
    open_review.refresh_from_db()
    assert open_review.decision == Decision.KILL
    assert open_review.exit_reason.code == KILL_EXIT["exit_reason"]
    assert open_review.lessons_learned == KILL_EXIT["lessons_learned"]
    body = client_as(lead).get(open_review.get_absolute_url()).content.decode()
    assert 'id="exit-record"' in body
    assert "No clear business value or ROI" in body
    assert KILL_EXIT["lessons_learned"] in body


def test_the_page_shows_a_missing_reason_next_to_the_field(client_as, lead, open_review):
    response = client_as(lead).post(
        f"/reviews/{open_review.pk}/decision/", _kill_form(exit_reason="")
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Kill needs an exit reason; one of:" in body
    _unchanged(open_review)


def test_the_page_ignores_a_reason_left_selected_for_another_decision(client_as, lead, open_review):
    response = client_as(lead).post(
        f"/reviews/{open_review.pk}/decision/", _kill_form(decision="hold", rationale="Budget.")
    )

    assert response.status_code == 302
    open_review.refresh_from_db()
    assert (open_review.decision, open_review.exit_reason_id, open_review.lessons_learned) == (
        Decision.HOLD,
        None,
        "",
    )


def _costs(use_case, by):
    for stage, category, actual in (
        ("discovery", "development", Decimal("1500.00")),
        ("poc", "infrastructure", Decimal("12000.50")),
        ("poc", "data_preparation", None),
    ):
        CostLine.objects.create(
            use_case=use_case,
            stage=stage,
            category=category,
            planned=Decimal("1000"),
            actual=actual,
            updated_by=by,
        )


def test_the_use_case_page_shows_why_it_ended_and_what_it_spent(client_as, lead, sponsor, use_case):
    _costs(use_case, lead)
    review = make_open_review(use_case, lead)
    _kill(review, lead, **KILL_EXIT)

    body = client_as(sponsor).get(use_case.get_absolute_url()).content.decode()

    assert 'id="ending"' in body
    assert "No clear business value or ROI" in body
    assert KILL_EXIT["lessons_learned"] in body
    assert "EUR 13,500.50" in body


def test_a_live_use_case_page_has_no_ending(client_as, lead, sponsor, use_case, open_review):
    body = client_as(sponsor).get(use_case.get_absolute_url()).content.decode()
    assert 'id="ending"' not in body


def test_the_pack_prints_the_reason_the_lessons_and_the_money_spent(lead, use_case):
    _costs(use_case, lead)
    review = make_open_review(use_case, lead)
    _kill(review, lead, **KILL_EXIT)
    review = GateReview.objects.get(pk=review.pk)

    data = pack_data(review)

    assert data["ending"] == {
        "reason": "No clear business value or ROI",
        "reason_code": "no-business-value",
        "lessons_learned": KILL_EXIT["lessons_learned"],
        "spent": "13500.50",
        "spent_display": "EUR 13,500.50",
    }
    pack = GatePack.objects.create(
        review=review, review_revision=review.revision, requested_by=lead
    )
    html = pdf.render_pack_html(
        reporting_services.pack_context(data, digest=pdf.content_hash(data), pack=pack)
    )
    assert 'id="exit-record"' in html
    assert "No clear business value or ROI" in html
    assert KILL_EXIT["lessons_learned"] in html
    assert "EUR 13,500.50" in html


def test_the_pack_reads_the_money_spent_in_one_query_whatever_the_cost_lines(
    lead, use_case, open_review
):
    _kill(open_review, lead, **KILL_EXIT)
    with CaptureQueriesContext(connection) as without_costs:
        assert pack_data(GateReview.objects.get(pk=open_review.pk))["ending"]["spent"] == "0.00"
    for stage in ("discovery", "poc", "pilot", "production", "scale"):
        for category in ("infrastructure", "development", "data_preparation"):
            CostLine.objects.create(
                use_case=use_case,
                stage=stage,
                category=category,
                actual=Decimal("100"),
                updated_by=lead,
            )
    with CaptureQueriesContext(connection) as with_costs:
        data = pack_data(GateReview.objects.get(pk=open_review.pk))
    assert data["ending"]["spent"] == "1500.00"
    assert len(with_costs) == len(without_costs)


def test_a_retire_pack_prints_its_reason(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    review = recertification_open(use_case, lead, sponsor)
    services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.RETIRE,
        rationale="Ended.",
        decommissioning=checklist(),
        **RETIRE_EXIT,
    )

    data = pack_data(GateReview.objects.get(pk=review.pk))

    assert data["ending"]["reason"] == "Replaced by a better solution"
    assert data["ending"]["spent"] == "0.00"
