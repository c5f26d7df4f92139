"""The gate pack of a recertification: named "Recertification" throughout,
the trigger with its detail, the Operation section (owner, next due date,
monitored KPIs with their drift bound and latest value, the incidents and
drift breaches since Gate 4's decision), the decommissioning checklist of a
Retire; the other gates' pack data unchanged; the query count the same at
two sizes of incidents and breaches."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gates import services as gate_services
from gates.models import Decision, GateReview, ReviewStatus, ReviewTrigger
from operations.models import DriftBreach, Incident
from readiness import services as readiness
from readiness.models import Kpi
from reporting import services
from reporting.models import PackStatus
from reporting.pack_data import pack_data
from tests.factories import UseCaseFactory
from tests.gates.helpers import advance, isolate
from tests.reporting.helpers import pdf_text, squash
from usecases.models import Status, UseCase

pytestmark = pytest.mark.django_db

DRIFT_DETAIL = "Triage accuracy 88% breaks its bound ≥ 91%"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def in_operation(lead, sponsor, techlead, cio, business_unit):
    """Claims triage at Scale after four real Go decisions, with a monitored
    KPI measured above and then below its drift bound."""
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
    )
    advance(use_case, lead, sponsor, 4)
    kpi = readiness.kpi_create(
        use_case=use_case,
        by=lead,
        name="Triage accuracy",
        kind="leading",
        target="94",
        direction="higher",
        unit="%",
    )
    # Test set-up: the drift bound is set by the operations app's service,
    # which is not on this branch.
    Kpi.objects.filter(pk=kpi.pk).update(drift_operator=">=", drift_threshold=Decimal("91"))
    today = timezone.localdate()
    readiness.kpi_measurement_record(kpi=kpi, by=lead, value="93", measured_at=today)
    use_case.refresh_from_db()
    kpi.refresh_from_db()
    return use_case, kpi


def breach(use_case, kpi, lead, value: str, review=None) -> DriftBreach:
    """A measurement below the bound and its drift breach. Test set-up: the
    operations app's drift check (not on this branch) writes the breach."""
    measurement = readiness.kpi_measurement_record(
        kpi=kpi, by=lead, value=value, measured_at=timezone.localdate()
    )
    # The drift check may have recorded it already with the measurement.
    found = DriftBreach.objects.filter(measurement=measurement).first()
    if found is not None:
        if review is not None:
            DriftBreach.objects.filter(pk=found.pk).update(review=review)
            found.refresh_from_db()
        return found
    return DriftBreach.objects.create(
        use_case=use_case,
        kpi=kpi,
        measurement=measurement,
        value=Decimal(value),
        operator=">=",
        threshold=Decimal("91"),
        review=review,
    )


def incident(use_case, by, title: str, severity: str = "high", review=None) -> Incident:
    """Test set-up: the operations app's incident service is not on this branch."""
    return Incident.objects.create(
        use_case=use_case,
        title=title,
        severity=severity,
        occurred_on=timezone.localdate(),
        description=f"{title}: three claims routed to the wrong queue.",
        reported_by=by,
        review=review,
    )


@pytest.fixture
def drift_review(in_operation, lead, sponsor):
    """The recertification a drift breach opened, with the breach and two
    incidents since Gate 4."""
    use_case, kpi = in_operation
    review = gate_services.review_open(
        use_case=use_case, by=lead, trigger=ReviewTrigger.DRIFT, trigger_detail=DRIFT_DETAIL
    )
    breach(use_case, kpi, lead, "88", review=review)
    incident(use_case, sponsor, "Wrong queue for fraud claims", review=review)
    incident(use_case, sponsor, "Late triage on Monday", severity="low")
    review.refresh_from_db()
    return review


