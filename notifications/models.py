"""The inbox and its e-mail delivery state.

A notification is one row per (kind, object, recipient, period): the UNIQUE
constraint ``notification_delivery_key_unique`` is what makes a rerun sweep,
a duplicated beat or two workers sweeping at once harmless. E-mail delivery is
a state on that row, claimed by a conditional UPDATE, so the row (the in-app
notification) exists whatever happens to the SMTP server.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.labels import ChoiceLabels


class Kind(models.TextChoices):
    REVIEW_OPENED = "review_opened", gettext_lazy("Gate review opened")
    APPROVAL_REQUESTED = "approval_requested", gettext_lazy("Approval requested")
    APPROVAL_RECORDED = "approval_recorded", gettext_lazy("Approval recorded")
    REVIEW_RETURNED = "review_returned", gettext_lazy("Gate review returned for rework")
    GATE_DECIDED = "gate_decided", gettext_lazy("Gate decided")
    CONDITION_ASSIGNED = "condition_assigned", gettext_lazy("Condition assigned to you")
    PACK_READY = "pack_ready", gettext_lazy("Gate pack ready")
    PACK_FAILED = "pack_failed", gettext_lazy("Gate pack failed")
    APPROVAL_REMINDER = "approval_reminder", gettext_lazy("Approval reminder")
    APPROVAL_ESCALATION = "approval_escalation", gettext_lazy("Approvals overdue (escalation)")
    CONDITION_DUE_SOON = "condition_due_soon", gettext_lazy("Condition due soon")
    CONDITION_OVERDUE = "condition_overdue", gettext_lazy("Condition overdue")
    USECASE_OVERDUE = "usecase_overdue", gettext_lazy("Use case overdue in its stage")
    USECASE_STALLED = "usecase_stalled", gettext_lazy("Use case stalled")
    RISK_CLASSIFICATION_PROPOSED = (
        "risk_classification_proposed",
        gettext_lazy("Risk classification to confirm"),
    )
    RISK_CLASSIFICATION_DECIDED = (
        "risk_classification_decided",
        gettext_lazy("Risk classification decided"),
    )
    EVIDENCE_EXPIRING = "evidence_expiring", gettext_lazy("Evidence expiring")
    RECERTIFICATION_DUE = "recertification_due", gettext_lazy("Recertification due")
    RECERTIFICATION_OVERDUE = "recertification_overdue", gettext_lazy("Recertification overdue")
    RECERTIFICATION_OPENED = "recertification_opened", gettext_lazy("Recertification opened early")


class EmailStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Waiting to be sent")
    DIGEST = "digest", gettext_lazy("Waiting for the daily digest")
    SENDING = "sending", gettext_lazy("Being sent")
    SENT = "sent", gettext_lazy("Sent")
    FAILED = "failed", gettext_lazy("Failed (gave up)")
    SKIPPED = "skipped", gettext_lazy("Not e-mailed")


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", gettext_lazy("Immediately, one e-mail per notification")
    DIGEST = "digest", gettext_lazy("One daily digest")
    OFF = "off", gettext_lazy("Never (inbox only)")


class Notification(ChoiceLabels, models.Model):
    # No index of its own: ``notification_inbox_idx`` starts with it (one
    # index less to write per row of a sweep).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    # The delivery key, with recipient and kind: what the notification is
    # about ("review", 12) and which occurrence of it (a reminder's number, a
    # stage stint); "" for one-off events.
    object_type = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    period = models.CharField(max_length=60, blank=True)
    # Set for the kinds the sweep writes in bulk (``texts.RENDERED``): the
    # values of the text, which is then written when the row is read, in the
    # active language (``subject`` and ``body`` stay empty in the table).
    # NULL: the row stores its finished texts.
    params = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    # Set when the row waits for (or was claimed by) a digest, so a row
    # recovered from a crashed sender goes back where it came from.
    email_in_digest = models.BooleanField(default=False)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.CharField(max_length=500, blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_claim = models.UUIDField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "recipient", "period"],
                name="notification_delivery_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["email_status", "email_next_attempt_at"],
                condition=models.Q(email_status__in=["pending", "digest", "sending"]),
                name="notification_email_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}: {self.subject}"

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance.render_texts()
        return instance

    def render_texts(self) -> None:
        """Write ``subject`` and ``body`` from ``params`` in the active
        language (no query: only what the row holds). Loading a row does it;
        e-mail delivery does it again inside the recipient's language."""
        if self.__dict__.get("params") is None or "kind" not in self.__dict__:
            return
        from notifications import texts

        self.subject, self.body = texts.render(self.kind, self.params)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(ChoiceLabels, models.Model):
    """A person's e-mail choices. No row means the defaults: immediate e-mail
    for every kind. The in-app inbox always gets everything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_mode = models.CharField(
        max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    email_kinds_off = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("Kinds (Kind codes) never e-mailed to this person."),
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_mode__in=EmailMode.values),
                name="notification_preference_mode_valid",
            )
        ]

    def __str__(self) -> str:
        return f"E-mail preferences of {self.user}"

    def emails(self, kind: str) -> bool:
        return self.email_mode != EmailMode.OFF and kind not in self.email_kinds_off
