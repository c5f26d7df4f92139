"""Take use cases through real gate reviews with the services, as people would."""

from __future__ import annotations

import io

from gates import services
from gates.models import ArtifactType, AssessmentStatus, Decision, GateReview


def text_file(name: str = "evidence.md", body: str = "# Evidence\n\nFindings and figures.\n"):
    stream = io.BytesIO(body.encode())
    stream.name = name
    return stream


def upload_required(review: GateReview, by) -> list:
    artifacts = []
    for requirement in review.artifact_requirements.select_related("artifact_type"):
        artifacts.append(
            services.artifact_upload(
                use_case=review.use_case,
                by=by,
                artifact_type=requirement.artifact_type,
                file=text_file(f"{requirement.artifact_type.code}.md"),
            )
        )
    return artifacts


def assess_all(review: GateReview, by, status: str = AssessmentStatus.MET) -> None:
    for criterion in review.criteria.all():
        services.criterion_assess(
            review=review, criterion=criterion, by=by, status=status, evidence="Checked."
        )


def approve_all(review: GateReview) -> None:
    for row in review.approvers.select_related("user"):
        services.approval_record(review=review, approver=row.user, decision="approve")


def ready_for_decision(use_case, lead, sponsor, approvers=None) -> GateReview:
    review = services.review_open(use_case=use_case, by=lead, approvers=approvers)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    approve_all(review)
    review.refresh_from_db()
    return review


def pass_gate(use_case, lead, sponsor, approvers=None) -> GateReview:
    review = ready_for_decision(use_case, lead, sponsor, approvers)
    return services.gate_decide(review=review, by=lead, decision=Decision.GO, rationale="Evidence holds.")


def artifact_type(gate: int, position: int = 1) -> ArtifactType:
    return ArtifactType.objects.filter(template__number=gate).order_by("order")[position - 1]
