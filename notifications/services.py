"""Every write of the notifications app.

- ``notifications_create``: the one way rows are made. Bulk inserts with
  ``ignore_conflicts`` against the UNIQUE delivery key: a rerun, a duplicated
  beat or a concurrent sweep inserts nothing twice. Each row is routed to
  e-mail (pending), the digest, or no e-mail (skipped) by the recipient's
  preferences at creation.
- ``emails_deliver_pending`` / ``digests_send``: e-mail delivery, a state on
  the row. Rows are claimed with a conditional UPDATE (pending → sending, with
  a claim token) so two workers never send the same e-mail; a failure puts the
  row back with a backoff, and after the last attempt marks it failed. The
  in-app notification is never lost.
- read marks and preferences.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import batched

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.locks import advisory_xact_lock
from notifications import conf
from notifications.models import (
    EmailMode,
    EmailStatus,
    Kind,
    Notification,
    NotificationPreference,
)
from notifications.selectors import EMAILS_PAUSED, EMAILS_RESUMED, unresumed_pause
from usecases.selectors import user_languages

logger = logging.getLogger(__name__)
User = get_user_model()


@dataclass(slots=True, frozen=True)
class Draft:
    """A notification to create; (kind, object_type, object_id, recipient_id,
    period) is its delivery key."""

    recipient_id: int
    kind: str
    object_type: str
    object_id: int
    period: str
    subject: str
    body: str
    link: str = ""
    # When given, the subject and body come from it, composed in the
    # recipient's language (``texts.later``); ``subject`` and ``body`` are unused.
    compose: Callable[[], tuple[str, str]] | None = None
    # For the kinds in ``texts.RENDERED``: the text's values, stored on the row
    # and rendered when it is read; ``subject``, ``body`` and ``compose`` unused.
    params: dict | None = None


@dataclass(slots=True, frozen=True)
class Routing:
    email: str
    mode: str
    kinds_off: frozenset[str]


def _routing_for(user_ids: Iterable[int]) -> dict[int, Routing]:
    """Active recipients' addresses and preferences, one query per 10,000."""
    routing: dict[int, Routing] = {}
    for chunk in batched(sorted(set(user_ids)), 10_000):
        rows = User.objects.filter(pk__in=chunk, is_active=True).values_list(
            "pk",
            "email",
            "notification_preference__email_mode",
            "notification_preference__email_kinds_off",
        )
        for pk, email, mode, kinds_off in rows:
            routing[pk] = Routing(
                email=email or "",
                mode=mode or EmailMode.IMMEDIATE,
                kinds_off=frozenset(kinds_off or ()),
            )
    return routing


def _languages_for(user_ids: set[int]) -> dict[int, str]:
    """The recipients' languages, one query per 10,000."""
    ids = sorted(user_ids)
    languages: dict[int, str] = {}
    for start in range(0, len(ids), 10_000):
        languages.update(user_languages(ids[start : start + 10_000]))
    return languages


# Why a new row is not e-mailed (``email_last_error``; also written by the
# sweep's SQL, ``notifications.bulk``).
SKIP_MODE_OFF = "E-mail is off in the recipient's preferences."
SKIP_KIND_OFF = "This kind is off in the recipient's preferences."
SKIP_NO_ADDRESS = "The recipient has no e-mail address."


def _route(routing: Routing, kind: str) -> tuple[str, bool, str]:
    """(email_status, in_digest, why not) for a new row."""
    if routing.mode == EmailMode.OFF:
        return EmailStatus.SKIPPED, False, SKIP_MODE_OFF
    if kind in routing.kinds_off:
        return EmailStatus.SKIPPED, False, SKIP_KIND_OFF
    if not routing.email:
        return EmailStatus.SKIPPED, False, SKIP_NO_ADDRESS
    if routing.mode == EmailMode.DIGEST:
        return EmailStatus.DIGEST, True, ""
    return EmailStatus.PENDING, False, ""


def _existing_keys(drafts: Sequence[Draft]) -> set[tuple]:
    """Delivery keys among the drafts that already exist, one query per
    (kind, object type) and 10,000 objects: a rerun then inserts nothing and
    costs a read. The UNIQUE constraint still decides any race."""
    groups: dict[tuple[str, str], tuple[set[int], set[str]]] = {}
    for draft in drafts:
        ids, periods = groups.setdefault((draft.kind, draft.object_type), (set(), set()))
        ids.add(draft.object_id)
        periods.add(draft.period)
    existing: set[tuple] = set()
    for (kind, object_type), (ids, periods) in groups.items():
        for chunk in batched(sorted(ids), 10_000):
            existing.update(
                (kind, object_type, object_id, recipient_id, period)
                for object_id, recipient_id, period in Notification.objects.filter(
                    kind=kind, object_type=object_type, object_id__in=chunk, period__in=periods
                ).values_list("object_id", "recipient_id", "period")
            )
    return existing


