"""The scheduled sweeps: who is reminded of what is waiting or due.

Each rule builds ``Draft`` rows and hands them to
``services.notifications_create``. The sweeps read their candidates with a
few queries per rule (joins and annotations, no query per row) and derive each
delivery key's *period* from the clock so that a rerun within the same period
maps to the same key:

- approval reminder: ``reminder-<n>``, n = 1 + (days pending - AFTER) // EVERY
  (AFTER=2, EVERY=2: day 2 → 1, day 4 → 2, day 6 → 3 ...); after a review
  returned for rework, ``round-<r>-reminder-<n>``;
- approval escalation (to the chair): once per review and round, from
  ESCALATE_AFTER days (``escalation``, then ``round-<r>-escalation``);
- condition due soon: once; condition overdue: ``overdue-<n>``,
  n = 1 + (days overdue - 1) // OVERDUE_EVERY (re-announced weekly by default);
- use case overdue in its stage: once per stage stint (the stage and when it
  was entered); stalled: once per idle spell (the last activity's time);
- evidence expiring: once per artifact version (``expiring``);
- recertification due, then overdue: once per due date (the due date).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from core import events
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    ConditionStatus,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewStatus,
)
from notifications import bulk, conf, texts
from notifications.models import Kind
from notifications.rules import round_period
from notifications.selectors import (
    EVIDENCE_FIELDS,
    TIMELINESS_FIELDS,
    expiring_evidence_candidates,
    program_lead_ids,
    timeliness_candidates,
)
from notifications.services import Draft, notifications_create
from operations.selectors import notice_days
from readiness.models import StageNorm
from usecases.models import MemberRole, Stage, Status, UseCase, UseCaseMember


def _sponsors_by_use_case(**use_cases: Any) -> dict[int, list[int]]:
    """The active sponsors of the use cases the filter names (one query):
    ``use_case__in=`` a subquery, or ``use_case_id__in=`` ids."""
    sponsors: dict[int, list[int]] = defaultdict(list)
    for use_case_id, user_id in UseCaseMember.objects.filter(
        role=MemberRole.SPONSOR, user__is_active=True, **use_cases
    ).values_list("use_case_id", "user_id"):
        sponsors[use_case_id].append(user_id)
    return sponsors


def _full_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


class _Links:
    """reverse() once per URL name, not once per row of a sweep."""

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def __call__(self, name: str, pk: int) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = reverse(name, args=[987654321]).replace("987654321", "{}")
            self._patterns[name] = pattern
        return pattern.format(pk)


def _days(now: datetime.datetime, then: datetime.datetime) -> int:
    return (now - then).days


def approval_reminders(now: datetime.datetime, links: _Links) -> list[Draft]:
    after, every = conf.reminder_after_days(), conf.reminder_every_days()
    rows = (
        ReviewApprover.objects.filter(
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
            review__submitted_at__lte=now - datetime.timedelta(days=after),
            user__is_active=True,
        )
        .order_by()
        .values_list(
            "user_id",
            "review_id",
            "review__submitted_at",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
            "review__rework_count",
        )
    )
    drafts = []
    for (
        user_id,
        review_id,
        submitted_at,
        gate_number,
        to_stage,
        from_stage,
        title,
        rounds,
    ) in rows.iterator(chunk_size=5000):
        days = _days(now, submitted_at)
        number = 1 + (days - after) // every
        drafts.append(
            Draft(
                user_id,
                Kind.APPROVAL_REMINDER,
                "review",
                review_id,
                round_period(rounds, f"reminder-{number}"),
                "",
                "",
                links("review-detail", review_id),
                params={
                    "use_case": title,
                    "gate": [gate_number, to_stage, from_stage],
                    "days": days,
                    "number": number,
                },
            )
        )
    return drafts


def approval_escalations(now: datetime.datetime, links: _Links) -> list[Draft]:
    """To the chair, once per review, naming everyone still pending after
    ESCALATE_AFTER days. The chair's own pending approval is not escalated to
    the chair."""
    rows = (
        ReviewApprover.objects.filter(
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
            review__submitted_at__lte=now - datetime.timedelta(days=conf.escalate_after_days()),
        )
        .exclude(user_id=F("review__chair_id"))
        .order_by("review_id", "id")
        .values_list(
            "review_id",
            "review__chair_id",
            "review__submitted_at",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
            "user__first_name",
            "user__last_name",
            "user__username",
            "review__rework_count",
        )
    )
    by_review: dict[int, list] = defaultdict(list)
    info: dict[int, tuple] = {}
    for (
        review_id,
        chair_id,
        submitted_at,
        gate,
        to_stage,
        from_stage,
        title,
        first,
        last,
        username,
        rounds,
    ) in rows.iterator(chunk_size=5000):
        by_review[review_id].append(_full_name(first, last, username))
        info[review_id] = (chair_id, submitted_at, gate, to_stage, from_stage, title, rounds)
    drafts = []
    for review_id, pending in by_review.items():
        chair_id, submitted_at, gate, to_stage, from_stage, title, rounds = info[review_id]
        drafts.append(
            Draft(
                chair_id,
                Kind.APPROVAL_ESCALATION,
                "review",
                review_id,
                round_period(rounds, "escalation"),
                "",
                "",
                links("review-detail", review_id),
                params={
                    "use_case": title,
                    "gate": [gate, to_stage, from_stage],
                    "days": _days(now, submitted_at),
                    "pending": pending,
                },
            )
        )
    return drafts


def condition_deadlines(now: datetime.datetime, links: _Links) -> list[Draft]:
    today = timezone.localdate(now)
    soon, every = conf.condition_due_soon_days(), conf.condition_overdue_every_days()
    rows = (
        GateCondition.objects.filter(
            status=ConditionStatus.OPEN,
            due_date__lte=today + datetime.timedelta(days=soon),
            owner__is_active=True,
        )
        .exclude(review__use_case__status=Status.KILLED)
        .order_by()
        .values_list(
            "pk",
            "owner_id",
            "due_date",
            "description",
            "review_id",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
        )
    )
    drafts = []
    for (
        pk,
        owner_id,
        due,
        description,
        review_id,
        gate,
        to_stage,
        from_stage,
        title,
    ) in rows.iterator(chunk_size=5000):
        days = (due - today).days
        label = (gate, to_stage, from_stage)
        if days >= 0:
            kind, period = Kind.CONDITION_DUE_SOON, "due-soon"
            compose = texts.later(
                texts.condition_due_soon,
                use_case=title,
                gate=label,
                description=description,
                due=due,
                days=days,
            )
        else:
            kind, period = Kind.CONDITION_OVERDUE, f"overdue-{(-days - 1) // every + 1}"
            compose = texts.later(
                texts.condition_overdue,
                use_case=title,
                gate=label,
                description=description,
                due=due,
                days=-days,
            )
        drafts.append(
            Draft(
                owner_id,
                kind,
                "condition",
                pk,
                period,
                "",
                "",
                links("review-detail", review_id),
                compose,
            )
        )
    return drafts


def usecase_timeliness(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Use cases overdue in their stage or stalled → their sponsors and the
    program lead: the chair of the use case's latest review or, when it never
    had one, every active program lead."""
    candidates = timeliness_candidates(now)
    rows = list(candidates.order_by().values_list(*TIMELINESS_FIELDS))
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case__in=candidates.values("pk"))
    program_leads = program_lead_ids()
    norms = dict(StageNorm.objects.values_list("stage", "max_days"))
    drafts = []
    for pk, title, stage, entered, last_activity, overdue, stalled, chair_id in rows:
        recipients = set(sponsors.get(pk, ()))
        recipients.update([chair_id] if chair_id else program_leads)
        link = links("usecase-detail", pk)
        items = []
        if overdue:
            items.append(
                (
                    Kind.USECASE_OVERDUE,
                    f"{stage}-{entered:%Y%m%dT%H%M%S}",
                    {
                        "use_case": title,
                        "stage": stage,
                        "days": _days(now, entered),
                        "max_days": norms.get(stage),
                    },
                )
            )
        if stalled:
            items.append(
                (
                    Kind.USECASE_STALLED,
                    f"idle-{last_activity:%Y%m%dT%H%M%S}",
                    {"use_case": title, "stage": stage, "idle_days": _days(now, last_activity)},
                )
            )
        for kind, period, params in items:
            drafts.extend(
                Draft(user_id, kind, "usecase", pk, period, "", "", link, params=params)
                for user_id in sorted(recipients)
            )
    return drafts


