"""A pack request for a review whose pack data has not changed answers with
the pack already made (or being made) instead of rendering the same pack
again; any change the pack would show makes a new one."""

from __future__ import annotations

import datetime

import pytest

from core.models import AuditEvent
from gates import services as gate_services
from gates.models import ApprovalDecision, AssessmentStatus, GateCondition
from readiness import services as readiness_services
from readiness.models import Kpi
from reporting.models import GatePack, PackStatus
from tests.gates.helpers import artifact_type, text_file

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def packs_url(review) -> str:
    return f"/api/v1/reviews/{review.pk}/packs/"


def test_eight_requests_for_an_unchanged_review_make_one_pack(
    api_as, decided_review, lead, django_capture_on_commit_callbacks
):
    client = api_as(lead)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(packs_url(decided_review))
    assert first.status_code == 202
    pack = GatePack.objects.get(pk=first.json()["id"])
    assert pack.status == PackStatus.READY

    answers = []
    for _ in range(7):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            answers.append(client.post(packs_url(decided_review)))
        assert callbacks == []  # nothing handed to the task queue
    assert {a.status_code for a in answers} == {200}
    body = answers[-1].json()
    assert body["id"] == pack.pk
    assert body["status"] == "ready"
    assert body["stale"] is False
    assert body["content_hash"] == pack.content_hash
    assert body["download_url"].endswith(f"/api/v1/packs/{pack.pk}/download/")
    assert GatePack.objects.count() == 1
    assert AuditEvent.objects.filter(action="pack.requested").count() == 1
    pack.refresh_from_db()
    assert pack.attempts == 1  # rendered once


def test_a_request_while_the_same_pack_is_queued_answers_that_pack(
    api_as, decided_review, lead, sponsor
):
    # No commit hooks run here: the first pack stays queued.
    first = api_as(lead).post(packs_url(decided_review))
    assert first.status_code == 202
    second = api_as(sponsor).post(packs_url(decided_review))
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["status"] == "queued"
    assert second.json()["download_url"] is None
    assert GatePack.objects.count() == 1


def test_a_failed_pack_is_not_the_answer(api_as, decided_review, lead):
    first = api_as(lead).post(packs_url(decided_review)).json()
    GatePack.objects.filter(pk=first["id"]).update(
        status=PackStatus.FAILED, failure_reason="The worker ran out of memory."
    )
    again = api_as(lead).post(packs_url(decided_review))
    assert again.status_code == 202
    assert again.json()["id"] != first["id"]


def _assess(review, lead, sponsor) -> None:
    criterion = review.criteria.first()
    gate_services.criterion_assess(
        review=review,
        criterion=criterion,
        by=sponsor,
        status=AssessmentStatus.NOT_MET,
        evidence="The March sample fell short.",
    )


def _upload(review, lead, sponsor) -> None:
    gate_services.artifact_upload(
        use_case=review.use_case,
        by=sponsor,
        artifact_type=artifact_type(review.gate_number),
        file=text_file("second-look.md"),
    )


def _approve(review, lead, sponsor) -> None:
    row = review.approvers.select_related("user").filter(decision=ApprovalDecision.PENDING).first()
    gate_services.approval_record(review=review, approver=row.user, decision="approve")


def _close_condition(review, lead, sponsor) -> None:
    condition = GateCondition.objects.get(review=review)
    gate_services.condition_close(condition=condition, by=lead, note="Agreement signed.")


def _measure(review, lead, sponsor) -> None:
    kpi = Kpi.objects.get(use_case=review.use_case)
    readiness_services.kpi_measurement_record(
        kpi=kpi, by=lead, value="93", measured_at=datetime.date(2025, 3, 20)
    )


@pytest.mark.parametrize(
    ("review_fixture", "change"),
    [
        ("uploaded_review", _assess),
        ("uploaded_review", _upload),
        ("submitted_review", _approve),
        ("decided_review", _close_condition),
        ("decided_review", _measure),
    ],
    ids=["an assessment", "an artifact", "an approval", "a condition", "a KPI measurement"],
)
def test_a_change_the_pack_shows_makes_a_new_pack(
    request, api_as, lead, sponsor, review_fixture, change
):
    review = request.getfixturevalue(review_fixture)
    client = api_as(lead)
    first = client.post(packs_url(review))
    assert first.status_code == 202
    assert client.post(packs_url(review)).status_code == 200

    change(review, lead, sponsor)

    second = client.post(packs_url(review))
    assert second.status_code == 202
    assert second.json()["id"] != first.json()["id"]
    old = GatePack.objects.get(pk=first.json()["id"])
    new = GatePack.objects.get(pk=second.json()["id"])
    assert old.content_hash != new.content_hash


def test_a_decision_makes_a_new_pack_and_the_old_one_stale(
    use_case, lead, sponsor, api_as, django_capture_on_commit_callbacks
):
    from tests.reporting.helpers import make_decided_review

    review = make_decided_review(use_case, lead, sponsor, decide=False)
    client = api_as(lead)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(packs_url(review)).json()
    gate_services.gate_decide(
        review=review, by=lead, decision="hold", rationale="Budget freeze until Q3."
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(packs_url(review))
    assert second.status_code == 202
    listed = {p["id"]: p for p in client.get(packs_url(review)).json()}
    assert listed[first["id"]]["stale"] is True
    assert listed[second.json()["id"]]["stale"] is False
    assert listed[second.json()["id"]]["status"] == "ready"


# --- In the browser -------------------------------------------------------------------


def test_the_panel_says_the_pack_is_current_and_links_it(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    client = client_as(lead)
    url = f"/reviews/{decided_review.pk}/packs/request/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, headers=HTMX)
    pack = GatePack.objects.get()

    response = client.post(url, headers=HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        f"Pack #{pack.pk} is current: nothing in the review has changed since it was generated."
        in text
    )
    assert f'href="/packs/{pack.pk}/download/" download>Download pack #{pack.pk}</a>' in text
    assert GatePack.objects.count() == 1


def test_a_plain_post_for_a_current_pack_says_so_on_the_review_page(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    client = client_as(lead)
    url = f"/reviews/{decided_review.pk}/packs/request/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    pack = GatePack.objects.get()
    response = client.post(url, follow=True)
    review_url = decided_review.get_absolute_url()
    assert response.redirect_chain[-1][0].endswith(f"{review_url}#gate-packs")
    assert f"Pack #{pack.pk} is current" in response.content.decode()
    assert GatePack.objects.count() == 1


def test_the_schema_documents_both_answers(api_as, lead):
    schema = api_as(lead).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/reviews/{id}/packs/"]["post"]
    assert {"200", "202", "429"} <= set(post["responses"])
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Pack"
    )