# The columns written by the PostgreSQL fast path, in order.
_COLUMNS = (
    "recipient_id",
    "kind",
    "object_type",
    "object_id",
    "period",
    "subject",
    "body",
    "link",
    "params",
    "created_at",
    "email_status",
    "email_in_digest",
    "email_last_error",
    "email_attempts",
)


# (kind, object_type, object_id, period): one occurrence, whoever it reaches.
Occurrence = tuple[str, str, int, str]


def _sql_value(value):
    return json.dumps(value) if isinstance(value, dict) else value


def _insert(rows: list[tuple]) -> set[Occurrence]:
    """INSERT ... ON CONFLICT DO NOTHING, chunked. On PostgreSQL one
    multi-row statement per chunk (the ORM's per-value preparation costs
    several times the database's own work at 100,000 rows); elsewhere
    ``bulk_create(ignore_conflicts=True)``. Returns the occurrences of the
    rows inserted (on PostgreSQL, those the database actually inserted: a
    row a concurrent sweep inserted first is not among them; elsewhere, with
    one writer, every row offered)."""
    size = conf.batch_size()
    created: set[Occurrence] = set()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Notification._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
        one = "(" + ", ".join("%s::jsonb" if c == "params" else "%s" for c in _COLUMNS) + ")"
        with connection.cursor() as cursor:
            for chunk in batched(rows, size):
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} "
                    "ON CONFLICT DO NOTHING RETURNING kind, object_type, object_id, period",
                    [_sql_value(value) for row in chunk for value in row],
                )
                created.update(tuple(found) for found in cursor.fetchall())
        return created
    for chunk in batched(rows, size):
        Notification.objects.bulk_create(
            [Notification(**dict(zip(_COLUMNS, row, strict=True))) for row in chunk],
            ignore_conflicts=True,
        )
    return {(row[1], row[2], row[3], row[4]) for row in rows}


def notifications_create(
    drafts: Sequence[Draft],
    *,
    now: datetime.datetime | None = None,
    on_new_occurrence: Callable[[str, str, int, str], None] | None = None,
) -> int:
    """Insert the drafts for active recipients, in chunks, skipping any whose
    delivery key exists. Returns how many new rows were offered to the
    database (a key a concurrent sweep inserted first is dropped there).

    ``on_new_occurrence(kind, object_type, object_id, period)`` is called once
    for each occurrence that had no notification before and got its first
    now (whoever it reached): the sweep announces deadlines with it."""
    if not drafts:
        return 0
    now = now or timezone.now()
    routing = _routing_for(d.recipient_id for d in drafts)
    existing = _existing_keys(drafts)
    known = {(kind, type_, pk, period) for kind, type_, pk, _recipient, period in existing}
    languages = _languages_for({d.recipient_id for d in drafts if d.compose is not None})
    composed: dict[tuple[int, str], tuple[str, str]] = {}
    rows: list[tuple] = []
    for draft in drafts:
        route = routing.get(draft.recipient_id)
        if route is None:  # inactive or deleted: nobody reads this inbox
            continue
        key = (draft.kind, draft.object_type, draft.object_id, draft.recipient_id, draft.period)
        if key in existing:
            continue
        existing.add(key)  # a draft repeated in one batch is inserted once
        status, in_digest, why = _route(route, draft.kind)
        subject, body = draft.subject, draft.body
        if draft.params is not None:
            subject, body = "", ""  # rendered when the row is read
        elif draft.compose is not None:
            # Once per composer and language, however many recipients share it.
            language = languages[draft.recipient_id]
            text_key = (id(draft.compose), language)
            if text_key not in composed:
                with translation.override(language):
                    composed[text_key] = draft.compose()
            subject, body = composed[text_key]
        rows.append(
            (
                draft.recipient_id,
                draft.kind,
                draft.object_type,
                draft.object_id,
                draft.period,
                # One header line whatever the texts held (a title once
                # stored with a line break must not stop the e-mail).
                " ".join(subject.split())[:255],
                body,
                draft.link,
                draft.params,
                now,
                status,
                in_digest,
                why,
                0,
            )
        )
    created = _insert(rows)
    if on_new_occurrence is not None:
        for occurrence in sorted(created - known):
            on_new_occurrence(*occurrence)
    return len(rows)


