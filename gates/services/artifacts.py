"""Uploading artifacts: versioned, never overwritten."""

from __future__ import annotations

from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from gates import rules
from gates.models import (
    OPEN_REVIEW_STATUSES,
    Artifact,
    ArtifactType,
    ReviewArtifactRequirement,
)
from gates.services._base import _lock_use_case, touch
from gates.uploads import check_upload
from usecases.models import UseCase

# --- Artifacts ---------------------------------------------------------------


@transaction.atomic
def artifact_upload(
    *,
    use_case: UseCase,
    by: Any,
    artifact_type: ArtifactType,
    file: IO[bytes],
    file_name: str | None = None,
    note: str = "",
) -> Artifact:
    """Store a new version of an artifact type for a use case. Nothing is
    stored when any check fails."""
    name = file_name if file_name is not None else getattr(file, "name", None)
    # A retired type is still taken while an open review snapshotted it as
    # required; otherwise that review could never be submitted.
    if (
        not artifact_type.is_active
        and not ReviewArtifactRequirement.objects.filter(
            review__use_case_id=use_case.pk,
            review__status__in=OPEN_REVIEW_STATUSES,
            artifact_type=artifact_type,
        ).exists()
    ):
        raise InvalidInput(
            _("“%(name)s” is no longer an artifact type of the framework.")
            % {"name": artifact_type.name},
            field="artifact_type",
        )
    if len(note) > 1000:
        raise InvalidInput(_("The note is longer than 1,000 characters."), field="note")
    checked = check_upload(file, name)
    use_case = _lock_use_case(use_case.pk)
    refusal = rules.upload_refusal(by, use_case)
    if refusal is not None:
        raise refusal
    latest = Artifact.objects.filter(use_case=use_case, artifact_type=artifact_type).aggregate(
        latest=Max("version")
    )["latest"]
    artifact = Artifact(
        use_case=use_case,
        artifact_type=artifact_type,
        version=(latest or 0) + 1,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        note=note,
        uploaded_by=by,
    )
    artifact.file.save(checked.name, File(file), save=False)
    stored_name = artifact.file.name
    storage = artifact.file.storage
    # The file reaches storage before the row; if writing the row fails, remove
    # it so a refused upload leaves nothing behind.
    try:
        if latest:
            Artifact.objects.filter(
                use_case=use_case, artifact_type=artifact_type, is_latest=True
            ).update(is_latest=False)
        artifact.save(force_insert=True)
        touch(use_case)
        audit_record(
            actor=by,
            action="artifact.uploaded",
            summary=f"Uploaded {artifact_type.name} v{artifact.version}: {checked.name}",
            use_case=use_case,
            obj=artifact,
            payload={
                "artifact_type": artifact_type.code,
                "version": artifact.version,
                "sha256": checked.sha256,
                "size": checked.size,
            },
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return artifact
