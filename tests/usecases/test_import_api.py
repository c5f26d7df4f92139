"""POST /api/v1/use-cases/import/: the dry run's report, the import's ids, the
refusal's 400 with the same report, typed in the schema."""

from __future__ import annotations

import pytest

from tests.schema_typing import untyped_requests, untyped_responses
from tests.usecases.import_files import HEADER, csv_file, xlsx_file
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

URL = "/api/v1/use-cases/import/"
GOOD = ["Claims intake bot", "Reads claim forms.", "claims", "techlead"]
BAD = ["Fraud scoring", "Scores claims.", "claims", "nobody"]


def test_a_dry_run_answers_the_report_and_creates_nothing(api_as, sponsor, business_unit, techlead):
    response = api_as(sponsor).post(
        URL, {"file": xlsx_file([HEADER, GOOD, BAD]), "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "dry_run": True,
        "rows": 2,
        "created": [],
        "problems": [
            {
                "row": 3,
                "column": "technical_lead",
                "message": "No active person has the username or e-mail address “nobody”.",
            }
        ],
    }
    assert not UseCase.objects.exists()


def test_an_import_with_a_bad_row_is_a_400_with_the_report(api_as, sponsor, business_unit):
    response = api_as(sponsor).post(
        URL, {"file": csv_file([HEADER, GOOD, BAD]), "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The file has 2 problems; nothing was imported."
    assert body["dry_run"] is False and body["created"] == []
    assert {(p["row"], p["column"]) for p in body["problems"]} == {
        (2, "technical_lead"),
        (3, "technical_lead"),
    }
    assert "file" in body["fields"]
    assert not UseCase.objects.exists()


def test_an_import_answers_201_with_the_new_ids(api_as, sponsor, business_unit, techlead):
    response = api_as(sponsor).post(
        URL, {"file": csv_file([HEADER, GOOD]), "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == list(UseCase.objects.values_list("pk", flat=True))


def test_a_file_that_cannot_be_read_is_a_400_on_file(api_as, sponsor, business_unit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_as(sponsor).post(
        URL,
        {"file": SimpleUploadedFile("cases.txt", b"title"), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["file"] == [
        "Upload a .csv or .xlsx file (the template shows the columns)."
    ]


def test_people_who_may_not_propose_are_refused(api_as, executive):
    response = api_as(executive).post(
        URL, {"file": csv_file([HEADER, GOOD]), "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 403


def test_the_import_is_typed_in_the_schema(schema):
    paths = ["/api/v1/use-cases/import/"]
    assert untyped_requests(schema, paths) == []
    assert untyped_responses(schema, paths) == []
    operation = schema["paths"][paths[0]]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    assert body.endswith("/UseCaseImportInputRequest")
    refused = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][refused.rsplit("/", 1)[1]]
    assert {"detail", "reasons", "fields", "dry_run", "rows", "created", "problems"} <= set(
        component["properties"]
    )
    assert set(operation["responses"]) >= {"200", "201", "400", "403", "429"}


def test_the_page_and_the_api_share_the_import_allowance(
    settings, api_as, client_as, sponsor, business_unit
):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"pack_requests": "30/hour", "imports": "2/hour"},
    }
    api = api_as(sponsor)
    file = [HEADER, ["Claims intake bot", "Reads claim forms.", "claims", ""]]
    assert api.post(URL, {"file": csv_file(file), "dry_run": "true"}).status_code == 200
    page = client_as(sponsor).post("/use-cases/import/", {"file": csv_file(file)})
    assert page.status_code == 200
    response = api.post(URL, {"file": csv_file(file), "dry_run": "true"})
    assert response.status_code == 429
    assert response.json()["reasons"] == ["Each person may make at most 2 imports per hour."]
    assert int(response["Retry-After"]) > 3500
    page = client_as(sponsor).post("/use-cases/import/", {"file": csv_file(file)})
    assert page.status_code == 429
    assert "Too many imports" in page.content.decode()
    cache.clear()