# --- Read marks -----------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        now = timezone.now()
        # Conditional: a concurrent "mark all" keeps its own timestamp.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_read_since(*, after_id: int) -> int:
    """Mark read every notification made since the one numbered ``after_id``
    (0: any), whatever moment each is dated: the demo seed leaves the history
    it played read, for its people and anyone else the rules notified, and
    nobody's earlier notifications."""
    now = timezone.now()
    return Notification.objects.filter(read_at__isnull=True, pk__gt=after_id).update(read_at=now)


def notifications_last_id() -> int:
    """The number of the latest notification, 0 when there is none."""
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- Preferences ------------------------------------------------------------------


def preferences_for(user) -> NotificationPreference:
    """The saved preferences, or unsaved defaults."""
    try:
        return NotificationPreference.objects.get(user=user)
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


@transaction.atomic
def preferences_update(
    *, user, email_mode: str, email_kinds_off: Iterable[str]
) -> NotificationPreference:
    """Save the person's e-mail choices and re-route what is still waiting to
    be e-mailed, so a change applies at once (turning e-mail off stops the
    e-mails already queued)."""
    if email_mode not in EmailMode.values:
        raise InvalidInput(
            gettext("E-mail mode must be one of: %(modes)s.")
            % {"modes": ", ".join(EmailMode.values)},
            field="email_mode",
        )
    kinds_off = sorted(set(email_kinds_off))
    unknown = [k for k in kinds_off if k not in Kind.values]
    if unknown:
        raise InvalidInput(
            gettext("Unknown kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)},
            field="email_kinds_off",
        )
    preference, _ = NotificationPreference.objects.select_for_update().update_or_create(
        user=user, defaults={"email_mode": email_mode, "email_kinds_off": kinds_off}
    )
    waiting = Notification.objects.filter(
        recipient=user, email_status__in=[EmailStatus.PENDING, EmailStatus.DIGEST]
    )
    skip = {"email_status": EmailStatus.SKIPPED, "email_in_digest": False}
    if email_mode == EmailMode.OFF:
        waiting.update(**skip, email_last_error="E-mail was turned off.")
        return preference
    waiting.filter(kind__in=kinds_off).update(**skip, email_last_error="This kind was turned off.")
    if email_mode == EmailMode.DIGEST:
        waiting.filter(email_status=EmailStatus.PENDING).update(
            email_status=EmailStatus.DIGEST, email_in_digest=True
        )
    else:
        waiting.filter(email_status=EmailStatus.DIGEST).update(
            email_status=EmailStatus.PENDING, email_in_digest=False
        )
    return preference


# --- E-mail paused (the demo seed's history) ------------------------------------------


@transaction.atomic
def emails_pause(*, by, reason: str) -> int:
    """Turn e-mail off for every active account while something that notifies
    people of the past runs (the demo seed plays a year of gate reviews): the
    notifications it makes reach the inboxes, ``skipped``; e-mails already
    waiting stay as they are. What each account had is kept in the audit
    trail, so ``emails_resume`` puts it back, also after the process that
    paused was killed. Returns how many accounts were paused. Refused while
    an earlier pause is in force: its record is what puts e-mail back."""
    advisory_xact_lock(_PAUSE_LOCK_KEY)
    if (earlier := unresumed_pause()) is not None:
        raise TransitionRefused(
            gettext("E-mail is already paused (%(why)s); resume it first.")
            % {"why": earlier.summary.rstrip(".")}
        )
    users = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    had = {
        p.user_id: [p.email_mode, p.email_kinds_off]
        for p in NotificationPreference.objects.select_for_update().filter(user_id__in=users)
    }
    _set_preferences((pk, EmailMode.OFF, []) for pk in users)
    audit_record(
        actor=by,
        action=EMAILS_PAUSED,
        summary=reason,
        payload={"preferences": {str(pk): had.get(pk) for pk in users}},
    )
    return len(users)


def _set_preferences(rows: Iterable[tuple[int, str, list[str]]]) -> None:
    """Each (account, mode, kinds off), in one statement, without re-routing
    what waits to be e-mailed (``preferences_update`` does, for a person's
    own choice)."""
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=pk, email_mode=mode, email_kinds_off=kinds_off)
            for pk, mode, kinds_off in rows
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["email_mode", "email_kinds_off", "updated_at"],
    )


# Pauses and resumes one at a time (an advisory lock key of its own, out of
# the way of the sweep's).
_PAUSE_LOCK_KEY = 0x5347_0001_0000_0000


