from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels
from core.web import display_name
from usecases.models import Stage


class ApproverRoleKind(models.TextChoices):
    PROGRAM_LEAD = "program_lead", _("AI program lead")
    SPONSOR = "sponsor", _("Business unit sponsor")
    TECHNICAL_LEAD = "technical_lead", _("Technical lead")
    BUSINESS_UNIT_HEAD = "business_unit_head", _("Business unit head")
    CIO_CTO = "cio_cto", _("CIO or CTO")
    RISK_COMPLIANCE = "risk_compliance", _("Risk or compliance")


class ApproverCondition(models.TextChoices):
    ALWAYS = "always", _("Always")
    IF_APPLICABLE = "if_applicable", _("If applicable (high risk or regulated)")


class GateTemplate(ChoiceLabels, models.Model):
    """One gate of the framework. Editing it bumps ``version``; a review keeps a
    snapshot of the criteria, artifact types and approvers it was opened with."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=120)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, unique=True)
    # A recertification template goes from Scale to Scale: the periodic
    # review of a use case in operation, not a move to another stage.
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    purpose = models.TextField(blank=True)
    min_approvers = models.PositiveSmallIntegerField(
        default=2,
        help_text="The fewest distinct people who must approve before Go or Conditional Go.",
    )
    enforce_scorecard_bands = models.BooleanField(
        default=False,
        help_text="Go and Conditional Go follow the PoC scorecard's bands: below 18 neither, "
        "18 to 23 Conditional Go only with a condition per item scored 1, 24 or more Go.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        if self.is_recertification:
            return f"{self.label}: {self.get_from_stage_display()} in operation"
        return (
            f"Gate {self.number}: {self.get_from_stage_display()} → {self.get_to_stage_display()}"
        )

    @property
    def is_recertification(self) -> bool:
        return self.from_stage == self.to_stage

    @property
    def label(self) -> str:
        """``Gate 3`` or ``Recertification``."""
        return gate_label(self.number, self.from_stage, self.to_stage)


RECERTIFICATION_LABEL = gettext_noop("Recertification")


def gate_label(number: int, from_stage: str, to_stage: str) -> str:
    if from_stage == to_stage:
        return gettext(RECERTIFICATION_LABEL)
    return gettext("Gate %(number)s") % {"number": number}


class ControlFramework(models.TextChoices):
    EU_AI_ACT = "eu_ai_act", _("EU AI Act")
    ISO_42001 = "iso_42001", _("ISO/IEC 42001")
    NIST_AI_RMF = "nist_ai_rmf", _("NIST AI RMF")


class Control(ChoiceLabels, models.Model):
    """A control or requirement of a governance framework (an EU AI Act
    article, an ISO/IEC 42001 clause, a NIST AI RMF function) that gate
    criteria and artifact types cite."""

    framework = models.CharField(max_length=20, choices=ControlFramework.choices)
    reference = models.CharField(max_length=40, help_text="“Art. 9”, “6.1.2”, “MAP 1.1”.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["framework", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "reference"], name="control_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_framework_display()} {self.reference}: {self.title}"


# A criterion or artifact type applies only when its condition holds; empty
# means always. Keys (all optional, every key given must hold):
#   "risk_tiers": ["high", ...]       the use case's tier is one of them
#   "regulations": ["eu_ai_act", ...] one of them applies to the use case
#   "answers": {"question": value}    the risk questionnaire answered so
APPLIES_WHEN_HELP = (
    "Empty: always. Otherwise any of risk_tiers (list), regulations (list), answers "
    "(question code to value); every key given must hold."
)


class GateCriterion(models.Model):
    template = models.ForeignKey(GateTemplate, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    requirement = models.TextField()
    must_meet = models.BooleanField(default=True)
    applies_when = models.JSONField(default=dict, blank=True, help_text=APPLIES_WHEN_HELP)
    controls = models.ManyToManyField(Control, blank=True, related_name="criteria")

    class Meta:
        ordering = ["template__number", "order", "id"]

    def __str__(self) -> str:
        return self.name


class ArtifactType(models.Model):
    template = models.ForeignKey(
        GateTemplate, on_delete=models.PROTECT, related_name="artifact_types"
    )
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    required = models.BooleanField(default=True)
    is_active = models.BooleanField(
        default=True, help_text="Retired types stay on old artifacts but are no longer asked for."
    )
    applies_when = models.JSONField(default=dict, blank=True, help_text=APPLIES_WHEN_HELP)
    controls = models.ManyToManyField(Control, blank=True, related_name="artifact_types")
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How long an upload of this type stays valid evidence; empty: no expiry.",
    )

    class Meta:
        ordering = ["template__number", "order", "id"]

    def __str__(self) -> str:
        return self.name


class GateApproverRole(ChoiceLabels, models.Model):
    template = models.ForeignKey(
        GateTemplate, on_delete=models.CASCADE, related_name="approver_roles"
    )
    order = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=30, choices=ApproverRoleKind.choices)
    condition = models.CharField(
        max_length=20, choices=ApproverCondition.choices, default=ApproverCondition.ALWAYS
    )

    class Meta:
        ordering = ["template__number", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "role"], name="gate_approver_role_unique")
        ]

    def __str__(self) -> str:
        return self.get_role_display()


def artifact_upload_to(instance: Artifact, filename: str) -> str:
    # Never the uploader's file name: a generated one, grouped by use case.
    return f"artifacts/{instance.use_case_id}/{uuid.uuid4().hex}"


class Artifact(models.Model):
    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.PROTECT, related_name="artifacts"
    )
    artifact_type = models.ForeignKey(
        ArtifactType, on_delete=models.PROTECT, related_name="artifacts"
    )
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=artifact_upload_to, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # The newest version of its type for its use case: set by the upload that
    # adds a version (under the use case's lock), which clears it on the one
    # before. The lists of current evidence (expiring, expired) read only
    # these rows instead of comparing every version with the next.
    is_latest = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["artifact_type__template__number", "artifact_type__order", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "artifact_type", "version"], name="artifact_version_unique"
            ),
            models.UniqueConstraint(
                fields=["use_case", "artifact_type"],
                condition=models.Q(is_latest=True),
                name="artifact_one_latest",
            ),
        ]
        indexes = [
            # The portfolio's expiring evidence: per type, the latest uploads
            # old enough to expire by a day (``uploaded_before_expiry``).
            models.Index(
                fields=["artifact_type", "uploaded_at"],
                condition=models.Q(is_latest=True),
                name="artifact_latest_upload_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.artifact_type} v{self.version}: {self.original_name}"

    @cached_property
    def download_url(self) -> str:
        """The permission-checked download. Reversed once per row: the review
        page links a version from every criterion that cites it."""
        return reverse("artifact-download", args=[self.pk])

    @property
    def expires_on(self) -> datetime.date | None:
        """The first day this upload is no longer valid evidence: the day it
        was uploaded plus its type's validity; None when the type has none.
        ``with_expiry`` computes the same date in the database for lists."""
        months = self.artifact_type.validity_months
        if not months:
            return None
        return add_months(timezone.localdate(self.uploaded_at), months)

    def is_expired_on(self, day: datetime.date) -> bool:
        expires_on = self.expires_on
        return expires_on is not None and day >= expires_on

    @property
    def is_expired(self) -> bool:
        return self.is_expired_on(timezone.localdate())


# --- Evidence validity -----------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the end of a shorter month
    (31 Jan + 1 month = 28 or 29 Feb), as PostgreSQL adds an interval."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


class _AddMonths(models.Func):
    """``date + months`` in the database (NULL months: NULL)."""

    output_field = models.DateField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST((%(expressions)s) AS date)",
            arg_joiner=" + INTERVAL '1 month' * ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite rolls an overlong month over (31 Jan + 1 month = 2 or 3 Mar)
        # where PostgreSQL and add_months clamp: development databases only.
        return self.as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' months')",
            arg_joiner=", '+' || ",
            **extra_context,
        )


def with_expiry(artifacts: models.QuerySet[Artifact], prefix: str = "") -> models.QuerySet:
    """Annotate ``expiry`` (the date ``Artifact.expires_on`` gives) on
    artifacts, or on rows reaching an artifact through ``prefix``."""
    return artifacts.annotate(
        expiry=_AddMonths(
            TruncDate(f"{prefix}uploaded_at"),
            models.F(f"{prefix}artifact_type__validity_months"),
        )
    )


def _last_upload_day(day: datetime.date, months: int) -> datetime.date:
    """The last day an upload can be made for ``months`` of validity to end
    by ``day``: ``add_months`` runs forward monotonically, so it is the day
    ``months`` before, or up to 3 days after it where a month was clamped."""
    last = add_months(day, -months)
    while add_months(last + datetime.timedelta(days=1), months) <= day:
        last += datetime.timedelta(days=1)
    return last


def validity_types() -> dict[int, list[int]]:
    """The active artifact types with a validity, by their months: one query."""
    by_months: dict[int, list[int]] = {}
    types = ArtifactType.objects.filter(is_active=True, validity_months__isnull=False)
    for type_id, months in types.order_by("pk").values_list("pk", "validity_months"):
        by_months.setdefault(months, []).append(type_id)
    return by_months


def latest_uploads_expiring(
    day: datetime.date,
    after: datetime.date | None = None,
    types: dict[int, list[int]] | None = None,
) -> models.Q:
    """The latest uploads of the active types with a validity whose expiry
    falls on or before ``day`` (and after ``after``): per validity, a range
    of upload times of its types, which the latest uploads' index (``artifact_latest_upload_idx``)
    finds without computing every upload's expiry. Reads the types (one
    query, unless ``types`` gives them as ``validity_types`` does); matches
    nothing when no type has a validity."""

    def midnight_after(last: datetime.date) -> datetime.datetime:
        next_day = last + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))

    by_months = validity_types() if types is None else types
    ranges = models.Q(pk__in=[])
    for months, type_ids in sorted(by_months.items()):
        uploads = models.Q(
            artifact_type_id__in=type_ids,
            uploaded_at__lt=midnight_after(_last_upload_day(day, months)),
        )
        if after is not None:
            uploads &= models.Q(uploaded_at__gte=midnight_after(_last_upload_day(after, months)))
        ranges |= uploads
    return models.Q(is_latest=True) & ranges


def expiry_notice_days() -> int:
    """How many days ahead evidence counts as expiring soon (EVIDENCE_EXPIRY_NOTICE_DAYS)."""
    return max(int(settings.EVIDENCE_EXPIRY_NOTICE_DAYS), 1)


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open: preparing evidence")
    SUBMITTED = "submitted", _("Submitted: awaiting approvals and decision")
    DECIDED = "decided", _("Decided")


OPEN_REVIEW_STATUSES = (ReviewStatus.OPEN, ReviewStatus.SUBMITTED)


class Decision(models.TextChoices):
    GO = "go", _("Go")
    CONDITIONAL_GO = "conditional_go", _("Conditional Go")
    HOLD = "hold", _("Hold")
    RECYCLE = "recycle", _("Recycle")
    KILL = "kill", _("Kill")
    # Recertification only: ends the life of a use case in operation, with
    # its decommissioning checklist done.
    RETIRE = "retire", _("Retire")


class ExitKind(models.TextChoices):
    KILL = "kill", _("Kill")
    RETIRE = "retire", _("Retire")
    BOTH = "both", _("Kill or Retire")


class ExitReason(ChoiceLabels, models.Model):
    """Why a use case ended: the taxonomy a Kill or Retire decision picks
    from, so the portfolio learns where and why it loses its use cases.
    Default data from the seeds' failure causes; an administrator edits it."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    applies_to = models.CharField(max_length=10, choices=ExitKind.choices, default=ExitKind.BOTH)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label