def evidence_expiry(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Evidence about to expire → its uploader and the use case's sponsors,
    once per artifact version (the key is the artifact; a new upload is a new
    artifact), from EVIDENCE_EXPIRY_NOTICE_DAYS before the day it expires.
    Only the latest version of a type with a validity, of a use case still
    going; expired versions are shown on the pages, not announced again."""
    today = timezone.localdate(now)
    rows = list(expiring_evidence_candidates(today).values_list(*EVIDENCE_FIELDS))
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case_id__in={row[5] for row in rows})
    drafts = []
    for pk, version, expiry, uploader_id, uploader_active, use_case_id, title, name in rows:
        recipients = set(sponsors.get(use_case_id, ()))
        if uploader_active:
            recipients.add(uploader_id)
        params = {
            "use_case": title,
            "artifact": name,
            "version": version,
            "expires_on": expiry.isoformat(),
            "days": (expiry - today).days,
        }
        link = links("usecase-artifacts", use_case_id)
        drafts.extend(
            Draft(
                user_id,
                Kind.EVIDENCE_EXPIRING,
                "artifact",
                pk,
                "expiring",
                "",
                "",
                link,
                params=params,
            )
            for user_id in sorted(recipients)
        )
    return drafts


def recertification_reminders(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Active use cases in operation whose recertification is due within
    RECERTIFICATION_NOTICE_DAYS → the operating owner, the sponsors and the
    chair of the open recertification: due, once per due date (the period);
    overdue once the day has passed and it is still not recertified (a
    recertification's Go moves the due date: a new period). Two queries."""
    today = timezone.localdate(now)
    open_chair = Subquery(
        GateReview.objects.filter(
            use_case=OuterRef("pk"),
            status__in=OPEN_REVIEW_STATUSES,
            from_stage=F("to_stage"),
        )
        .order_by("-id")
        .values("chair_id")[:1]
    )
    candidates = UseCase.objects.filter(
        stage=Stage.SCALE,
        status=Status.ACTIVE,
        recertification_due_on__isnull=False,
        recertification_due_on__lte=today + datetime.timedelta(days=notice_days()),
    )
    rows = list(
        candidates.annotate(open_chair_id=open_chair)
        .order_by()
        .values_list(
            "pk",
            "title",
            "recertification_due_on",
            "operating_owner_id",
            "operating_owner__is_active",
            "open_chair_id",
        )
    )
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case__in=candidates.order_by().values("pk"))
    drafts = []
    for pk, title, due, owner_id, owner_active, chair_id in rows:
        recipients = set(sponsors.get(pk, ()))
        if owner_id and owner_active:
            recipients.add(owner_id)
        if chair_id:
            recipients.add(chair_id)
        days = (due - today).days
        if days >= 0:
            kind = Kind.RECERTIFICATION_DUE
            compose = texts.later(texts.recertification_due, use_case=title, due_on=due, days=days)
        else:
            kind = Kind.RECERTIFICATION_OVERDUE
            compose = texts.later(
                texts.recertification_overdue, use_case=title, due_on=due, days=-days
            )
        link = links("usecase-operation", pk)
        drafts.extend(
            Draft(user_id, kind, "usecase", pk, due.isoformat(), "", "", link, compose)
            for user_id in sorted(recipients)
        )
    return drafts


