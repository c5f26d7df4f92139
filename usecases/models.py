from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels
from core.validators import single_line


class Stage(models.TextChoices):
    DISCOVERY = "discovery", _("Discovery")
    POC = "poc", _("POC")
    PILOT = "pilot", _("Pilot")
    PRODUCTION = "production", _("Production")
    SCALE = "scale", _("Scale")

    @classmethod
    def ordered(cls) -> list[Stage]:
        return [cls.DISCOVERY, cls.POC, cls.PILOT, cls.PRODUCTION, cls.SCALE]

    @property
    def number(self) -> int:
        return Stage.ordered().index(self) + 1

    @property
    def next(self) -> Stage | None:
        stages = Stage.ordered()
        index = stages.index(self)
        return stages[index + 1] if index + 1 < len(stages) else None


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    KILLED = "killed", _("Killed")
    # Withdrawn by its sponsor or a program lead before it passed any gate.
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Decommissioned at a recertification after operating at Scale: the end
    # of a life that delivered, not a pipeline loss like Kill.
    RETIRED = "retired", _("Retired")


# Statuses no gate and no edit ever leaves: the use case is read-only.
TERMINAL_STATUSES = (Status.KILLED, Status.WITHDRAWN, Status.RETIRED)


class RiskTier(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


def recertification_months(tier: str) -> int:
    """Months between recertifications of a use case operating at Scale, by
    its risk tier (RECERTIFICATION_MONTHS_HIGH, _MEDIUM, _LOW)."""
    return int(getattr(settings, f"RECERTIFICATION_MONTHS_{str(tier).upper()}", 12))


class RegulatoryConstraint(models.TextChoices):
    EU_AI_ACT = "eu_ai_act", _("EU AI Act")
    HIPAA = "hipaa", _("HIPAA")
    SOX = "sox", _("SOX")
    FCRA = "fcra", _("FCRA")
    GDPR = "gdpr", _("GDPR")
    OTHER = "other", _("Other")


class OrgRole(models.TextChoices):
    """Organisation roles, each an auth group of the same name."""

    PROGRAM_LEAD = "Program lead", _("Program lead")
    EXECUTIVE = "Executive", _("Executive")
    RISK_COMPLIANCE = "Risk and compliance", _("Risk and compliance")
    CIO_CTO = "CIO/CTO", _("CIO/CTO")


class MemberRole(models.TextChoices):
    SPONSOR = "sponsor", _("Business unit sponsor")
    TECHNICAL_LEAD = "technical_lead", _("Technical lead")
    CONTRIBUTOR = "contributor", _("Contributor")


class BusinessUnit(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=20, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_business_units",
        help_text="The business unit head: sees every use case of the unit and approves "
        "where the framework names the business unit head.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UseCase(ChoiceLabels, models.Model):
    title = models.CharField(max_length=200, validators=[single_line])
    summary = models.TextField(max_length=2000)
    business_problem = models.TextField(max_length=5000, blank=True)
    value_hypothesis = models.TextField(max_length=5000, blank=True)
    quantified_outcome = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("The outcome in numbers, for example “cut claim handling time by 30%”."),
    )
    assumptions = models.TextField(max_length=5000, blank=True)
    success_metrics = models.TextField(max_length=5000, blank=True)
    data_sources = models.TextField(max_length=5000, blank=True)
    regulatory_constraints = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes from RegulatoryConstraint.",
    )
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="use_cases"
    )
    # Stage and status change only through the gate engine's services, which
    # write them with a queryset update; no form, serializer or admin edits them.
    stage = models.CharField(
        max_length=20, choices=Stage.choices, default=Stage.DISCOVERY, editable=False
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    # Operating at Scale: who answers for the use case in operation, and the
    # day its next recertification is due (set by the gate engine when Gate 4
    # passes and at every recertification; never edited by a form).
    operating_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_use_cases",
        editable=False,
    )
    recertification_due_on = models.DateField(null=True, blank=True, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    # The key of the form (or the API's Idempotency-Key header) that created
    # it: the same person sending the same key again gets this use case back
    # instead of a second one (a double click, a retried request).
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # The values of the custom fields an administrator defined (CustomField),
    # keyed by the field's key: text, number, ISO date, choice, list of
    # choices, person (a user id). Validated and written by the use case's
    # create and edit services only (usecases.custom_fields).
    custom_values = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the portfolio search (``q``) reads: the title and the summary,
    # upper-cased once when they are written instead of at every search (a
    # title is one line, so the line break keeps the two apart). On
    # PostgreSQL a trigram index on it lets a search read only the rows that
    # hold the term's trigrams (migration 0013).
    search_text = models.GeneratedField(
        expression=Upper(Concat("title", Value("\n"), "summary", output_field=models.TextField())),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "status"]),
            models.Index(fields=["business_unit", "stage"]),
            models.Index(fields=["-updated_at", "-id"]),
            # The dashboard's "needs attention" list: oldest in stage first.
            models.Index(fields=["stage_entered_at", "id"], name="usecase_in_stage_since_idx"),
            models.Index(
                fields=["recertification_due_on"],
                condition=models.Q(stage="scale", status="active"),
                name="usecase_recertification_idx",
            ),
            # The dashboard's stalled count: the part of a day its tally
            # (reporting.PortfolioTally) does not count whole.
            models.Index(
                fields=["last_activity_at"],
                condition=models.Q(status="active"),
                name="usecase_active_activity_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values), name="usecase_stage_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="usecase_status_valid"
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="usecase_idempotency_key_once_per_creator",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("usecase-detail", args=[self.pk])

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    def days_in_stage_at(self, now: datetime.datetime) -> int:
        """Whole days since the use case entered its stage: the one place
        this is computed (pages, API, dashboard, packs and exports)."""
        return max((now - self.stage_entered_at).days, 0)

    @property
    def days_in_stage(self) -> int:
        return self.days_in_stage_at(timezone.now())

    @property
    def is_killed(self) -> bool:
        return self.status == Status.KILLED

    @property
    def is_read_only(self) -> bool:
        """Killed at a gate, withdrawn or retired: terminal, no change of any kind."""
        return self.status in TERMINAL_STATUSES

    @property
    def is_retired(self) -> bool:
        return self.status == Status.RETIRED

    @property
    def is_operating(self) -> bool:
        """At Scale and not ended: in operation, recertified periodically."""
        return self.stage == Stage.SCALE and self.status not in TERMINAL_STATUSES

    def recertification_overdue_on(self, day: datetime.date) -> bool:
        return (
            self.is_operating
            and self.recertification_due_on is not None
            and day > self.recertification_due_on
        )

    @property
    def is_regulated(self) -> bool:
        return bool(self.regulatory_constraints)

    def regulatory_constraint_labels(self) -> list[str]:
        labels = dict(RegulatoryConstraint.choices)
        return [str(labels.get(code, code)) for code in self.regulatory_constraints]


class UseCaseSearch(models.Model):
    """The portfolio search's narrow copy of each use case: its stage and
    ``search_text``, on a third of the pages the use cases fill. PostgreSQL keeps it
    in step with every insert, update and delete of a use case (triggers of
    migration 0015); other databases leave it empty and search the use cases.

    A broad search's count per stage reads it (``selectors._search_counts``):
    its matches lie on nearly every page of the use cases' table (a fifth of
    100,000 on nearly all of its 6,272 pages); the copy's 2,166 pages halve
    the count (about 21 ms to 10 at 100,000 use cases)."""

    use_case = models.OneToOneField(
        UseCase, on_delete=models.DO_NOTHING, primary_key=True, related_name="+"
    )
    # The use case's stage code, as the triggers copy it (no labels: it is counted, not shown).
    stage = models.CharField(max_length=20)
    search_text = models.TextField()

    def __str__(self) -> str:
        return f"search copy of use case #{self.use_case_id}"


class BusinessUnitMember(models.Model):
    """Someone who works in a business unit: they may propose its use cases.

    Holding a role in a unit means being its head, one of these members, or on
    the team of one of its use cases (usecases.access.proposable_business_units).
    """

    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="business_unit_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business_unit__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "user"], name="business_unit_member_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "business_unit"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.business_unit}"


