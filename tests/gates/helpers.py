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
    """Assess by hand every criterion that is not assessed from a KPI rule."""
    for criterion in review.criteria.filter(kpi_rule__isnull=True):
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
    if review.gate_number == 2:
        score_poc(use_case, lead)
    if review.gate_number == 3:
        complete_readiness_checklist(use_case, lead)
    return services.gate_decide(
        review=review, by=lead, decision=Decision.GO, rationale="Evidence holds."
    )


def artifact_type(gate: int, position: int = 1) -> ArtifactType:
    return ArtifactType.objects.filter(template__number=gate).order_by("order")[position - 1]


# --- Appended for the service-level tests of the gate engine -----------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def ooxml_bytes(part: str = "word/document.xml") -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml plus one part
    (word/document.xml for DOCX, xl/workbook.xml for XLSX, ppt/presentation.xml
    for PPTX)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr(part, '<?xml version="1.0" encoding="UTF-8"?><root/>')
    return buffer.getvalue()


def named_file(name: str, content: bytes) -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def files_under(root) -> list:
    """Every file stored below a directory (MEDIA_ROOT), as sorted paths."""
    from pathlib import Path

    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def make_open_review(use_case, lead, approvers=None) -> GateReview:
    return services.review_open(use_case=use_case, by=lead, approvers=approvers)


def make_submitted_review(use_case, lead, sponsor, approvers=None) -> GateReview:
    """Open the next gate's review, upload every required artifact, assess every
    criterion as met and submit it: ready for approvals."""
    review = services.review_open(use_case=use_case, by=lead, approvers=approvers)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    review.refresh_from_db()
    return review


def advance(use_case, lead, sponsor, gates: int) -> None:
    """Take the use case through ``gates`` real Go decisions."""
    for _ in range(gates):
        pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()


def audit_actions(use_case=None) -> list[str]:
    from core.models import AuditEvent

    events = AuditEvent.objects.order_by("seq")
    if use_case is not None:
        events = events.filter(use_case=use_case)
    return list(events.values_list("action", flat=True))


def isolate(settings, tmp_path):
    """Per test: artifacts go to a fresh MEDIA_ROOT under tmp_path, and the
    named users' passwords hash fast (PBKDF2 would cost ~0.3 s per user).
    The readiness app's Gate 3 checklist condition is switched off: these tests
    are about the gate engine; test_gate_decide checks the hook once with it on."""
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def complete_readiness_checklist(use_case, by) -> None:
    """Mark every active production readiness item done (the Gate 3 Go check
    the readiness app registers), as a program lead would."""
    from readiness import services as readiness_services
    from readiness.models import ChecklistItemDefinition, ChecklistStatus

    for definition in ChecklistItemDefinition.objects.filter(is_active=True):
        readiness_services.checklist_item_update(
            use_case=use_case,
            item=definition,
            by=by,
            status=ChecklistStatus.DONE,
            evidence="Reviewed in the readiness workshop.",
        )


def score_poc(use_case, by, scores: list[int] | None = None):
    """Score the PoC as a program lead would before Gate 2 (the template
    enforces the scorecard's bands there): 4 on each of the six items (24/30,
    Go) unless ``scores`` (in item order) say otherwise."""
    from readiness import services as readiness_services
    from readiness.models import ScorecardItem

    items = list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))
    scores = scores or [4] * len(items)
    return readiness_services.scorecard_save(
        use_case=use_case,
        by=by,
        scores={item.pk: score for item, score in zip(items, scores, strict=True)},
    )


# What a Kill or a Retire names: a reason of the default taxonomy and the lessons.
KILL_EXIT = {
    "exit_reason": "no-business-value",
    "lessons_learned": "Agree the value case with the business before building.",
}
RETIRE_EXIT = {
    "exit_reason": "replaced",
    "lessons_learned": "Plan the successor's rollout before the recertification falls due.",
}