SWEEP_RULES: dict[str, Callable[[datetime.datetime, _Links], list[Draft]]] = {
    "approval_reminders": approval_reminders,
    "approval_escalations": approval_escalations,
    "condition_deadlines": condition_deadlines,
    "usecase_timeliness": usecase_timeliness,
    "evidence_expiry": evidence_expiry,
    "recertification_reminders": recertification_reminders,
}


# The deadlines other apps hear of: the first notification of an occurrence
# emits its event, in the same transaction as the insert.
SWEEP_EVENTS = {
    Kind.CONDITION_DUE_SOON: events.CONDITION_DUE,
    Kind.CONDITION_OVERDUE: events.CONDITION_OVERDUE,
    Kind.RECERTIFICATION_DUE: events.RECERTIFICATION_DUE,
    Kind.RECERTIFICATION_OVERDUE: events.RECERTIFICATION_OVERDUE,
}


def _announce(kind: str, object_type: str, object_id: int, period: str) -> None:
    name = SWEEP_EVENTS.get(kind)
    if name is None:
        return
    if object_type == "condition":
        events.emit_on_commit(name, condition_id=object_id, period=period)
    else:
        events.emit_on_commit(name, use_case_id=object_id, due_on=period)


def sweep(*, now: datetime.datetime | None = None, set_based: bool = True) -> dict[str, int]:
    """Run every scheduled rule once. Idempotent: rerunning it in the same
    periods inserts nothing and announces nothing. Returns the rows offered
    per rule. On PostgreSQL the rules of ``bulk.SQL_RULES`` run as one
    INSERT ... SELECT each (the reminders and the timeliness notices as two
    each, ``bulk.PARTS``;
    ``set_based=False``: their Python drafts, as on other databases). Called
    outside a transaction (the sweep's task), those statements run
    ``NOTIFICATIONS_SWEEP_CONNECTIONS`` (2 or more) at a time, each on a
    connection and in a transaction of its own; with 1, one after the other,
    a transaction per rule; inside a transaction, one after the other in it."""
    now = now or timezone.now()
    links = _Links()
    counts: dict[str, int] = {}
    in_sql = bulk.SQL_RULES if set_based and connection.vendor == "postgresql" else {}
    workers = conf.sweep_connections()
    if in_sql and workers > 1 and not connection.in_atomic_block:
        counts.update(bulk.run_side_by_side(now, links, workers=workers))
    for name, rule in SWEEP_RULES.items():
        if name in counts:
            continue
        with transaction.atomic():
            if name in in_sql:
                counts[name] = bulk.run_rule(name, now, links)
            else:
                if connection.vendor == "postgresql":
                    bulk.lock_rule(name)
                counts[name] = notifications_create(
                    rule(now, links), now=now, on_new_occurrence=_announce
                )
    if sum(counts[name] for name in in_sql) >= bulk.ANALYZE_AFTER_ROWS:
        bulk.analyze()
    return counts
