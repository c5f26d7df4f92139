"""The review page of a recertification: named as such with its trigger;
its decision form offers Retire (with the decommissioning checklist) and not
Kill, a gate's offers Kill and not Retire; a Retire posted from the page
ends the use case, a bad checklist re-renders the form and changes nothing."""

from __future__ import annotations

import pytest

from gates.models import Decision, DecommissioningStep, GateReview, ReviewStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import RETIRE_EXIT, isolate
from tests.gates.recertification import recertification_open
from usecases.models import Status
from usecases.rules import RETIRED_MESSAGE

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def review(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    return recertification_open(use_case, lead, sponsor)


def _form(review, steps, **overrides):
    data = {
        "decision": "retire",
        "rationale": "Superseded by the new platform.",
        **RETIRE_EXIT,
        "conditions-TOTAL_FORMS": "0",
        "conditions-INITIAL_FORMS": "0",
    }
    for step in steps:
        data[f"step-{step.pk}"] = "done"
        data[f"step-{step.pk}-note"] = ""
    data.update(overrides)
    return data


def _choices(body: str) -> set[str]:
    return {value for value in Decision.values if f'name="decision" value="{value}"' in body}


def test_the_page_names_the_recertification_and_offers_retire_not_kill(client_as, lead, review):
    GateReview.objects.filter(pk=review.pk).update(
        trigger="drift", trigger_detail="Accuracy 88% breaks Accuracy ≥ 91%"
    )
    body = client_as(lead).get(review.get_absolute_url()).content.decode()
    assert "<h1>Recertification: Scale in operation</h1>" in body
    assert "<title>Recertification review ·" in body
    assert (
        "Opened early: drift breach on a monitored KPI — Accuracy 88% breaks Accuracy ≥ 91%" in body
    )
    assert _choices(body) == {"go", "conditional_go", "hold", "recycle", "retire"}
    assert 'id="decommissioning-checklist"' in body
    for step in DecommissioningStep.objects.filter(is_active=True):
        assert step.text in body


def test_a_gate_s_page_offers_kill_not_retire(client_as, lead, open_review):
    body = client_as(lead).get(open_review.get_absolute_url()).content.decode()
    assert _choices(body) == {"go", "conditional_go", "hold", "recycle", "kill"}
    assert "decommissioning-checklist" not in body


def test_posting_retire_ends_the_use_case(client_as, lead, review):
    steps = list(DecommissioningStep.objects.filter(is_active=True).order_by("order"))
    data = _form(
        review,
        steps,
        **{f"step-{steps[0].pk}": "not_applicable", f"step-{steps[0].pk}-note": "No users."},
    )
    client = client_as(lead)
    response = client.post(f"/reviews/{review.pk}/decision/", data)
    assert response.status_code == 302
    review.refresh_from_db()
    use_case = review.use_case
    use_case.refresh_from_db()
    assert review.decision == Decision.RETIRE
    assert use_case.status == Status.RETIRED
    assert review.decommissioning[0]["note"] == "No users."
    decided = client.get(review.get_absolute_url()).content.decode()
    assert 'id="decommissioning-record"' in decided
    assert "No users." in decided
    page = client.get(use_case.get_absolute_url()).content.decode()
    assert "Retired" in page
    assert RETIRED_MESSAGE in page
    assert "Retired after operation: no further reviews." in page


def test_a_bad_checklist_re_renders_the_form_and_changes_nothing(client_as, lead, review):
    steps = list(DecommissioningStep.objects.filter(is_active=True).order_by("order"))
    data = _form(review, steps, **{f"step-{steps[1].pk}": "not_applicable"})
    response = client_as(lead).post(f"/reviews/{review.pk}/decision/", data, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Decommissioning step “{steps[1].text}” is not applicable: say why" in body
    assert 'id="decommissioning-checklist"' in body
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert review.use_case.status == Status.ACTIVE

    del data[f"step-{steps[2].pk}"]
    data[f"step-{steps[1].pk}"] = "done"
    plain = client_as(lead).post(f"/reviews/{review.pk}/decision/", data)
    assert plain.status_code == 400
    assert f"Decommissioning step “{steps[2].text}” is not answered" in plain.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_a_go_post_ignores_the_checklist_rows(client_as, lead, review):
    steps = list(DecommissioningStep.objects.filter(is_active=True).order_by("order"))
    data = _form(review, steps, decision="hold", rationale="Wait for the audit.")
    response = client_as(lead).post(f"/reviews/{review.pk}/decision/", data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.decision == Decision.HOLD
    assert review.decommissioning == []


def test_kill_posted_on_a_recertification_is_refused(client_as, lead, review):
    data = _form(review, [], decision="kill", rationale="Stop.")
    response = client_as(lead).post(f"/reviews/{review.pk}/decision/", data)
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
