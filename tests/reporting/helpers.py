"""Build reviews worth a gate pack, through the real services."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone

from gates import services
from gates.models import AssessmentStatus, Decision, GateReview
from readiness import services as readiness
from readiness.models import ScorecardItem
from tests.gates.helpers import pass_gate, upload_required


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def squash(text: str) -> str:
    """Text with every run of whitespace collapsed, so a name broken across
    lines by the layout still matches."""
    return " ".join(text.split())


def make_decided_review(use_case, lead, sponsor, *, decide: bool = True) -> GateReview:
    """A Gate 2 review (POC → Pilot, after a real Gate 1 Go) with evidence,
    approvals with comments, the PoC scorecard, a KPI with measurements, the
    readiness checklist started and (when ``decide``) a Conditional Go with a
    condition."""
    pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    for index, criterion in enumerate(review.criteria.all(), start=1):
        services.criterion_assess(
            review=review,
            criterion=criterion,
            by=sponsor,
            status=AssessmentStatus.MET,
            evidence=f"Evidence {index}: measured on the March sample of 1,200 claims.",
        )
    services.review_submit(review=review, by=sponsor)
    for row in review.approvers.select_related("user"):
        services.approval_record(
            review=review,
            approver=row.user,
            decision="approve_with_conditions",
            comment=f"{row.user.first_name} agrees if the data owner signs off.",
            conditions=[
                {
                    "description": "The data owner signs off the retention policy.",
                    "owner": sponsor,
                    "due_date": timezone.localdate() + datetime.timedelta(days=30),
                }
            ],
        )
    items = list(ScorecardItem.objects.filter(is_active=True))
    readiness.scorecard_save(
        use_case=use_case,
        by=lead,
        scores={item.pk: 4 for item in items},
        comments={item.pk: "Solid." for item in items},
    )
    kpi = readiness.kpi_create(
        use_case=use_case,
        by=lead,
        name="Triage accuracy",
        kind="leading",
        target="90",
        direction="higher",
        unit="%",
        baseline="70",
    )
    for day, value in enumerate(["72", "80", "85", "91"], start=1):
        readiness.kpi_measurement_record(
            kpi=kpi, by=lead, value=value, measured_at=datetime.date(2025, 3, day)
        )
    readiness.checklist_start(use_case=use_case, by=lead)
    review.refresh_from_db()
    if decide:
        services.gate_decide(
            review=review,
            by=lead,
            decision=Decision.CONDITIONAL_GO,
            rationale="The PoC holds on the sample; go on with conditions.",
            conditions=[
                {
                    "description": "Data owner signs the data sharing agreement.",
                    "owner": sponsor,
                    "due_date": datetime.date.today() + datetime.timedelta(days=30),
                }
            ],
        )
        review.refresh_from_db()
    return review
