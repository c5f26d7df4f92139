"""Evidence validity: an upload of a type with a validity expires that many
months after the day it was uploaded. Expired evidence blocks submission until
a current version is uploaded, and shows on the use case page, the dashboard
and in the API."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from core.errors import TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import (
    Artifact,
    ArtifactType,
    GateTemplate,
    ReviewStatus,
    add_months,
    with_expiry,
)
from tests.factories import UseCaseFactory
from tests.gates.helpers import assess_all, isolate, text_file, upload_required
from tests.gates.test_admin_framework import admin_client, change_url, superuser  # noqa: F401
from tests.gates.test_views_admin import inline_data

pytestmark = pytest.mark.django_db

UPLOADED = datetime.datetime(2026, 1, 15, 10, 0, tzinfo=datetime.UTC)
EXPIRES = datetime.date(2027, 1, 15)
RISK = "Preliminary risk assessment"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def at(day: datetime.date, hour: int = 12):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC), tick=False
    )


def risk_type() -> ArtifactType:
    return ArtifactType.objects.get(name=RISK)


def upload(use_case, by, artifact_type=None) -> Artifact:
    artifact_type = artifact_type or risk_type()
    return services.artifact_upload(
        use_case=use_case,
        by=by,
        artifact_type=artifact_type,
        file=text_file(f"{artifact_type.code}.md"),
    )


def test_risk_assessments_are_valid_for_12_months_and_other_types_do_not_expire():
    assert risk_type().validity_months == 12
    assert ArtifactType.objects.get(name="Updated risk assessment").validity_months == 12
    assert ArtifactType.objects.get(name="Use case scorecard").validity_months is None


def test_it_expires_on_the_same_day_a_validity_later(use_case, sponsor):
    with time_machine.travel(UPLOADED, tick=False):
        artifact = upload(use_case, sponsor)
        plain = upload(use_case, sponsor, ArtifactType.objects.get(name="Use case scorecard"))
    artifact.refresh_from_db()
    assert artifact.expires_on == EXPIRES
    # The database computes the same date for lists.
    assert with_expiry(Artifact.objects.filter(pk=artifact.pk)).get().expiry == EXPIRES
    with at(EXPIRES - datetime.timedelta(days=1)):
        assert artifact.is_expired is False
    with at(EXPIRES + datetime.timedelta(days=1)):
        assert artifact.is_expired is True
        assert plain.expires_on is None and plain.is_expired is False


def test_the_months_are_clamped_to_a_shorter_month_in_python_and_in_the_database(use_case, sponsor):
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2027, 12, 31), 2) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 5, 10), 12) == datetime.date(2027, 5, 10)
    ArtifactType.objects.filter(name=RISK).update(validity_months=1)
    with time_machine.travel(datetime.datetime(2026, 1, 31, 12, tzinfo=datetime.UTC), tick=False):
        artifact = upload(use_case, sponsor)
    artifact = Artifact.objects.select_related("artifact_type").get(pk=artifact.pk)
    assert artifact.expires_on == datetime.date(2026, 2, 28)
    assert with_expiry(Artifact.objects.filter(pk=artifact.pk)).get().expiry == artifact.expires_on


def test_expired_evidence_blocks_submission_until_a_current_version(use_case, lead, sponsor):
    with time_machine.travel(UPLOADED, tick=False):
        review = services.review_open(use_case=use_case, by=lead)
        upload_required(review, sponsor)
        assess_all(review, sponsor)
        assert services.submission_blockers(review) == []

    with at(EXPIRES + datetime.timedelta(days=1)):
        with pytest.raises(TransitionRefused) as error:
            services.review_submit(review=review, by=sponsor)
        assert error.value.reasons == [
            f"Expired artifact: {RISK} v1 expired on 15 Jan 2027; upload a current version"
        ]
        review.refresh_from_db()
        assert review.status == ReviewStatus.OPEN

        upload(use_case, sponsor)
        services.review_submit(review=review, by=sponsor)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    pinned = review.pinned_artifacts.get(artifact_type__name=RISK)
    assert pinned.version == 2


def test_the_review_page_and_my_work_name_the_expired_artifact(use_case, lead, sponsor, client_as):
    with time_machine.travel(UPLOADED, tick=False):
        review = services.review_open(use_case=use_case, by=lead)
        upload_required(review, sponsor)
        assess_all(review, sponsor)
    reason = f"Expired artifact: {RISK} v1 expired on 15 Jan 2027; upload a current version"
    with at(EXPIRES + datetime.timedelta(days=1)):
        client = client_as(sponsor)
        assert reason in client.get(f"/reviews/{review.pk}/").content.decode()
        assert reason in client.get("/my-work/").content.decode()


def test_the_use_case_page_shows_expiring_then_expired_evidence(use_case, sponsor, client_as):
    with time_machine.travel(UPLOADED, tick=False):
        upload(use_case, sponsor)
        upload(use_case, sponsor, ArtifactType.objects.get(name="Use case scorecard"))
    url = f"/use-cases/{use_case.pk}/"
    with at(EXPIRES - datetime.timedelta(days=31)):
        assert 'id="expiring-evidence"' not in client_as(sponsor).get(url).content.decode()
    with at(EXPIRES - datetime.timedelta(days=10)):
        html = client_as(sponsor).get(url).content.decode()
        section = html.split('id="expiring-evidence"', 1)[1].split("</ul>", 1)[0]
        assert f"{RISK} v1" in section
        assert "on 15 Jan 2027 (in 10 days)" in section
        assert "Use case scorecard" not in section
    with at(EXPIRES + datetime.timedelta(days=1)):
        client = client_as(sponsor)
        html = client.get(url).content.decode()
        section = html.split('id="expiring-evidence"', 1)[1].split("</ul>", 1)[0]
        assert "Expired</span> on 15 Jan 2027; upload a current version" in section
        upload(use_case, sponsor)
        # The new version is current: nothing left to show.
        assert 'id="expiring-evidence"' not in client.get(url).content.decode()


def test_the_artifacts_page_says_when_the_latest_version_expires(use_case, sponsor, client_as):
    with time_machine.travel(UPLOADED, tick=False):
        first = upload(use_case, sponsor)
    with at(EXPIRES + datetime.timedelta(days=1)):
        url = f"/use-cases/{use_case.pk}/artifacts/"
        html = client_as(sponsor).get(url).content.decode()
        assert "valid 12 months" in html
        row = html.split(f'id="expiry-{first.pk}"', 1)[1].split("</div>", 1)[0]
        assert "Expired</span> on 15 Jan 2027" in row
        second = upload(use_case, sponsor)
        html = client_as(sponsor).get(url).content.decode()
    assert f'id="expiry-{first.pk}"' not in html
    row = html.split(f'id="expiry-{second.pk}"', 1)[1].split("</div>", 1)[0]
    assert "valid until 16 Jan 2028" in row


def test_validity_is_edited_in_the_admin_and_audited(admin_client, superuser):  # noqa: F811
    template = GateTemplate.objects.get(number=1)
    data = inline_data(template)
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("artifact_types-") and key.endswith("-name") and value == RISK
    )
    data[f"artifact_types-{index}-validity_months"] = "6"

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert risk_type().validity_months == 6
    event = AuditEvent.objects.get(action="framework.artifact_type_changed")
    assert event.actor == superuser
    assert (event.payload["before"], event.payload["after"]) == (
        {"validity_months": 12},
        {"validity_months": 6},
    )


def test_the_api_says_when_each_version_expires(use_case, sponsor, api_as):
    with time_machine.travel(UPLOADED, tick=False):
        upload(use_case, sponsor)
        upload(use_case, sponsor, ArtifactType.objects.get(name="Use case scorecard"))
    with at(EXPIRES + datetime.timedelta(days=1)):
        rows = api_as(sponsor).get(f"/api/v1/use-cases/{use_case.pk}/artifacts/").json()["results"]
    by_type = {row["artifact_type"]["name"]: row for row in rows}
    assert (by_type[RISK]["expires_on"], by_type[RISK]["expired"]) == ("2027-01-15", True)
    assert (
        by_type["Use case scorecard"]["expires_on"],
        by_type["Use case scorecard"]["expired"],
    ) == (
        None,
        False,
    )


def test_the_dashboard_lists_expiring_evidence_across_use_cases(
    use_case, business_unit, sponsor, techlead, executive, client_as
):
    other = UseCaseFactory(
        title="Invoice matching",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
    )
    with time_machine.travel(UPLOADED, tick=False):
        first = upload(use_case, sponsor)
    with time_machine.travel(UPLOADED + datetime.timedelta(days=20), tick=False):
        second = upload(other, sponsor)
    with at(EXPIRES + datetime.timedelta(days=1)):
        html = client_as(executive).get("/dashboard/").content.decode()
    section = html.split('id="expiring-evidence"', 1)[1].split("</section>", 1)[0]
    first_row = section.split(f'id="expiring-{first.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Expired</span> 15 Jan 2027" in first_row and use_case.title in first_row
    second_row = section.split(f'id="expiring-{second.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "4 Feb 2027" in second_row and "in 19 days" in second_row
    # Soonest first.
    assert section.index(f"expiring-{first.pk}") < section.index(f"expiring-{second.pk}")


@pytest.mark.parametrize("size", [2, 8])
def test_the_dashboard_query_bound_holds_with_expiring_evidence(
    size,
    business_unit,
    sponsor,
    techlead,
    executive,
    client_as,
    django_assert_max_num_queries,
):
    with time_machine.travel(UPLOADED, tick=False):
        for i in range(size):
            case = UseCaseFactory(
                title=f"Case {i}",
                business_unit=business_unit,
                sponsor=sponsor,
                technical_lead=techlead,
            )
            upload(case, sponsor)
            upload(case, sponsor)
    with at(EXPIRES - datetime.timedelta(days=5)):
        client = client_as(executive)
        client.get("/dashboard/")  # warm the session
        with django_assert_max_num_queries(15):
            html = client.get("/dashboard/").content.decode()
    # One row per use case: the latest version only.
    assert html.count('id="expiring-') == size + 1  # the section and its rows
    assert "v2</a>" in html and "v1</a>" not in html.split('id="expiring-evidence"', 1)[1]