@transaction.atomic
def emails_resume(*, by) -> int | None:
    """Put back the e-mail preferences the last ``emails_pause`` kept, if no
    resume followed it: each account as it was (no row: the defaults), and
    what waits to be e-mailed as it is. None when nothing is paused, else how
    many accounts were put back (an account deleted since is left out)."""
    advisory_xact_lock(_PAUSE_LOCK_KEY)
    paused = unresumed_pause()
    if paused is None:
        return None
    had = {int(pk): kept for pk, kept in paused.payload["preferences"].items()}
    existing = set(User.objects.filter(pk__in=had).values_list("pk", flat=True))
    NotificationPreference.objects.filter(
        user_id__in=[pk for pk in existing if had[pk] is None]
    ).delete()
    _set_preferences((pk, *had[pk]) for pk in sorted(existing) if had[pk] is not None)
    audit_record(
        actor=by,
        action=EMAILS_RESUMED,
        summary=f"E-mail put back as it was for {len(existing)} accounts.",
        payload={"paused": paused.seq, "accounts": len(existing)},
    )
    return len(existing)


# --- E-mail delivery ----------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    emails: int = 0  # messages handed to the mail backend (a digest is one)
    errors: list[str] = field(default_factory=list)


def _due(now: datetime.datetime) -> Q:
    return Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now)


def _release_stale_claims(now: datetime.datetime) -> int:
    """Give back rows a crashed worker claimed and never finished. Its e-mail
    may have left before the crash: this is the one case that can send twice,
    and only after the timeout."""
    stale = Notification.objects.filter(
        email_status=EmailStatus.SENDING,
        email_claimed_at__lt=now - datetime.timedelta(minutes=conf.email_sending_timeout_minutes()),
    )
    released = stale.filter(email_in_digest=True).update(
        email_status=EmailStatus.DIGEST, email_claim=None
    )
    released += stale.filter(email_in_digest=False).update(
        email_status=EmailStatus.PENDING, email_claim=None
    )
    return released


