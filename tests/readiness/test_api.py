from __future__ import annotations

import io

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
    assert response.json()["fields"]["data_readiness"] == [
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
    assert "value" in response.json()["fields"]
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


def test_it_answers_each_part_in_the_shape_clients_know(api_as, use_case, sponsor):
    client = api_as(sponsor)
    summary = client.get(url(use_case, "readiness")).json()
    assert set(summary) == {
        "use_case",
        "stage",
        "gate_number",
        "gate_label",
        "review",
        "criteria",
        "artifacts",
        "approvals",
        "scorecard",
        "checklist",
        "kpis",
        "prioritization",
        "timing",
    }
    assert summary["gate_label"] == f"Gate {summary['gate_number']}"
    assert (summary["use_case"], summary["stage"], summary["gate_number"]) == (
        use_case.pk,
        "discovery",
        1,
    )
    assert summary["review"] is None and summary["scorecard"] is None
    assert summary["criteria"]["items"][0]["id"] is None
    assert summary["criteria"]["items"][0]["kpi_rule"] is None
    assert summary["kpis"] == {"total": 0, "measured": 0, "on_target": 0, "items": []}
    assert set(summary["timing"]) == {
        "days_in_stage",
        "norm_min_days",
        "norm_max_days",
        "overdue",
        "stalled",
        "days_since_activity",
    }

    # Not scored yet: no updated_at at all.
    prioritization = client.get(url(use_case, "prioritization")).json()
    assert set(prioritization) == {"scored", "weights", "weighted_score", "dimensions"}
    assert prioritization["scored"] is False and prioritization["weighted_score"] is None
    assert prioritization["weights"] == {d: 0.25 for d in GOOD if not d.endswith("_rationale")}
    assert prioritization["dimensions"][0] == {
        "code": "business_impact",
        "label": "Business impact",
        "score": None,
        "rationale": "",
    }
    saved = client.put(url(use_case, "prioritization"), GOOD, format="json").json()
    assert saved["scored"] is True and "updated_at" in saved
    assert saved["dimensions"][1]["score"] == 3

    scorecard = client.get(url(use_case, "scorecard")).json()
    assert {k: v for k, v in scorecard.items() if k != "items"} == {
        "scored": False,
        "version": None,
        "total": None,
        "band": None,
        "band_display": None,
        "improve_first": [],
        "scored_at": None,
        "scored_by": None,
    }
    assert set(scorecard["items"][0]) == {
        "id",
        "name",
        "excellent",
        "acceptable",
        "insufficient",
        "score",
        "comment",
    }

    checklist = client.get(url(use_case, "checklist")).json()
    assert checklist["started"] is False and checklist["total"] == 15
    first = checklist["items"][0]
    assert set(first) == {
        "id",
        "number",
        "group",
        "text",
        "status",
        "owner",
        "evidence",
        "updated_at",
    }
    assert (first["id"], first["number"], first["status"], first["owner"]) == (1, 1, "open", None)


def test_it_answers_a_kpi_and_a_measurement_with_their_values_as_written(api_as, use_case, sponsor):
    client = api_as(sponsor)
    kpi = client.post(
        url(use_case, "kpis"),
        {
            "name": "Handling time",
            "kind": "lagging",
            "unit": "min",
            "baseline": 18.5,
            "target": "12.0000",
            "direction": "lower",
        },
        format="json",
    ).json()
    assert kpi == {
        "id": kpi["id"],
        "name": "Handling time",
        "kind": "lagging",
        "unit": "min",
        "baseline": "18.5",
        "target": "12",
        "direction": "lower",
        "latest": None,
        "on_target": None,
        "points": [],
    }
    measurement = client.post(
        f"/api/v1/kpis/{kpi['id']}/measurements/",
        {"value": 11.25, "measured_at": "2020-01-02", "note": None},
        format="json",
    )
    assert measurement.status_code == 201
    assert measurement.json() == {
        "id": measurement.json()["id"],
        "kpi": kpi["id"],
        "value": "11.25",
        "measured_at": "2020-01-02",
        "note": "",
    }
    line = client.get(url(use_case, "kpis")).json()["results"][0]
    assert line["latest"] == {"value": "11.25", "measured_at": "2020-01-02", "note": ""}
    assert line["points"] == [{"measured_at": "2020-01-02", "value": "11.25"}]
    assert line["on_target"] is True


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "sideways"}, "kind", "Must be one of: leading, lagging."),
        ({"target": "lots"}, "target", "A valid number is required."),
        ({"name": ""}, "name", "This field may not be blank."),
    ],
)
def test_it_refuses_a_kpi_of_the_wrong_shape_with_400(
    api_as, use_case, sponsor, body, field, message
):
    good = {"name": "Adoption", "kind": "leading", "target": "60", "direction": "higher"}
    response = api_as(sponsor).post(url(use_case, "kpis"), {**good, **body}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field] == [message]


