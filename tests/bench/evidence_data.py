"""Evidence for the scale data set, so the dashboard's expiring evidence
reads what a real portfolio holds: every artifact type of each gate a use
case has passed, and about half of those of the gate ahead, uploaded across
the months it spent in each stage; the types with a validity (the risk
assessments) in one to three versions, only the newest the latest, so that
some are current, some expiring and some long expired.

Bulk-created once and kept, like the rest of the data set, with no file
behind the rows (the dashboard never opens one): acceptable ONLY for this
benchmark. Real uploads go through ``gates.services.artifact_upload``."""

from __future__ import annotations

import datetime
import random
from typing import Any

SEED = 27
BATCH = 5_000


def ensure_evidence_data(ctx: Any) -> None:
    from django.db import transaction
    from django.utils import timezone

    from gates.models import Artifact, ArtifactType
    from usecases.models import Stage, UseCase

    bench = {"use_case__business_unit__code__startswith": "bench-"}
    if Artifact.objects.filter(**bench).count() > 1000:
        return
    print("bench: adding evidence to the portfolio (once)", flush=True)
    rng = random.Random(SEED)
    now = timezone.now()
    order = Stage.ordered()
    types: dict[str, list[tuple[int, int | None]]] = {}
    for type_id, from_stage, months in ArtifactType.objects.filter(is_active=True).values_list(
        "pk", "template__from_stage", "validity_months"
    ):
        types.setdefault(from_stage, []).append((type_id, months))
    uploader = ctx.dataset.sponsor or ctx.dataset.lead
    # The scenarios' own uploads (review pages, uploads) stay as they are.
    taken = set(Artifact.objects.filter(**bench).values_list("use_case_id", "artifact_type_id"))
    rows = []
    use_cases = UseCase.objects.filter(business_unit__code__startswith="bench-").values_list(
        "pk", "stage", "stage_entered_at"
    )
    for pk, stage, entered in use_cases:
        reached = order.index(Stage(stage))
        for index, at in enumerate(order):
            if index > reached:
                break
            ahead = index == reached
            for type_id, months in types.get(at, []):
                if (ahead and rng.random() < 0.5) or (pk, type_id) in taken:
                    continue
                # Passed gates' evidence before the stage was entered; the gate
                # ahead's since.
                days_back = (now - entered).days
                first = now - datetime.timedelta(
                    days=days_back + 30 * (reached - index) + rng.randint(0, 60)
                    if not ahead
                    else rng.randint(0, max(days_back, 1))
                )
                versions = rng.randint(1, 3) if months else 1
                for version in range(1, versions + 1):
                    uploaded = first + (now - first) * (version - 1) / versions
                    rows.append(
                        Artifact(
                            use_case_id=pk,
                            artifact_type_id=type_id,
                            version=version,
                            file=f"artifacts/{pk}/bench-{type_id}-{version}",
                            original_name=f"evidence-v{version}.pdf",
                            content_type="application/pdf",
                            size=40_000 + rng.randint(0, 400_000),
                            sha256="0" * 64,
                            uploaded_by=uploader,
                            is_latest=version == versions,
                        )
                    )
                    rows[-1].uploaded_at = uploaded
    # Each row's own upload time, not the moment of the bulk insert.
    field = Artifact._meta.get_field("uploaded_at")
    field.auto_now_add = False
    try:
        with transaction.atomic():
            created = Artifact.objects.bulk_create(rows, batch_size=BATCH)
    finally:
        field.auto_now_add = True
    print(f"bench: {len(created):,} artifacts", flush=True)