def render(review, lead, django_capture_on_commit_callbacks) -> tuple[str, object]:
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(review=review, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason
    return squash(pdf_text(pack.file.read())), pack


def test_the_pack_data_has_the_operation(drift_review, sponsor):
    data = pack_data(drift_review)
    assert data["recertification"] == {
        "gate_label": "Recertification",
        "trigger": "drift",
        "trigger_display": "Drift breach on a monitored KPI",
        "trigger_detail": DRIFT_DETAIL,
    }
    operation = data["operation"]
    assert operation["owner"] == "Sam Sponsor"
    use_case = drift_review.use_case
    assert operation["due_on"] == use_case.recertification_due_on.strftime("%d %b %Y")
    assert operation["since_what"] == "Gate 4's decision"
    assert operation["monitored"] == [
        {
            "name": "Triage accuracy",
            "bound": "Triage accuracy ≥ 91%",
            "latest": "88%",
            "latest_on": timezone.localdate().strftime("%d %b %Y"),
            "breached": True,
        }
    ]
    assert [i["title"] for i in operation["incidents"]] == [
        "Late triage on Monday",
        "Wrong queue for fraud claims",
    ]
    assert [i["opened_this_review"] for i in operation["incidents"]] == [False, True]
    assert operation["drift_breaches"][0]["value"] == "88%"
    assert operation["drift_breaches"][0]["bound"] == "≥ 91%"
    assert "decommissioning" not in data


def test_other_gates_pack_data_is_as_before(decided_review):
    data = pack_data(decided_review)
    assert not {"recertification", "operation", "decommissioning"} & set(data)
    assert all("gate_label" not in a for a in data["artifacts"])


def test_the_pdf_names_the_recertification_its_trigger_and_the_operation(
    drift_review, lead, django_capture_on_commit_callbacks
):
    text, pack = render(drift_review, lead, django_capture_on_commit_callbacks)
    assert "RECERTIFICATION PACK" in text  # the kicker is set in capitals
    assert "Recertification: Scale in operation" in text
    assert "Gate 5" not in text
    assert f"Drift breach on a monitored KPI: {DRIFT_DETAIL}" in text
    # Table headings are set in capitals.
    assert "Operation OPENED BECAUSE" in text and "OPERATING OWNER Sam Sponsor" in text
    due = drift_review.use_case.recertification_due_on.strftime("%d %b %Y")
    assert f"NEXT RECERTIFICATION DUE {due}" in text
    assert "IN OPERATION SINCE" in text and "(Gate 4's decision)" in text
    assert "Recertification pack · for the recertification meeting" in text
    assert "Gate pack" not in text
    assert "Triage accuracy ≥ 91%" in text and "drift breach" in text
    assert "Wrong queue for fraud claims" in text and "opened this review" in text
    assert "Late triage on Monday" in text
    assert "Recertification criteria" in text
    assert pack.download_name.startswith(f"recertification-pack-{drift_review.use_case_id}-")


def test_incidents_before_operation_and_of_other_use_cases_are_left_out(
    drift_review, sponsor, business_unit
):
    use_case = drift_review.use_case
    old = incident(use_case, sponsor, "Before operation")
    # Test set-up: an incident from before Gate 4's decision.
    Incident.objects.filter(pk=old.pk).update(
        occurred_on=datetime.date(2020, 1, 1),
        reported_at=timezone.now() - datetime.timedelta(days=2000),
    )
    other = UseCaseFactory(title="Other", business_unit=business_unit, sponsor=sponsor)
    incident(other, sponsor, "Someone else's incident")
    titles = [i["title"] for i in pack_data(drift_review)["operation"]["incidents"]]
    assert "Before operation" not in titles and "Someone else's incident" not in titles
    assert len(titles) == 2


def test_a_retire_decision_prints_its_decommissioning_checklist(
    drift_review, lead, django_capture_on_commit_callbacks
):
    # Test set-up: the Retire decision service belongs to the gate engine and
    # is not on this branch; the decided review's fields and the use case's
    # status are written as it leaves them.
    GateReview.objects.filter(pk=drift_review.pk).update(
        status=ReviewStatus.DECIDED,
        decision=Decision.RETIRE,
        decided_at=timezone.now(),
        decided_by=lead,
        rationale="Accuracy cannot be restored on the new claim forms.",
        decommissioning=[
            {
                "step": 1,
                "text": "Switch off the model endpoint and its schedules.",
                "status": "done",
                "note": "Endpoint removed on the release train.",
            },
            {
                "step": 2,
                "text": "Hand the claims back to the manual triage team.",
                "status": "not_applicable",
                "note": "The team never stopped triaging by hand.",
            },
        ],
        revision=drift_review.revision + 1,
    )
    UseCase.objects.filter(pk=drift_review.use_case_id).update(status=Status.RETIRED)
    drift_review.refresh_from_db()

    data = pack_data(drift_review)
    assert [(s["status_display"], s["note"]) for s in data["decommissioning"]] == [
        ("Done", "Endpoint removed on the release train."),
        ("Not applicable", "The team never stopped triaging by hand."),
    ]
    text, _ = render(drift_review, lead, django_capture_on_commit_callbacks)
    assert "Decommissioning checklist" in text
    assert "Switch off the model endpoint and its schedules." in text
    assert "Not applicable" in text and "The team never stopped triaging by hand." in text
    assert "Retire" in text and "Retired" in text
    assert "Recertification meeting" in text


def test_the_query_count_does_not_grow_with_incidents_and_breaches(
    drift_review, in_operation, lead, sponsor
):
    use_case, kpi = in_operation

    def count() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            data = pack_data(drift_review)
        return len(queries), data

    small, data = count()
    assert len(data["operation"]["incidents"]) == 2
    for i in range(15):
        incident(use_case, sponsor, f"Incident {i}", severity="medium")
        breach(use_case, kpi, lead, str(80 + i % 5))
    large, data = count()
    assert len(data["operation"]["incidents"]) == 17
    assert len(data["operation"]["drift_breaches"]) == 16
    assert large == small
    assert large <= PACK_DATA_MAX_QUERIES


# The review read, the readiness summary and the audit excerpt of an open
# review (24), and four for the operation: the owner, the previous passing
# decision, the incidents, the drift breaches; five for the Value section
# (cost lines, benefits, multipliers, pilot, waves); one for the custom field
# definitions; 35 as measured.
PACK_DATA_MAX_QUERIES = 35