def test_it_patches_only_what_is_sent_and_names_a_bad_owner(
    api_as, use_case, sponsor, techlead, outsider
):
    client = api_as(sponsor)
    item = url(use_case, "checklist/3")
    done = {"status": "done", "owner": techlead.pk, "evidence": "Seen."}
    assert client.patch(item, done, format="json").status_code == 200
    body = client.patch(item, {"evidence": "Seen twice."}, format="json").json()
    row = next(i for i in body["items"] if i["number"] == 3)
    assert (row["status"], row["owner"]["id"]) == ("done", techlead.pk)
    assert row["evidence"] == "Seen twice."
    body = client.patch(item, {"owner": None}, format="json").json()
    assert next(i for i in body["items"] if i["number"] == 3)["owner"] is None

    outsider.is_active = False
    outsider.save()
    for owner in [outsider.pk, 10**9, "nobody"]:
        response = client.patch(item, {"owner": owner}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["owner"] == ["The owner must be an active user."]
    response = client.patch(item, {"status": "closed"}, format="json")
    assert response.json()["fields"]["status"] == [
        "Status must be one of: open, done, not_applicable."
    ]
    response = client.patch(url(use_case, "checklist/99"), {"status": "open"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "There is no checklist item 99."


def test_it_asks_for_the_csv_file_by_name(api_as, use_case, sponsor):
    response = api_as(sponsor).post(url(use_case, "kpis/import"), {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"]["file"] == ["Attach the CSV file as “file”."]


def test_the_page_refuses_a_csv_over_1_mb_as_the_api_does(client_as, use_case, sponsor):
    upload = io.BytesIO(b"kpi,measured_at,value\n" + b"x" * (1024 * 1024))
    upload.name = "big.csv"
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/readiness/kpis/import/", {"file": upload}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "The file is larger than 1 MB." in response.content.decode()
    assert not KpiMeasurement.objects.exists()


def test_it_binds_only_a_kpi_of_the_reviews_use_case(api_as, use_case, lead, sponsor, cio):
    from gates import services as gate_services
    from readiness import services
    from tests.factories import UseCaseFactory

    review = gate_services.review_open(use_case=use_case, by=lead)
    criterion = review.criteria.first()
    foreign = services.kpi_create(
        use_case=UseCaseFactory(sponsor=sponsor),
        by=sponsor,
        name="Foreign",
        kind="leading",
        target="1",
        direction="higher",
    )
    rule_url = f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/kpi-rule/"
    client = api_as(sponsor)
    body = {"kpi": foreign.pk, "operator": ">=", "threshold": "1"}
    response = client.put(rule_url, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["kpi"] == ["Name a KPI of this use case."]
    kpi = services.kpi_create(
        use_case=use_case, by=sponsor, name="Own", kind="leading", target="1", direction="higher"
    )
    body = {"kpi": kpi.pk, "operator": "==", "threshold": "1"}
    response = client.put(rule_url, body, format="json")
    assert response.json()["fields"]["operator"] == ["Must be one of: >=, <=."]
    body = {"kpi": kpi.pk, "operator": "<=", "threshold": 2.5}
    response = client.put(rule_url, body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "criterion": criterion.pk,
        "kpi": kpi.pk,
        "operator": "<=",
        "threshold": "2.5",
        "status": "pending",
        "evidence": "",
    }


def test_it_saves_a_scorecard_version_and_answers_with_its_band(
    api_as, use_case, lead, sponsor, cio
):
    from tests.readiness.helpers import to_poc

    to_poc(use_case, lead, sponsor)
    client = api_as(sponsor)
    items = client.get(url(use_case, "scorecard")).json()["items"]
    scores = [{"item": i["id"], "score": 3} for i in items]
    scores[0]["comment"] = "Below target."
    response = client.put(url(use_case, "scorecard"), {"scores": scores}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["scored"], body["version"], body["total"], body["band"]) == (
        True,
        1,
        18,
        "conditional",
    )
    assert body["scored_by"] == (sponsor.get_full_name() or sponsor.get_username())
    assert (body["items"][0]["score"], body["items"][0]["comment"]) == (3, "Below target.")
    response = client.put(
        url(use_case, "scorecard"), {"scores": [{"item": "first", "score": 9}]}, format="json"
    )
    assert response.status_code == 400
    errors = str(response.json()["fields"])
    assert "A valid integer is required." in errors
    assert "A score must be a whole number from 1 to 5." in errors
