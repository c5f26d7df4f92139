"""Reads of the reporting app: which packs a viewer may see, the review page's
pack panel and its staleness, and the portfolio export. The pack's data is
``reporting.pack_data``, the executive dashboard ``reporting.dashboard_read``.

Query counts stay fixed whatever the number of use cases or packs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Window
from django.http import Http404
from django.utils import timezone, translation

from core.cache import read_through
from core.models import AuditEvent
from core.web import display_name
from gates.models import GateReview
from readiness.selectors import annotate_overdue_stalled, annotate_priority_score
from reporting import pdf, rules
from reporting.models import IN_PROGRESS_STATUSES, GatePack
from reporting.pack_data import pack_data
from usecases import access, custom_fields
from usecases.models import CustomFieldKind, MemberRole, RiskTier, Stage, Status, UseCaseMember

User = get_user_model()

PANEL_PACKS = 10


# --- Visibility -----------------------------------------------------------------


def visible_pack(user: Any, pack_id: int) -> GatePack:
    """The pack if its use case is visible to ``user``; 404 otherwise."""
    try:
        return (
            GatePack.objects.filter(access.rows_visible_to(user, "review__use_case_id"))
            .with_stale()
            .select_related("review", "review__use_case", "requested_by")
            .get(pk=pack_id)
        )
    except GatePack.DoesNotExist:
        raise Http404("No such pack.") from None


def packs_of_review(review: GateReview, limit: int | None = PANEL_PACKS) -> list[GatePack]:
    packs = (
        GatePack.objects.filter(review=review)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")
    )
    if limit:
        # The total comes with the rows: a window runs before the LIMIT.
        packs = packs.annotate(total=Window(Count("id")))[:limit]
    packs = list(packs)
    for pack in packs:
        pack.review = review  # for download_name without a query
    mark_stale(packs, review)
    return packs


def mark_stale(packs: list[GatePack], review: GateReview) -> None:
    """Mark each pack of ``review`` stale when the review's pack data has
    changed since: its content hash differs from the hash of the pack data
    now, the same comparison ``services.pack_request`` makes. So anything
    the pack shows (a condition closed or added, an assessment, a KPI
    measurement) makes the older packs stale. One read of the pack data
    (about 20 queries) serves every pack; none when there is no pack."""
    if not packs:
        return
    # The pack data holds labels in the pack's language, so each language's
    # packs are compared with the data read in that language (usually one).
    digests = current_digests(review, {p.language for p in packs})
    for pack in packs:
        pack.stale = pack.content_hash != digests[pack.language]


def current_digests(review: GateReview, languages: set[str]) -> dict[str, str]:
    """``pack_digest`` in each of ``languages``, kept for
    ``PACK_STALENESS_CACHE_SECONDS`` under the use case's newest audit event:
    every recorded change of the use case (an assessment, an artifact, an
    approval, a condition, a decision, a KPI measurement, an edit) is an
    event of it, so the first view after one reads the pack data again. One
    indexed query instead of the pack data's twenty when nothing was
    recorded since. What changes the data without an event of the use case
    (a person's or a unit's name, a definition an administrator edits, the
    date) shows within those seconds. Requesting a pack always reads the
    data itself (``services.pack_request``)."""
    seconds = settings.PACK_STALENESS_CACHE_SECONDS
    if seconds <= 0:
        return {language: pack_digest(review, language) for language in languages}
    # Read before the data: a change committed in between moves the key
    # onward, so no reader can find an older state's digest under a newer key.
    newest = (
        AuditEvent.objects.filter(use_case_id=review.use_case_id)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    stamp = (newest, timezone.localdate(), timezone.get_current_timezone_name())
    return {
        language: read_through(
            ":".join(map(str, ("pack-digest", review.pk, review.revision, language, *stamp))),
            lambda language=language: pack_digest(review, language),
            timeout=seconds,
        )
        for language in languages
    }


def pack_language(language: str | None = None) -> str:
    """The language a pack is written in: ``language`` (by default the one
    active now, the requester's) when the application offers it, else the
    default language."""
    try:
        return translation.get_supported_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return settings.LANGUAGE_CODE


def pack_digest(review: GateReview, language: str) -> str:
    """The content hash of the review's pack data as a pack in ``language``
    shows it (labels such as statuses and decisions are read translated)."""
    with translation.override(language):
        return pdf.content_hash(pack_data(review))


def pack_panel(*, review: GateReview, user: Any, is_approver: bool | None = None) -> dict[str, Any]:
    """The context of ``reporting/partials/pack_panel.html``: the review's
    latest packs, whether the viewer may request one, and whether the panel
    should keep polling (only while a pack is queued or being generated).
    The caller has checked that ``user`` sees the review; a caller that has
    the review's approvers at hand passes ``is_approver`` and saves a query."""
    packs = packs_of_review(review)
    return {
        "pack_review": review,
        "packs": packs,
        "pack_total": packs[0].total if packs else 0,
        "pack_can_request": rules.can_request_pack(user, review, is_approver=is_approver),
        "pack_polling": any(p.status in IN_PROGRESS_STATUSES for p in packs),
    }


# --- Portfolio export ----------------------------------------------------------------


def portfolio_export_rows(
    *, user: Any, now: datetime.datetime | None = None, fields: list[Any] | None = None
):
    """The visible use cases for the CSV export, streamed in chunks: each
    chunk brings its sponsors in one more query. A use case in operation
    has its operating owner and the day its next recertification is due;
    a retired one says so in its status, with no due date. Then one column
    per custom field of ``fields`` (the active ones, as ``export_columns``
    names them), written by ``custom_fields.format_value``."""
    now = now or timezone.now()
    fields = custom_fields.active_fields() if fields is None else fields
    # Person fields name people: every name read once, up front (one query),
    # so the count stays fixed whatever the rows.
    people = (
        {u.pk: custom_fields.person_text(u) for u in User.objects.all()}
        if any(custom.kind == CustomFieldKind.PERSON for custom in fields)
        else {}
    )
    queryset = annotate_priority_score(
        annotate_overdue_stalled(access.use_cases_visible_to(user), now=now)
    )
    sponsors = Prefetch(
        "members",
        queryset=UseCaseMember.objects.filter(role=MemberRole.SPONSOR)
        .select_related("user")
        .order_by("user__last_name", "user__username"),
        to_attr="sponsor_members",
    )
    stage_labels = dict(Stage.choices)
    status_labels = dict(Status.choices)
    risk_labels = dict(RiskTier.choices)
    for use_case in (
        queryset.select_related("business_unit", "operating_owner")
        .prefetch_related(sponsors)
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        score = use_case.priority_score
        yield [
            use_case.pk,
            use_case.title,
            use_case.business_unit.name,
            stage_labels.get(use_case.stage, use_case.stage),
            status_labels.get(use_case.status, use_case.status),
            risk_labels.get(use_case.risk_tier, use_case.risk_tier),
            "; ".join(use_case.regulatory_constraint_labels()),
            "; ".join(display_name(m.user) for m in use_case.sponsor_members),
            timezone.localtime(use_case.stage_entered_at).date().isoformat(),
            use_case.days_in_stage_at(now),
            "yes" if use_case.is_overdue else "no",
            "yes" if use_case.is_stalled else "no",
            "" if score is None else f"{score:.2f}",
            display_name(use_case.operating_owner),
            use_case.recertification_due_on.isoformat()
            if use_case.is_operating and use_case.recertification_due_on
            else "",
            *(
                custom_fields.format_value(
                    custom, (use_case.custom_values or {}).get(custom.key), people=people
                )
                for custom in fields
            ),
        ]


def export_columns(fields: list[Any]) -> list[str]:
    """The custom fields' column names in the export: ``cf_<key>``, as the
    portfolio's filters name them."""
    return [f"cf_{custom.key}" for custom in fields]
