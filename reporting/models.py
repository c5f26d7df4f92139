"""Gate packs: the PDF an executive reads before a gate meeting.

A pack is generated from a review as it stood when the pack was requested
(``review_revision``, ``content_hash``); once anything it shows changes, the
pack is *stale*. Stale is computed, never stored: the review's packs and a
pack read on its own compare their content hash with the hash of the pack
data now (``selectors.mark_stale``); lists of packs across reviews fall back
to the cheaper ``GateReview.revision != review_revision``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels


class PackStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


# The allowed status changes, written once: queued → running (the task's
# claim), running → ready or failed, running → queued (released for a retry
# after a transient error, or by the requeue job when a worker died mid-render),
# queued → failed (the requeue job gives up after too many attempts).
PACK_TRANSITIONS: dict[str, frozenset[str]] = {
    PackStatus.QUEUED: frozenset({PackStatus.RUNNING, PackStatus.FAILED}),
    PackStatus.RUNNING: frozenset({PackStatus.READY, PackStatus.FAILED, PackStatus.QUEUED}),
    PackStatus.READY: frozenset(),
    PackStatus.FAILED: frozenset(),
}

IN_PROGRESS_STATUSES = (PackStatus.QUEUED, PackStatus.RUNNING)


def pack_upload_to(instance: GatePack, filename: str) -> str:
    # A generated name: nothing of the use case's title or the user's input.
    return f"packs/{instance.review_id}/{uuid.uuid4().hex}.pdf"


class GatePackQuerySet(models.QuerySet):
    def with_stale(self) -> GatePackQuerySet:
        """Annotate ``stale``: the review has changed since the pack was requested."""
        return self.annotate(
            stale=ExpressionWrapper(
                ~Q(review__revision=F("review_revision")), output_field=BooleanField()
            )
        )


class GatePack(ChoiceLabels, models.Model):
    review = models.ForeignKey("gates.GateReview", on_delete=models.PROTECT, related_name="packs")
    review_revision = models.PositiveIntegerField(
        help_text=gettext_lazy("The review's revision when the pack was requested.")
    )
    status = models.CharField(max_length=10, choices=PackStatus.choices, default=PackStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    # The language the requester read the application in: the pack is written
    # in it. Packs of the same content in two languages are two packs.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # When the task was last handed to the broker; NULL while it never was.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # While running: the last time the generating worker said it was alive
    # (every REPORTING_HEARTBEAT_SECONDS). A run silent for longer than
    # services.dead_after() lost its worker and is taken back.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Also the number of the current run: every write of a run names it, so a
    # run taken back for dead can no longer store or release the pack.
    attempts = models.PositiveSmallIntegerField(default=0)
    generated_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=pack_upload_to, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text=gettext_lazy("SHA-256 of the PDF file as stored.")
    )
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text=gettext_lazy(
            "SHA-256 of the canonical JSON of the data the pack renders; printed in "
            "the pack's footer."
        ),
    )
    page_count = models.PositiveIntegerField(null=True, blank=True)
    failure_reason = models.TextField(blank=True, max_length=2000)
    # The id of the request that asked for the pack (X-Request-ID): every
    # hand-over to the workers carries it, the requeue's too, so its
    # rendering logs under the click's id. Empty when asked outside a request.
    request_id = models.CharField(max_length=64, blank=True)

    objects = GatePackQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["review", "-requested_at"]),
            models.Index(fields=["status", "enqueued_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PackStatus.values), name="gate_pack_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PackStatus.READY) | (~Q(sha256="") & ~Q(file="")),
                name="gate_pack_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"Gate pack #{self.pk} of review #{self.review_id} ({self.status})"

    @property
    def is_stale(self) -> bool:
        annotated = self.__dict__.get("stale")
        if annotated is not None:
            return bool(annotated)
        return self.review.revision != self.review_revision

    @property
    def is_ready(self) -> bool:
        return self.status == PackStatus.READY

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES

    @property
    def download_name(self) -> str:
        review = self.review
        name = "recertification" if review.is_recertification else f"gate-{review.gate_number}"
        return f"{name}-pack-{review.use_case_id}-{self.pk}.pdf"

    def get_download_url(self) -> str:
        return reverse("pack-download", args=[self.pk])


class TallyKind(models.TextChoices):
    # Use cases per stage, status and risk tier; with ``regulation`` set, those
    # a regulation applies to (``regulation`` blank: every use case).
    MIX = "mix"
    # Active use cases per stage and the day (UTC) they entered it.
    ENTERED = "entered"
    # Active use cases per stage and the day (UTC) of their last activity.
    ACTIVITY = "activity"
    # Use cases in operation (at Scale, not ended) per recertification due date.
    RECERTIFICATION = "recert"
    # Stage transitions per from and to stage.
    MOVED = "moved"
    # Decided reviews per decision, day (UTC) decided and recertification or not.
    DECIDED = "decided"


class PortfolioTally(ChoiceLabels, models.Model):
    """What the dashboard counts, kept by the database as the portfolio is
    written, so that a fresh dashboard for the whole portfolio reads a few
    thousand rows instead of every use case, transition and review.

    PostgreSQL triggers (migration 0004) add rows in the transaction of every
    write to use cases, stage transitions and gate reviews, whatever wrote it:
    the services, the API, imports, the admin, ``bulk_create``, ``update()``,
    raw SQL. Each row is a change, ``n`` positive or negative, so concurrent
    writers never wait on one another; the reader sums them, and
    ``services.tally_compact`` (every few minutes from beat) folds them into one
    row per key. Nothing in Django writes here. Days are UTC days: a count up to
    an instant sums the days before that instant's day and counts the rest of
    its day in the table itself (``selectors_tally``).
    """

    kind = models.CharField(max_length=10, choices=TallyKind.choices)
    stage = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, blank=True)
    risk_tier = models.CharField(max_length=10, blank=True)
    regulation = models.TextField(blank=True)
    to_stage = models.CharField(max_length=20, blank=True)
    decision = models.CharField(max_length=20, blank=True)
    recertification = models.BooleanField(default=False)
    day = models.DateField(null=True, blank=True)
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.kind} {self.stage} {self.status} {self.day or ''}: {self.n:+d}"