def _claim(condition: Q, now: datetime.datetime, limit: int) -> tuple[uuid.UUID, list]:
    """Claim up to ``limit`` rows matching ``condition`` for this worker.

    SKIP LOCKED lets two workers take disjoint batches without waiting; the
    UPDATE repeats the condition so that, on a database without row locks
    (SQLite), a row another worker took in between is not taken again."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(condition)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        Notification.objects.filter(condition, pk__in=ids).update(
            email_status=EmailStatus.SENDING, email_claim=token, email_claimed_at=now
        )
    rows = list(
        Notification.objects.filter(email_claim=token, email_status=EmailStatus.SENDING)
        .select_related("recipient")
        .order_by("id")
    )
    return token, rows


def _backoff(attempts: int) -> datetime.timedelta:
    seconds = conf.email_retry_base_seconds() * 2 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, conf.email_retry_max_seconds()))


def _record_failure(
    rows: Sequence[Notification], token: uuid.UUID, error: str, now, report: DeliveryReport
) -> None:
    for row in rows:
        attempts = row.email_attempts + 1
        changes = {
            "email_attempts": attempts,
            "email_last_error": error[:500],
            "email_claim": None,
        }
        if attempts >= conf.email_max_attempts():
            changes.update(email_status=EmailStatus.FAILED, email_next_attempt_at=None)
            report.failed += 1
        else:
            changes.update(
                email_status=EmailStatus.DIGEST if row.email_in_digest else EmailStatus.PENDING,
                email_next_attempt_at=now + _backoff(attempts),
            )
            report.retrying += 1
        Notification.objects.filter(pk=row.pk, email_claim=token).update(**changes)
    report.errors.append(error)


def _record_sent(ids: Sequence[int], token: uuid.UUID, now, report: DeliveryReport) -> None:
    if ids:
        report.sent += Notification.objects.filter(pk__in=ids, email_claim=token).update(
            email_status=EmailStatus.SENT,
            email_sent_at=now,
            email_attempts=F("email_attempts") + 1,
            email_last_error="",
            email_next_attempt_at=None,
            email_claim=None,
        )


def _record_skipped(rows: Sequence[Notification], token, why: str, report) -> None:
    if rows:
        report.skipped += Notification.objects.filter(
            pk__in=[r.pk for r in rows], email_claim=token
        ).update(
            email_status=EmailStatus.SKIPPED,
            email_in_digest=False,
            email_last_error=why,
            email_claim=None,
        )


def absolute(link: str) -> str:
    return f"{conf.site_url()}{link}" if link.startswith("/") else link


def _email_context() -> dict:
    return {"preferences_url": absolute(reverse("notification-preferences"))}


def notification_email(notification: Notification) -> EmailMessage:
    context = {**_email_context(), "n": notification, "link": absolute(notification.link)}
    body = render_to_string("notifications/email/notification.txt", context)
    return EmailMessage(subject=notification.subject, body=body, to=[notification.recipient.email])


def digest_email(user, rows: Sequence[Notification]) -> EmailMessage:
    items = [(row, absolute(row.link)) for row in rows]
    context = {**_email_context(), "user": user, "items": items, "count": len(rows)}
    body = render_to_string("notifications/email/digest.txt", context)
    subject = ngettext(
        "StageGate daily digest: %(count)s notification",
        "StageGate daily digest: %(count)s notifications",
        len(rows),
    ) % {"count": len(rows)}
    return EmailMessage(subject=subject, body=body, to=[user.email])


def _without_address(rows: Sequence[Notification]) -> tuple[list, list]:
    return [r for r in rows if r.recipient.email and r.recipient.is_active], [
        r for r in rows if not (r.recipient.email and r.recipient.is_active)
    ]


def emails_deliver_pending(
    *, now: datetime.datetime | None = None, max_batches: int = 20
) -> DeliveryReport:
    """Send every immediate e-mail that is due: one claimed batch at a time,
    through one mail connection per batch."""
    now = now or timezone.now()
    report = DeliveryReport()
    _release_stale_claims(now)
    condition = Q(email_status=EmailStatus.PENDING) & _due(now)
    for _ in range(max_batches):
        token, rows = _claim(condition, now, conf.batch_size())
        if not rows:
            break
        rows, unreachable = _without_address(rows)
        _record_skipped(unreachable, token, "The recipient has no e-mail address.", report)
        _send_batch(rows, token, now, report)
    return report


def _send_batch(rows: Sequence[Notification], token, now, report: DeliveryReport) -> None:
    if not rows:
        return
    connection = mailers.default
    try:
        connection.open()
    except Exception as exc:  # the server is down: every row waits for a retry
        logger.warning("notifications: cannot open the mail connection: %s", exc)
        _record_failure(rows, token, f"{type(exc).__name__}: {exc}", now, report)
        return
    sent: list[int] = []
    # Each e-mail in its recipient's language: one query for the batch.
    languages = user_languages({row.recipient_id for row in rows})
    try:
        for row in rows:
            try:
                with translation.override(languages[row.recipient_id]):
                    row.render_texts()
                    message = notification_email(row)
                connection.send_messages([message])
            except Exception as exc:
                logger.warning("notifications: e-mail %s failed: %s", row.pk, exc)
                _record_failure([row], token, f"{type(exc).__name__}: {exc}", now, report)
            else:
                sent.append(row.pk)
                report.emails += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("notifications: closing the mail connection failed", exc_info=True)
        _record_sent(sent, token, now, report)


def last_digest_time(now: datetime.datetime) -> datetime.datetime:
    """The most recent digest hour (local time) at or before ``now``."""
    local = timezone.localtime(now)
    boundary = local.replace(hour=conf.digest_hour(), minute=0, second=0, microsecond=0)
    if boundary > local:
        boundary -= datetime.timedelta(days=1)
    return boundary


def digests_send(*, now: datetime.datetime | None = None) -> DeliveryReport:
    """One digest e-mail per person in digest mode whose digest for today has
    not gone out yet, with everything queued for it."""
    now = now or timezone.now()
    report = DeliveryReport()
    _release_stale_claims(now)
    boundary = last_digest_time(now)
    done_today = NotificationPreference.objects.filter(last_digest_at__gte=boundary).values(
        "user_id"
    )
    # A digest carries what was queued before today's digest hour; later rows
    # wait for tomorrow's.
    queued = Q(email_status=EmailStatus.DIGEST, created_at__lt=boundary) & _due(now)
    user_ids = list(
        Notification.objects.filter(queued)
        .exclude(recipient_id__in=done_today)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    languages = user_languages(user_ids)
    for user_id in user_ids:
        token, rows = _claim(queued & Q(recipient_id=user_id), now, 500)
        if not rows:
            continue  # another worker took them
        user = rows[0].recipient
        if not (user.email and user.is_active):
            _record_skipped(rows, token, "The recipient has no e-mail address.", report)
            continue
        try:
            with translation.override(languages[user_id]):
                for row in rows:
                    row.render_texts()
                message = digest_email(user, rows)
            with mailers.default as connection:
                connection.send_messages([message])
        except Exception as exc:
            logger.warning("notifications: digest for user %s failed: %s", user_id, exc)
            _record_failure(rows, token, f"{type(exc).__name__}: {exc}", now, report)
            continue
        report.emails += 1
        _record_sent([r.pk for r in rows], token, now, report)
        NotificationPreference.objects.update_or_create(
            user_id=user_id, defaults={"last_digest_at": now}
        )
    return report