class UseCaseMember(ChoiceLabels, models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="use_case_roles"
    )
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "user", "role"], name="usecase_member_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["user", "use_case"])]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} on {self.use_case}"


class RiskClassificationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed: awaiting risk and compliance")
    CONFIRMED = "confirmed", _("Confirmed")
    OVERRIDDEN = "overridden", _("Overridden")


class RiskClassification(ChoiceLabels, models.Model):
    """One answered version of the risk questionnaire of a use case: what the
    answers propose (tier, regulations, the reasoning, a prohibited practice)
    and what risk and compliance decided (confirmed as proposed, or overridden
    with a reason). The latest decided version sets the use case's risk tier
    and regulatory constraints."""

    use_case = models.ForeignKey(
        UseCase, on_delete=models.PROTECT, related_name="risk_classifications"
    )
    version = models.PositiveIntegerField()
    # The version of the questionnaire's questions the answers belong to.
    questionnaire_version = models.PositiveSmallIntegerField(default=1)
    answers = models.JSONField(default=dict)
    proposed_tier = models.CharField(max_length=10, choices=RiskTier.choices)
    proposed_regulations = models.JSONField(default=list)
    reasoning = models.JSONField(default=list, help_text="One sentence per rule that fired.")
    prohibited = models.BooleanField(
        default=False, help_text="An answer names a practice the EU AI Act prohibits."
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12,
        choices=RiskClassificationStatus.choices,
        default=RiskClassificationStatus.PROPOSED,
    )
    tier = models.CharField(max_length=10, choices=RiskTier.choices, blank=True)
    regulations = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["use_case", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "version"], name="risk_classification_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Risk classification v{self.version} of {self.use_case}"


