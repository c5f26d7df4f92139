from __future__ import annotations

import io

import pytest

from core.errors import InvalidInput
from readiness import services
from readiness.models import KpiMeasurement


@pytest.fixture
def kpis(use_case, sponsor):
    adoption = services.kpi_create(
        use_case=use_case,
        by=sponsor,
        name="Pilot adoption",
        kind="leading",
        unit="%",
        target="60",
        direction="higher",
    )
    handling = services.kpi_create(
        use_case=use_case,
        by=sponsor,
        name="Handling time",
        kind="lagging",
        unit="min",
        target="12",
        direction="lower",
    )
    return adoption, handling


def csv_file(text: str | bytes, name: str = "m.csv"):
    stream = io.BytesIO(text.encode() if isinstance(text, str) else text)
    stream.name = name
    return stream


def test_it_imports_every_row_by_kpi_name_or_id(use_case, sponsor, kpis):
    adoption, handling = kpis
    body = (
        "kpi,measured_at,value,note\n"
        "Pilot adoption,2024-01-05,41,week 1\n"
        f"{handling.pk},2024-01-05,18.5,\n"
        "pilot ADOPTION,2024-01-12,52,week 2\n"
    )
    created = services.kpi_measurements_import(use_case=use_case, by=sponsor, file=csv_file(body))
    assert len(created) == 3
    assert KpiMeasurement.objects.filter(kpi=adoption).count() == 2


def test_it_imports_nothing_and_names_each_bad_line(use_case, sponsor, kpis):
    body = (
        "kpi,measured_at,value,note\n"
        "Pilot adoption,2024-01-05,41,ok\n"
        "Unknown KPI,2024-01-05,3,\n"
        "Pilot adoption,2024-13-01,41,\n"
        "\n"
        "Handling time,2024-01-05,fast,\n"
    )
    with pytest.raises(InvalidInput) as refusal:
        services.kpi_measurements_import(use_case=use_case, by=sponsor, file=csv_file(body))
    reasons = refusal.value.reasons
    assert len(reasons) == 3
    assert reasons[0].startswith("Line 3: no KPI of this use case")
    assert reasons[1].startswith("Line 4: measured_at “2024-13-01” is not a date")
    assert reasons[2] == "Line 6: value “fast” is not a number."
    assert not KpiMeasurement.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"kpi,measured_at,value\nPilot adoption,2024-01-05,4\x001\n", "NUL"),
        ("kpi,measured_at,value\nPilot adoption,2024-01-05,41\n".encode("utf-16"), "NUL"),
        (b"kpi,measured_at,value\n\xe9t\xe9,2024-01-05,41\n", "not UTF-8"),
        (b"kpi,measured_at,value\n" + b"Pilot adoption,2024-01-05,41\n" * 40000, "1 MB"),
        (b"", "empty"),
        (b"name,date,amount\nPilot adoption,2024-01-05,41\n", "header"),
    ],
)
def test_it_answers_unusable_files_with_400_never_500(
    api_as, use_case, sponsor, kpis, payload, message
):
    response = api_as(sponsor).post(
        f"/api/v1/use-cases/{use_case.pk}/kpis/import/",
        {"file": csv_file(payload)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert message in str(response.json())
    assert not KpiMeasurement.objects.exists()


def test_it_reports_line_numbers_through_the_api(api_as, use_case, sponsor, kpis):
    response = api_as(sponsor).post(
        f"/api/v1/use-cases/{use_case.pk}/kpis/import/",
        {"file": csv_file("kpi,measured_at,value\nPilot adoption,2024-01-05,41\nX,2024-01-05,1\n")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["reasons"][0].startswith("Line 3:")
