"""The controls crosswalk of a use case (page and API), the applicability
reasons and cited controls on the review page and endpoint, the preview of
what a use case will face before its review opens, and the pack's "Controls
covered"."""

from __future__ import annotations

import pytest

from gates import services
from gates.models import ArtifactType, Control, ReviewCriterion
from reporting import services as reporting
from reporting.models import GatePack, PackStatus
from tests.gates.helpers import PDF_BYTES, isolate, named_file, text_file
from tests.reporting.helpers import pdf_text, squash

pytestmark = pytest.mark.django_db

WHY = "Applies: EU AI Act and high risk"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def regulated_review(eu_high, lead, sponsor):
    """Gate 3 open for the EU AI Act high-risk use case: the fundamental rights
    impact assessment uploaded, human oversight assessed as met."""
    review = services.review_open(use_case=eu_high, by=lead)
    services.artifact_upload(
        use_case=eu_high,
        by=sponsor,
        artifact_type=ArtifactType.objects.get(code="g3-fundamental-rights-impact-assessment"),
        file=text_file("fria.md"),
    )
    services.criterion_assess(
        review=review,
        criterion=review.criteria.get(name="Human oversight"),
        by=sponsor,
        status="met",
        evidence="Oversight board named; stop procedure rehearsed.",
    )
    return review


def row_of(payload: dict, framework: str, reference: str) -> dict:
    group = next(g for g in payload["frameworks"] if g["framework"] == framework)
    return next(r for r in group["controls"] if r["control"]["reference"] == reference)


def test_the_crosswalk_page_lists_each_control_with_its_evidence(
    client_as, lead, eu_high, regulated_review
):
    response = client_as(lead).get(f"/use-cases/{eu_high.pk}/controls/")

    assert response.status_code == 200
    html = response.content.decode()
    for heading in ["EU AI Act", "ISO/IEC 42001", "NIST AI RMF"]:
        assert f">{heading}</h2>" in html
    assert "Art. 27</span> Fundamental rights impact assessment for high-risk AI systems" in html
    assert "v1 fria.md" in html
    assert "Oversight board named; stop procedure rehearsed." in html
    assert f"Gate 3 review #{regulated_review.pk}" in html
    # Logging is asked for but nothing evidences it yet.
    assert "Art. 12</span> Record-keeping" in html
    assert "No evidence yet" in html
    # The use case page links the crosswalk.
    page = client_as(lead).get(f"/use-cases/{eu_high.pk}/").content.decode()
    assert f'href="/use-cases/{eu_high.pk}/controls/"' in page


def test_the_crosswalk_api_is_typed_with_evidence_and_gaps(api_as, lead, eu_high, regulated_review):
    response = api_as(lead).get(f"/api/v1/use-cases/{eu_high.pk}/controls/")

    assert response.status_code == 200
    payload = response.json()
    fria = row_of(payload, "eu_ai_act", "Art. 27")
    assert fria["covered"] is True
    artifact = fria["artifacts"][0]
    assert artifact["artifact_type"]["code"] == "g3-fundamental-rights-impact-assessment"
    assert artifact["artifact"]["version"] == 1
    assert artifact["applicability"] == WHY
    assert artifact["review"] == {
        "id": regulated_review.pk,
        "gate_number": 3,
        "gate_label": "Gate 3",
        "status": "open",
        "decision": "",
    }
    assert artifact["download_url"].startswith("/api/v1/artifacts/")
    oversight = row_of(payload, "eu_ai_act", "Art. 14")
    assert oversight["covered"] is True
    assert oversight["criteria"][0]["evidence"].startswith("Oversight board named")
    assert oversight["criteria"][0]["status"] == "met"
    logging = row_of(payload, "eu_ai_act", "Art. 12")
    assert logging["covered"] is False
    # Gate 4 is not reviewed yet: its criterion citing MANAGE 4.1 is listed as upcoming.
    manage = row_of(payload, "nist_ai_rmf", "MANAGE 4.1")
    assert {
        "gate_number": 4,
        "gate_label": "Gate 4",
        "asks_for": "criterion",
        "name": "Sustainability",
        "reason": "",
    } in manage["upcoming"]
    assert payload["covered_count"] == sum(
        r["covered"] for g in payload["frameworks"] for r in g["controls"]
    )


def test_a_low_risk_use_case_cites_no_eu_ai_act_high_risk_article(api_as, lead, low):
    services.review_open(use_case=low, by=lead)

    payload = api_as(lead).get(f"/api/v1/use-cases/{low.pk}/controls/").json()

    references = {r["control"]["reference"] for g in payload["frameworks"] for r in g["controls"]}
    assert "Art. 27" not in references and "Art. 14" not in references
    # The framework's own risk assessment still maps to Art. 9.
    assert "Art. 9" in references


def test_an_outsider_sees_neither_the_page_nor_the_api(client_as, api_as, outsider, eu_high):
    assert client_as(outsider).get(f"/use-cases/{eu_high.pk}/controls/").status_code == 404
    assert api_as(outsider).get(f"/api/v1/use-cases/{eu_high.pk}/controls/").status_code == 404


def test_the_controls_api_lists_every_control_in_reading_order(api_as, outsider):
    payload = api_as(outsider).get("/api/v1/controls/").json()

    assert len(payload) == Control.objects.count()
    eu = [c["reference"] for c in payload if c["framework"] == "eu_ai_act"]
    assert eu[:3] == ["Art. 9", "Art. 10", "Art. 11"]
    assert payload[0]["framework_label"] == "EU AI Act"


