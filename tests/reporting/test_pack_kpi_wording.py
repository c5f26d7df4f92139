"""The pack words a KPI's state as the app does: a lower-is-better KPI above
its target is "off target" in the pack as on the pages, never "below target"."""

from __future__ import annotations

import datetime

import pytest

from readiness import services as readiness
from reporting.models import GatePack, PackStatus
from tests.gates.helpers import isolate
from tests.reporting.helpers import pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def handling_time(decided_review, lead):
    """A lower-is-better KPI whose latest value (14 min) is above its target."""
    kpi = readiness.kpi_create(
        use_case=decided_review.use_case,
        by=lead,
        name="Handling time",
        kind="lagging",
        target="10",
        direction="lower",
        unit="min",
        baseline="20",
    )
    readiness.kpi_measurement_record(
        kpi=kpi, by=lead, value="14", measured_at=datetime.date(2025, 3, 4)
    )
    return kpi


def generated_pack_text(api_as, lead, review, capture) -> str:
    with capture(execute=True):
        response = api_as(lead).post(f"/api/v1/reviews/{review.pk}/packs/")
    assert response.status_code == 202
    pack = GatePack.objects.get(pk=response.json()["id"])
    assert pack.status == PackStatus.READY, pack.failure_reason
    download = api_as(lead).get(f"/api/v1/packs/{pack.pk}/download/")
    assert download.status_code == 200
    return squash(pdf_text(b"".join(download.streaming_content)))


def test_the_pack_says_off_target_as_the_review_page_does(
    api_as, client_as, lead, decided_review, handling_time, django_capture_on_commit_callbacks
):
    page = client_as(lead).get(f"/use-cases/{decided_review.use_case_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    row = body[body.index("Handling time") :]
    row = row[: row.index("</tr>")]
    assert "off target" in row

    text = generated_pack_text(api_as, lead, decided_review, django_capture_on_commit_callbacks)

    assert "Handling time" in text
    assert "off target" in text
    assert "below target" not in text
    # The higher-is-better KPI of the review, at 91 % against 90 %, is on target.
    assert "on target" in text
