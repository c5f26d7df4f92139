"""The audit trail's rows: append-only, hash-chained (see ``core.audit``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only")

    def delete(self):
        raise TypeError("The audit trail is append-only")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=60)
    use_case = models.ForeignKey(
        "usecases.UseCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=500)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The fingerprint of the AUDIT_KEY that keyed ``hash``; empty for events
    # written before the chain was keyed (plain SHA-256).
    key_id = models.CharField(max_length=12, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        # The table it has always had: the model moved from gates to core.
        db_table = "gates_auditevent"
        indexes = [
            models.Index(fields=["use_case", "-seq"], name="gates_audit_use_cas_a68dd7_idx"),
            # The latest event of an action (an e-mail pause, read at every
            # metrics scrape) without reading the whole trail.
            models.Index(fields=["action", "-seq"], name="audit_action_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only")


class OutboxEvent(models.Model):
    """A domain event, written in the transaction of the action that raised
    it and delivered to the listeners afterwards (``core.events``): a process
    that dies right after the commit loses nothing."""

    name = models.CharField(max_length=60)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(delivered_at__isnull=True),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"