class UserLanguage(ChoiceLabels, models.Model):
    """The language a person chose with the switcher: pages follow it once they
    sign in, and e-mails, notifications and packs are written in it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_choice"
    )
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    PERSON = "person", _("Person")


CHOICE_KINDS = (CustomFieldKind.CHOICE, CustomFieldKind.MULTI_CHOICE)


class CustomField(ChoiceLabels, models.Model):
    """A fact an administrator adds to every use case (a data owner, a cost
    centre, a deployment region). Its values live in ``UseCase.custom_values``
    under ``key``. Required from a stage: a gate review whose target stage is
    that stage or a later one cannot be submitted while the value is empty
    ("required from POC" holds back the Gate 1 review, Discovery → POC)."""

    key = models.SlugField(
        max_length=40,
        unique=True,
        help_text=_(
            "Lower-case letters, digits and single underscores, starting with a letter; "
            "the name in the API, the exports and the portfolio filter (cf_<key>). "
            "Never changes once created."
        ),
    )
    label = models.CharField(max_length=80, validators=[single_line])
    help_text = models.CharField(max_length=300, blank=True, validators=[single_line])
    kind = models.CharField(max_length=20, choices=CustomFieldKind.choices)
    choices = models.JSONField(
        default=list,
        blank=True,
        help_text=_("The options of a single or multiple choice field, as a list of texts."),
    )
    required_from_stage = models.CharField(
        max_length=20,
        choices=Stage.choices,
        blank=True,
        default="",
        help_text=_(
            "Leave empty for an optional field. Otherwise the gate review into this stage, "
            "and every later one, cannot be submitted while the value is empty."
        ),
    )
    active = models.BooleanField(
        default=True,
        help_text=_("An inactive field is hidden everywhere; its values are kept."),
    )
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CustomFieldKind.values), name="customfield_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(required_from_stage__in=["", *Stage.values]),
                name="customfield_required_from_stage_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def required_from(self) -> Stage | None:
        return Stage(self.required_from_stage) if self.required_from_stage else None

    def required_for_target(self, target: str) -> bool:
        """Whether a gate review into ``target`` needs this field's value."""
        start = self.required_from
        if start is None:
            return False
        stages = Stage.values
        return target in stages and stages.index(target) >= stages.index(start)
