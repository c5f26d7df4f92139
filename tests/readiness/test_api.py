from __future__ import annotations

import pytest

from readiness.models import KpiMeasurement, Prioritization

GOOD = {
    "business_impact": 5,
    "business_impact_rationale": "Saves 4,000 analyst hours a year.",
    "data_readiness": 3,
    "data_readiness_rationale": "Ticket export exists; labels are patchy.",
    "technical_feasibility": 4,
    "technical_feasibility_rationale": "Text classification is well understood.",
    "organisational_readiness": 2,
    "organisational_readiness_rationale": "Team leads are sceptical.",
}


def url(use_case, tail):
    return f"/api/v1/use-cases/{use_case.pk}/{tail}/"


def test_it_saves_the_prioritization_with_its_weighted_score(api_as, use_case, contributor):
    response = api_as(contributor).put(url(use_case, "prioritization"), GOOD, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["weighted_score"] == "3.50"
    assert Prioritization.objects.get(use_case=use_case).business_impact == 5


def test_it_weighs_the_score_with_the_setting(api_as, use_case, sponsor, settings):
    settings.PRIORITIZATION_WEIGHTS = {
        "business_impact": 0.4,
        "data_readiness": 0.2,
        "technical_feasibility": 0.2,
        "organisational_readiness": 0.2,
    }
    response = api_as(sponsor).put(url(use_case, "prioritization"), GOOD, format="json")
    assert response.json()["weighted_score"] == "3.80"


@pytest.mark.parametrize("bad", [0, 6, "5.5", None, True])
def test_it_refuses_a_score_out_of_range_with_400_and_a_field_message(
    api_as, use_case, sponsor, bad
):
    response = api_as(sponsor).put(
        url(use_case, "prioritization"), {**GOOD, "data_readiness": bad}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["data_readiness"] == [
        "Data readiness must be a whole number from 1 to 5."
    ]
    assert not Prioritization.objects.exists()


def test_it_hides_the_use_case_from_an_outsider(api_as, use_case, outsider):
    client = api_as(outsider)
    for tail in ["readiness", "prioritization", "scorecard", "checklist", "kpis"]:
        assert client.get(url(use_case, tail)).status_code == 404
    assert client.put(url(use_case, "prioritization"), GOOD, format="json").status_code == 404
    assert client.patch(url(use_case, "checklist/1"), {}, format="json").status_code == 404


def test_it_lets_an_executive_read_but_not_write(api_as, use_case, executive):
    client = api_as(executive)
    assert client.get(url(use_case, "readiness")).status_code == 200
    response = client.put(url(use_case, "prioritization"), GOOD, format="json")
    assert response.status_code == 403
    response = client.patch(url(use_case, "checklist/8"), {"status": "open"}, format="json")
    assert response.status_code == 403
    response = client.post(url(use_case, "kpis"), {"name": "x"}, format="json")
    assert response.status_code == 403


def test_it_refuses_nul_characters_with_400(api_as, use_case, sponsor):
    response = api_as(sponsor).put(
        url(use_case, "prioritization"),
        {**GOOD, "data_readiness_rationale": "bad\x00text"},
        format="json",
    )
    assert response.status_code == 400


def test_it_patches_a_checklist_item_by_number(api_as, use_case, sponsor, techlead):
    response = api_as(sponsor).patch(
        url(use_case, "checklist/8"),
        {"status": "done", "owner": techlead.pk, "evidence": "Runbook §4."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    item = next(i for i in body["items"] if i["number"] == 8)
    assert (item["status"], item["owner"]["username"]) == ("done", "techlead")
    assert body["started"] is True
    assert "Fallback procedures for outages established" not in body["open_items"]


def test_it_refuses_a_scorecard_outside_poc_with_409(api_as, use_case, sponsor):
    items = api_as(sponsor).get(url(use_case, "scorecard")).json()["items"]
    assert items[0]["excellent"] == "Exceeded target by 20%+"
    payload = {"scores": [{"item": i["id"], "score": 3} for i in items]}
    response = api_as(sponsor).put(url(use_case, "scorecard"), payload, format="json")
    assert response.status_code == 409
    assert "scored while the use case is in POC" in response.json()["detail"]


def test_it_creates_kpis_and_records_measurements(api_as, use_case, sponsor):
    client = api_as(sponsor)
    response = client.post(
        url(use_case, "kpis"),
        {
            "name": "Pilot adoption",
            "kind": "leading",
            "unit": "%",
            "target": "60",
            "direction": "higher",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    kpi_id = response.json()["id"]
    response = client.post(
        f"/api/v1/kpis/{kpi_id}/measurements/",
        {"value": "64", "measured_at": "2020-01-02"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = client.get(url(use_case, "kpis")).json()["results"][0]
    assert body["latest"]["value"] == "64"
    assert body["on_target"] is True
    response = client.post(
        f"/api/v1/kpis/{kpi_id}/measurements/",
        {"value": "NaN", "measured_at": "2020-01-02"},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()
    assert KpiMeasurement.objects.count() == 1


def test_it_annotates_the_priority_score_for_sorting(use_case, sponsor, business_unit):
    from django.db.models import F

    from readiness import services
    from readiness.selectors import annotate_priority_score
    from tests.factories import UseCaseFactory
    from usecases.models import UseCase

    unscored = UseCaseFactory(business_unit=business_unit)
    services.prioritization_save(
        use_case=use_case,
        by=sponsor,
        scores={k: GOOD[k] for k in GOOD if not k.endswith("_rationale")},
        rationales={
            k.removesuffix("_rationale"): v for k, v in GOOD.items() if k.endswith("_rationale")
        },
    )
    rows = list(
        annotate_priority_score(UseCase.objects.all())
        .order_by(F("priority_score").desc(nulls_last=True))
        .values_list("pk", "priority_score")
    )
    assert rows == [(use_case.pk, 3.5), (unscored.pk, None)]