def grow(review, sponsor, size: int) -> None:
    """``size`` criteria citing two controls each, ``size // 5`` more artifact versions."""
    controls = list(Control.objects.all()[:10])
    rows = ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            review=review,
            order=100 + i,
            name=f"Extra criterion {i}",
            requirement="Evidence the control.",
            status="met" if i % 2 else "pending",
            evidence="Shown." if i % 2 else "",
            applicability=WHY,
        )
        for i in range(size)
    )
    Link = ReviewCriterion.controls.through
    Link.objects.bulk_create(
        Link(reviewcriterion_id=row.pk, control_id=controls[(i + k) % 10].pk)
        for i, row in enumerate(rows)
        for k in range(2)
    )
    types = [r.artifact_type for r in review.artifact_requirements.select_related("artifact_type")]
    for i in range(size // 5):
        services.artifact_upload(
            use_case=review.use_case,
            by=sponsor,
            artifact_type=types[i % len(types)],
            file=named_file(f"evidence-{i}.pdf", PDF_BYTES),
        )


# The same bound at both sizes. Measured: page 17 (the crosswalk's eleven,
# then the session, the user, the use case, the bell), API 13.
CROSSWALK_PAGE_MAX_QUERIES = 17
CROSSWALK_API_MAX_QUERIES = 13


@pytest.mark.parametrize("size", [5, 50])
def test_the_crosswalk_reads_in_fixed_queries(
    client_as, api_as, lead, sponsor, eu_high, regulated_review, size, django_assert_max_num_queries
):
    grow(regulated_review, sponsor, size)
    page, api = client_as(lead), api_as(lead)

    with django_assert_max_num_queries(CROSSWALK_PAGE_MAX_QUERIES):
        assert page.get(f"/use-cases/{eu_high.pk}/controls/").status_code == 200
    with django_assert_max_num_queries(CROSSWALK_API_MAX_QUERIES):
        assert api.get(f"/api/v1/use-cases/{eu_high.pk}/controls/").status_code == 200


def test_the_review_page_and_endpoint_say_why_and_cite_controls(
    client_as, api_as, lead, regulated_review
):
    html = client_as(lead).get(f"/reviews/{regulated_review.pk}/").content.decode()

    assert f"Why: {WHY}" in html
    assert "EU AI Act Art. 14" in html
    assert "NIST AI RMF GOVERN 3.2" in html
    payload = api_as(lead).get(f"/api/v1/reviews/{regulated_review.pk}/").json()
    oversight = next(c for c in payload["criteria"] if c["name"] == "Human oversight")
    assert oversight["applicability"] == WHY
    assert {c["reference"] for c in oversight["controls"]} == {"Art. 14", "GOVERN 3.2"}
    stability = next(c for c in payload["criteria"] if c["name"] == "System stability")
    assert stability["applicability"] == ""
    plan = next(
        r
        for r in payload["required_artifacts"]
        if r["artifact_type"]["code"] == "g3-human-oversight-plan"
    )
    assert plan["applicability"] == WHY
    assert plan["present"] is False
    assert [c["reference"] for c in plan["controls"]] == ["Art. 14", "GOVERN 3.2"] or {
        c["reference"] for c in plan["controls"]
    } == {"Art. 14", "GOVERN 3.2"}


def test_the_open_review_page_and_gate_panel_preview_the_extra_evidence(
    client_as, lead, eu_high, low
):
    html = client_as(lead).get(f"/use-cases/{eu_high.pk}/open-review/").content.decode()

    assert "this one will also face" in html
    assert (
        f'Criterion <strong>Fundamental rights impact</strong>: <span class="why">{WHY}</span>'
        in html
    )
    assert f'Artifact <strong>Human oversight plan</strong>: <span class="why">{WHY}</span>' in html
    panel = client_as(lead).get(f"/use-cases/{eu_high.pk}/").content.decode()
    assert "Artifact <strong>Logging and record-keeping evidence</strong>" in panel
    plain = client_as(lead).get(f"/use-cases/{low.pk}/open-review/").content.decode()
    assert "this one will also face" not in plain
    assert "faces the gate's standard criteria and artifacts" in plain


def test_the_pack_prints_the_controls_covered_and_why_criteria_apply(
    lead, regulated_review, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = reporting.pack_request(review=regulated_review, by=lead)
    pack = GatePack.objects.get(pk=result.pack.pk)
    assert pack.status == PackStatus.READY, pack.failure_reason

    text = squash(pdf_text(pack.file.read()))
    assert "Controls covered" in text
    assert "Fundamental rights impact assessment: v1 fria.md" in text
    assert "Human oversight plan: not uploaded" in text
    assert f"Why: {WHY}" in text


def test_the_gate_templates_api_shows_each_rule_and_its_controls(api_as, sponsor):
    gates = api_as(sponsor).get("/api/v1/gate-templates/").json()

    gate3 = next(g for g in gates if g["number"] == 3)
    plan = next(t for t in gate3["artifact_types"] if t["code"] == "g3-human-oversight-plan")
    assert plan["applies_when"] == {"risk_tiers": ["high"], "regulations": ["eu_ai_act"]}
    assert {c["reference"] for c in plan["controls"]} == {"Art. 14", "GOVERN 3.2"}
    stability = next(c for c in gate3["criteria"] if c["name"] == "System stability")
    assert stability["applies_when"] == {}