class ReviewTrigger(models.TextChoices):
    """Why a review was opened."""

    MANUAL = "manual", _("Opened by a program lead")
    SCHEDULED = "scheduled", _("Recertification due")
    DRIFT = "drift", _("Drift breach on a monitored KPI")
    INCIDENT = "incident", _("Incident recorded")


class DecommissioningStatus(models.TextChoices):
    """How a Retire answered a decommissioning step."""

    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class DecommissioningStep(models.Model):
    """A step of the decommissioning checklist a Retire decision needs done
    (or not applicable, with why). Default data from the seeds' path to
    decommissioning; an administrator edits them."""

    order = models.PositiveSmallIntegerField(unique=True)
    text = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"


def late_reviews_q(on: datetime.date | None = None) -> models.Q:
    """The one definition of a late review: not decided, and today (``on``)
    is past its planned gate date. ``GateReview.is_late`` says the same of
    one row read already."""
    return models.Q(status__in=OPEN_REVIEW_STATUSES, planned_date__lt=on or timezone.localdate())


class GateReviewQuerySet(models.QuerySet):
    def late(self, on: datetime.date | None = None) -> GateReviewQuerySet:
        return self.filter(late_reviews_q(on))


class GateReview(ChoiceLabels, models.Model):
    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.PROTECT, related_name="reviews"
    )
    template = models.ForeignKey(GateTemplate, on_delete=models.PROTECT, related_name="reviews")
    template_version = models.PositiveIntegerField()
    # The template's minimum of distinct approvers when the review opened.
    min_approvers = models.PositiveSmallIntegerField(default=1)
    gate_number = models.PositiveSmallIntegerField()
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_reviews"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pinned_artifacts = models.ManyToManyField(Artifact, blank=True, related_name="pinned_by")
    # The day the gate meeting is planned for: past it, an undecided review is late.
    planned_date = models.DateField(null=True, blank=True)
    # The recycled review of the same gate this one started from: its
    # assessments, evidence and links were carried over as a starting point.
    carried_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_into"
    )
    # The latest return for rework (each one is also in the audit trail).
    rework_count = models.PositiveSmallIntegerField(default=0)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(blank=True, max_length=5000)
    # The gate meeting the decision was taken in.
    meeting_date = models.DateField(null=True, blank=True)
    meeting_attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="gate_meetings_attended"
    )
    meeting_guests = models.CharField(
        max_length=500, blank=True, help_text="Attendees without an account, comma-separated."
    )
    minutes = models.TextField(blank=True, max_length=20000)
    # Why it was opened: by a lead, or (recertification) by the schedule, a
    # drift breach or an incident, with the breach or incident named.
    trigger = models.CharField(
        max_length=20, choices=ReviewTrigger.choices, default=ReviewTrigger.MANUAL
    )
    trigger_detail = models.CharField(max_length=300, blank=True)
    # A Retire decision's decommissioning checklist as answered: one entry per
    # step, {"step": id, "text": str, "status": "done"|"not_applicable", "note": str}.
    decommissioning = models.JSONField(default=list, blank=True)
    # A Kill or Retire decision's reason from the taxonomy, and what the
    # portfolio should learn from it.
    exit_reason = models.ForeignKey(
        ExitReason, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    lessons_learned = models.TextField(blank=True, max_length=5000)
    # Bumped by every change to the review, so a pack knows it has gone stale.
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GateReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case"],
                condition=models.Q(status__in=["open", "submitted"]),
                name="one_open_review_per_use_case",
            ),
            models.CheckConstraint(
                condition=models.Q(status="decided", decision__gt="")
                | (~models.Q(status="decided") & models.Q(decision="")),
                name="review_decided_iff_decision",
            ),
        ]
        indexes = [
            # The dashboard's upcoming reviews: open ones, submitted first.
            models.Index(
                fields=["submitted_at", "opened_at", "id"],
                condition=models.Q(status__in=["open", "submitted"]),
                name="review_upcoming_idx",
            ),
            # The dashboard's decisions over a period: the part of a day its
            # tally (reporting.PortfolioTally) does not count whole.
            models.Index(
                fields=["decided_at"],
                condition=models.Q(status="decided"),
                name="review_decided_at_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate_label} review of {self.use_case}"

    def get_absolute_url(self) -> str:
        return reverse("review-detail", args=[self.pk])

    @property
    def is_recertification(self) -> bool:
        return self.from_stage == self.to_stage

    @property
    def gate_label(self) -> str:
        """``Gate 3`` or ``Recertification``: how pages, packs and messages name it."""
        return gate_label(self.gate_number, self.from_stage, self.to_stage)

    @property
    def heading(self) -> str:
        """``Gate 3: Pilot → Scale`` or ``Recertification: Scale in operation``."""
        if self.is_recertification:
            return gettext("%(gate)s: %(stage)s in operation") % {
                "gate": self.gate_label,
                "stage": self.get_from_stage_display(),
            }
        return f"{self.gate_label}: {self.get_from_stage_display()} → {self.get_to_stage_display()}"

    @property
    def trigger_summary(self) -> str:
        """Why it was opened, in a sentence: ``Opened early: drift breach on
        a monitored KPI — Accuracy 88% breaks Accuracy ≥ 91%``."""
        label = ReviewTrigger(self.trigger).label
        if self.trigger in (ReviewTrigger.DRIFT, ReviewTrigger.INCIDENT):
            text = gettext("Opened early: %(why)s") % {"why": f"{label[0].lower()}{label[1:]}"}
        elif self.trigger == ReviewTrigger.SCHEDULED:
            text = gettext("Opened on schedule: recertification due")
        else:
            text = label
        return f"{text} — {self.trigger_detail}" if self.trigger_detail else text

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVIEW_STATUSES

    def is_late_on(self, on: datetime.date | None = None) -> bool:
        """``late_reviews_q`` for this row: not decided and past its planned date."""
        return (
            self.is_open
            and self.planned_date is not None
            and (on or timezone.localdate()) > self.planned_date
        )

    @property
    def is_late(self) -> bool:
        return self.is_late_on()


class AssessmentStatus(models.TextChoices):
    PENDING = "pending", _("Not assessed")
    MET = "met", _("Met")
    PARTIALLY_MET = "partially_met", _("Partially met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ReviewCriterion(ChoiceLabels, models.Model):
    """A criterion as it stood in the template when the review opened, with
    the team's assessment of it."""

    review = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="criteria")
    source = models.ForeignKey(
        GateCriterion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    requirement = models.TextField()
    must_meet = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.PENDING
    )
    evidence = models.TextField(blank=True, max_length=10000)
    artifacts = models.ManyToManyField(Artifact, blank=True, related_name="criteria")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    # The criterion of the recycled review whose assessment this one started
    # from; it stays "carried over" until someone assesses it in this review.
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    carried_over = models.BooleanField(default=False)
    # Why the criterion applies to this use case ("EU AI Act; high risk"),
    # empty when it always applies; and the controls it cites, as they stood.
    applicability = models.CharField(max_length=300, blank=True)
    controls = models.ManyToManyField(Control, blank=True, related_name="+")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewArtifactRequirement(models.Model):
    review = models.ForeignKey(
        GateReview, on_delete=models.CASCADE, related_name="artifact_requirements"
    )
    artifact_type = models.ForeignKey(ArtifactType, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    # Why the artifact is asked for this use case; empty when always.
    applicability = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "artifact_type"], name="review_artifact_requirement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.artifact_type} for {self.review}"


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVE = "approve", _("Approved")
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approved with conditions")
    REJECT = "reject", _("Rejected")


APPROVED_DECISIONS = (ApprovalDecision.APPROVE, ApprovalDecision.APPROVE_WITH_CONDITIONS)


class ReviewApprover(ChoiceLabels, models.Model):
    review = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="approvers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_approvals"
    )
    roles = models.JSONField(default=list, help_text="ApproverRoleKind codes this person holds.")
    decision = models.CharField(
        max_length=30, choices=ApprovalDecision.choices, default=ApprovalDecision.PENDING
    )
    comment = models.TextField(blank=True, max_length=5000)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The holder's delegate who recorded the decision for them; null when the
    # holder decided themself (or nobody has decided yet).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="review_approver_unique")
        ]
        indexes = [models.Index(fields=["user", "decision"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.review}"

    @property
    def decided_as(self) -> str:
        """Who the decision is shown as: the holder, or "Dana Delegate for
        Carl Cio" when their delegate recorded it. Empty while pending."""
        if self.decision == ApprovalDecision.PENDING:
            return ""
        return signed_for(self.decided_by, self.user)

    def role_labels(self) -> list[str]:
        labels = dict(ApproverRoleKind.choices)
        return [str(labels.get(code, code)) for code in self.roles]

    @property
    def has_approved(self) -> bool:
        return self.decision in APPROVED_DECISIONS


def signed_for(delegate: Any, holder: Any) -> str:
    """ "Dana Delegate for Carl Cio", or the holder's name when no delegate acted."""
    if delegate is None or delegate.pk == holder.pk:
        return display_name(holder)
    return f"{display_name(delegate)} for {display_name(holder)}"


class ApproverDelegationQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> ApproverDelegationQuerySet:
        """Delegations in force on ``on`` (today by default): within their
        dates, both inclusive, and not revoked."""
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on, revoked_at__isnull=True)


class DelegationState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    REVOKED = "revoked", _("Revoked")


class ApproverDelegation(models.Model):
    """A holder of approver seats lets a named person record their decisions
    for a date range. The delegate acts in the holder's seat under the
    seat's own rules (``rules.approval_refusal``)."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day the delegate may act (inclusive).")
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ApproverDelegationQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="delegation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(holder=models.F("delegate")),
                name="delegation_not_to_self",
            ),
        ]
        indexes = [
            # "Whose seats may this person decide for today?": every review page.
            models.Index(fields=["delegate", "holder", "ends_on"], name="delegation_delegate_idx"),
            models.Index(fields=["holder", "ends_on"], name="delegation_holder_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.delegate} for {self.holder}, {self.starts_on} to {self.ends_on}"

    def state(self, on: datetime.date | None = None) -> DelegationState:
        on = on or timezone.localdate()
        if self.revoked_at is not None:
            return DelegationState.REVOKED
        if on < self.starts_on:
            return DelegationState.SCHEDULED
        if on > self.ends_on:
            return DelegationState.ENDED
        return DelegationState.ACTIVE

    @property
    def label(self) -> str:
        return signed_for(self.delegate, self.holder)


class ConditionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class GateCondition(ChoiceLabels, models.Model):
    review = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="conditions")
    # The criterion the condition answers: a must-meet criterion only
    # partially met allows Conditional Go when a condition is attached to it.
    criterion = models.ForeignKey(
        ReviewCriterion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conditions",
    )
    description = models.TextField(max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gate_conditions"
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=ConditionStatus.choices, default=ConditionStatus.OPEN
    )
    closed_note = models.TextField(blank=True, max_length=2000)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class ProposedCondition(models.Model):
    """A condition an approver asks for when approving with conditions: a
    description, an owner and a due date. The chair adopts it into a
    Conditional Go, where it becomes a tracked ``GateCondition``."""

    review = models.ForeignKey(
        GateReview, on_delete=models.CASCADE, related_name="proposed_conditions"
    )
    # The seat whose vote asked for it, and who recorded it (the holder or
    # their delegate).
    approver = models.ForeignKey(
        ReviewApprover, on_delete=models.CASCADE, related_name="proposed_conditions"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(
        ReviewCriterion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.TextField(max_length=2000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    adopted_as = models.OneToOneField(
        GateCondition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class StageTransition(ChoiceLabels, models.Model):
    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.PROTECT, related_name="transitions"
    )
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    review = models.OneToOneField(GateReview, on_delete=models.PROTECT, related_name="transition")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        # A use case moves forward one stage at a time and never back: it
        # enters a stage once and leaves it once. The dashboard's conversions
        # count transitions as use cases on that ground.
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "to_stage"], name="transition_enters_a_stage_once"
            ),
            models.UniqueConstraint(
                fields=["use_case", "from_stage"], name="transition_leaves_a_stage_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.use_case}: {self.from_stage} → {self.to_stage}"
