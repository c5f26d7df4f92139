"""Bounded KPI imports and measurements: at most KPI_IMPORT_MAX_ROWS rows per
CSV file and KPI_MAX_MEASUREMENTS measurements per KPI (on every way in),
refused whole with the limit and the count; at most THROTTLE_IMPORTS imports
per person; a CSV over 1 MB stopped while it streams."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from readiness import services
from readiness.models import KpiMeasurement
from tests.gates.streaming import CSRF_TOKEN, post_file, session_cookies
from tests.readiness.helpers import pilot_adoption

HTMX = {"HX-Request": "true"}


@pytest.fixture
def kpi(use_case, sponsor):
    return pilot_adoption(use_case, sponsor)


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def csv_upload(rows: int, name: str = "Pilot adoption", start_day: int = 1) -> io.BytesIO:
    lines = [
        f"{name},2024-{1 + (day // 28) % 12:02d}-{1 + day % 28:02d},{40 + day % 50}"
        for day in range(start_day, start_day + rows)
    ]
    upload = io.BytesIO(("kpi,measured_at,value\n" + "\n".join(lines) + "\n").encode())
    upload.name = "measurements.csv"
    return upload


def api_import(client, use_case, upload):
    return client.post(
        f"/api/v1/use-cases/{use_case.pk}/kpis/import/", {"file": upload}, format="multipart"
    )


# --- Rows per file ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_past_the_default_5000_rows_is_refused_whole(api_as, use_case, sponsor, kpi):
    response = api_import(api_as(sponsor), use_case, csv_upload(5001))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The file has 5,001 measurement rows; one import takes at most 5,000. "
        "Nothing was imported: split the file and import the parts."
    )
    assert not KpiMeasurement.objects.exists()


@pytest.mark.django_db
def test_a_file_at_the_row_cap_is_imported(api_as, settings, use_case, sponsor, kpi):
    settings.KPI_IMPORT_MAX_ROWS = 5
    response = api_import(api_as(sponsor), use_case, csv_upload(5))
    assert response.status_code == 201
    assert response.json()["imported"] == 5


@pytest.mark.django_db
def test_the_page_names_the_row_cap_next_to_the_file(client_as, settings, use_case, sponsor, kpi):
    settings.KPI_IMPORT_MAX_ROWS = 5
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/readiness/kpis/import/",
        {"file": csv_upload(6)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "The file has 6 measurement rows; one import takes at most 5." in (
        response.content.decode()
    )
    assert not KpiMeasurement.objects.exists()


# --- Measurements per KPI ---------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_that_would_pass_the_kpi_cap_is_refused_whole(
    api_as, settings, use_case, sponsor, kpi
):
    settings.KPI_MAX_MEASUREMENTS = 5
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="41", measured_at="2024-01-01")
    response = api_import(api_as(sponsor), use_case, csv_upload(5))
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "Nothing was imported: a KPI keeps at most 5 measurements."
    assert body["reasons"] == ["“Pilot adoption” holds 1 and this adds 5: 6 in all."]
    assert KpiMeasurement.objects.count() == 1


@pytest.mark.django_db
def test_one_more_measurement_past_the_cap_is_refused_by_the_api(
    api_as, settings, use_case, sponsor, kpi
):
    settings.KPI_MAX_MEASUREMENTS = 2
    client = api_as(sponsor)
    url = f"/api/v1/kpis/{kpi.pk}/measurements/"
    for day in ("2024-01-01", "2024-01-02"):
        answer = client.post(url, {"value": "41", "measured_at": day}, format="json")
        assert answer.status_code == 201
    response = client.post(url, {"value": "42", "measured_at": "2024-01-03"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "A KPI keeps at most 2 measurements."
    assert response.json()["reasons"] == ["“Pilot adoption” holds 2 and this adds 1: 3 in all."]
    assert KpiMeasurement.objects.count() == 2


@pytest.mark.django_db
def test_the_page_says_why_a_measurement_is_refused(client_as, settings, use_case, sponsor, kpi):
    settings.KPI_MAX_MEASUREMENTS = 1
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="41", measured_at="2024-01-01")
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/readiness/kpis/{kpi.pk}/measurements/",
        {f"kpi{kpi.pk}-value": "42", f"kpi{kpi.pk}-measured_at": "2024-01-02"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "A KPI keeps at most 1 measurements." in response.content.decode()
    assert KpiMeasurement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_cannot_both_pass_the_cap(settings, use_case, sponsor, techlead, kpi):
    """Each file fits alone, not both: the cap is counted under the use
    case's lock, so the second import sees the first one's rows."""
    settings.KPI_MAX_MEASUREMENTS = 5
    start = threading.Barrier(2)
    codes: list[int] = []

    def run(user, first_day: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            start.wait()
            answer = api_import(client, use_case, csv_upload(3, start_day=first_day))
            codes.append(answer.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(sponsor, 1)),
        threading.Thread(target=run, args=(techlead, 100)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 409]
    assert KpiMeasurement.objects.count() == 3


# --- Imports per person -------------------------------------------------------------------


@pytest.fixture
def two_imports_an_hour(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"pack_requests": "30/hour", "imports": "2/hour"},
    }


@pytest.mark.django_db
def test_the_third_import_in_an_hour_is_429(api_as, two_imports_an_hour, use_case, sponsor, kpi):
    client = api_as(sponsor)
    for day in (1, 50):
        assert api_import(client, use_case, csv_upload(1, start_day=day)).status_code == 201
    response = api_import(client, use_case, csv_upload(1, start_day=90))
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many imports: try again in ")
    assert response.json()["reasons"] == ["Each person may make at most 2 imports per hour."]
    assert int(response["Retry-After"]) > 3500
    assert KpiMeasurement.objects.count() == 2


@pytest.mark.django_db
def test_the_page_counts_with_the_api_and_says_so_by_the_form(
    client_as, api_as, two_imports_an_hour, use_case, sponsor, kpi
):
    assert api_import(api_as(sponsor), use_case, csv_upload(1)).status_code == 201
    page = client_as(sponsor)
    url = f"/use-cases/{use_case.pk}/readiness/kpis/import/"
    assert page.post(url, {"file": csv_upload(1, start_day=50)}, headers=HTMX).status_code == 200
    response = page.post(url, {"file": csv_upload(1, start_day=90)}, headers=HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Too many imports: try again in " in text
    assert 'id="import-errors"' not in text
    assert KpiMeasurement.objects.count() == 2


# --- Size, while the file streams in -------------------------------------------------------


def test_a_csv_declared_past_1_mb_is_refused_before_it_is_read(
    live_server, settings, tmp_path, use_case, sponsor, kpi
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    answer = post_file(
        f"{live_server.url}/api/v1/use-cases/{use_case.pk}/kpis/import/",
        cookies=session_cookies(sponsor),
        fields=[],
        file_field="file",
        file_name="huge.csv",
        file_size=300 * 1024 * 1024,
        send_bytes=512 * 1024,
        headers={"X-CSRFToken": CSRF_TOKEN, "Accept": "application/json"},
        timeout=20,
    )
    assert answer.status == 400
    assert b"The file is larger than 1 MB." in answer.body
    assert not KpiMeasurement.objects.exists()
