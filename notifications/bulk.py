"""The sweep's set-based rules on PostgreSQL: one ``INSERT ... SELECT`` per
rule (the reminders in two by recipient, the timeliness notices in two by
use case: ``PARTS``), for the
rules that reach one row per pending approver (``approval_reminders``), per
review (``approval_escalations``), per use case in trouble
(``usecase_timeliness``) or per upload about to expire (``evidence_expiry``).
Outside a transaction the statements run side by side on connections of
their own (``run_side_by_side``).

Each statement writes exactly the rows ``services.notifications_create``
writes from the rule's Python drafts (the ``sweeps`` function of the same
name, the path on other databases): the same
delivery keys, links and e-mail routing, and ``params`` instead of texts
(``texts.render`` writes them when the row is read, in the reader's
language). An anti-join on the delivery key's index skips what exists, so a
rerun finds nothing to insert and writes nothing. Two sweeps at once take turns per statement (a
transaction-level advisory lock, ``lock_rule``), so the second finds
everything the first wrote; should a row appear from outside the lock
anyway, the statement runs again with ``ON CONFLICT DO NOTHING`` and the
UNIQUE constraint decides.
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone

from core.locks import advisory_xact_lock
from gates.models import ApprovalDecision, GateReview, ReviewApprover, ReviewStatus
from notifications import conf
from notifications.models import EmailMode, EmailStatus, Kind, Notification, NotificationPreference
from notifications.selectors import (
    EVIDENCE_FIELDS,
    TIMELINESS_FIELDS,
    expiring_evidence_candidates,
    program_lead_ids,
    timeliness_candidates,
)
from notifications.services import SKIP_KIND_OFF, SKIP_MODE_OFF, SKIP_NO_ADDRESS
from readiness.models import StageNorm
from usecases.models import MemberRole, UseCase, UseCaseMember

Link = Callable[[str, int], str]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_select(
    *,
    kinds: list[str],
    object_type: str,
    candidates: str,
    params: list,
    link: tuple[str, str],
    now: datetime.datetime,
    link_to: str = "object_id",
    params_sql: str = "c.params",
    part_of: tuple[str, int, int] | None = None,
) -> int:
    """Insert one row per candidate that has an active recipient and no row
    with its delivery key yet. ``candidates`` is a SELECT of
    (recipient_id, kind, object_id, period, params), and of the column
    ``link_to`` names when it is another; the link is
    prefix || that column || suffix. Routing as ``services._route``.

    ``params_sql``, an expression over ``c``'s columns without placeholders,
    builds the params in the outer SELECT instead: ``c`` is a subquery the
    planner keeps whole (it has a WITH of its own), so its select list is
    computed for every candidate, this one only for the rows inserted.

    ``part_of`` (column, part, parts), for a rule split into parts by that
    column of the existing rows (the timeliness notices' ``object_id``): the
    existing rows the candidates are checked against are the part's only, not
    every part's (half the hash of 269,000 rows at 100,000 use cases; the
    reminders' parts, by recipient, were slower with it).

    The candidates without a row yet (``fresh``, materialized) are found
    before the recipients' accounts and preferences are joined: a rerun then
    joins the few new rows, not every candidate (at 100,000 use cases a sort
    of 134,000 timeliness candidates by recipient and two joins over them,
    about a tenth of the rerun)."""
    notification = _table(Notification)
    sql = f"""
        WITH c AS ({candidates}),
        fresh AS MATERIALIZED (
            SELECT * FROM c
            WHERE NOT EXISTS (
                SELECT 1 FROM {notification} AS n
                WHERE n.kind = ANY(%s::text[]) AND n.object_type = %s
                  AND n.kind = c.kind AND n.object_id = c.object_id
                  AND n.recipient_id = c.recipient_id AND n.period = c.period
                  {f"AND n.{part_of[0]} %% %s = %s" if part_of else ""}
            )
        )
        INSERT INTO {notification} (
            recipient_id, kind, object_type, object_id, period, subject, body, link, params,
            created_at, email_status, email_in_digest, email_last_error, email_attempts
        )
        SELECT c.recipient_id, c.kind, %s, c.object_id, c.period, '', '',
               %s || c.{link_to} || %s, {params_sql}, %s,
               CASE route.code WHEN 'digest' THEN %s WHEN 'pending' THEN %s ELSE %s END,
               route.code = 'digest',
               CASE route.code WHEN 'off' THEN %s WHEN 'kind' THEN %s WHEN 'address' THEN %s
                    ELSE '' END,
               0
        FROM fresh AS c
        JOIN {_table(get_user_model())} AS u ON u.id = c.recipient_id AND u.is_active
        LEFT JOIN {_table(NotificationPreference)} AS p ON p.user_id = c.recipient_id
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN p.email_mode = %s THEN 'off'
                WHEN p.email_kinds_off @> jsonb_build_array(c.kind) THEN 'kind'
                WHEN COALESCE(u.email, '') = '' THEN 'address'
                WHEN p.email_mode = %s THEN 'digest'
                ELSE 'pending'
            END AS code
        ) AS route
    """
    values = [
        *params,
        kinds,
        object_type,
        *((part_of[2], part_of[1]) if part_of else ()),
        object_type,
        link[0],
        link[1],
        now,
        EmailStatus.DIGEST,
        EmailStatus.PENDING,
        EmailStatus.SKIPPED,
        SKIP_MODE_OFF,
        SKIP_KIND_OFF,
        SKIP_NO_ADDRESS,
        EmailMode.OFF,
        EmailMode.DIGEST,
    ]
    with connection.cursor() as cursor:
        # For this statement's transaction only: hash joins, since on an
        # empty or freshly emptied table the planner probes the anti-join
        # with a nested loop over a sequential scan, which rereads the pages
        # this very statement fills (a first sweep of 96,000 rows: minutes);
        # and the hash of 100,000 delivery keys in memory, not on disk.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        try:
            # The rule's lock (``lock_rule``) and the anti-join leave nothing
            # to conflict: a plain INSERT, which costs PostgreSQL about half
            # of ON CONFLICT's speculative insertion at 100,000 rows.
            with transaction.atomic():
                cursor.execute(sql, values)
        except IntegrityError:
            # A writer outside the lock got there first: the UNIQUE key decides.
            cursor.execute(sql + " ON CONFLICT DO NOTHING", values)
        return cursor.rowcount


# A rule that inserted this many rows has changed the table's statistics.
ANALYZE_AFTER_ROWS = 10_000


def analyze() -> None:
    """Fresh statistics of the notifications table after a bulk insert, for
    the next sweeps to plan with: until autovacuum gets to it, the planner
    would take a table just filled with 100,000 rows for the empty one it
    analysed before (a rerun measured 14 s instead of 1). The columns of the
    delivery key only, which the sweep's anti-joins read (0.25 s after a
    first sweep of 132,000 rows, all columns 0.75 s); the table's size comes
    with them, and autovacuum analyses the rest. Outside a transaction (the
    sweep's task) a VACUUM comes with it and marks the new pages
    all-visible, so the next anti-joins read the delivery key's index alone
    (a rerun's reminder rule: about 250 ms instead of 450)."""
    table = f"{_table(Notification)} (kind, object_type, object_id, recipient_id, period)"
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def lock_rule(name: str) -> None:
    """Serialise one rule across concurrent sweeps until the transaction
    ends: the second sweep's statements then see what the first committed,
    and its anti-join finds nothing to insert."""
    advisory_xact_lock(_LOCK_BASE + zlib.crc32(name.encode()))


# Advisory lock keys of the sweep's rules (bigint; out of the way of small keys).
_LOCK_BASE = 0x5347_0000_0000


def _link(links: Link, name: str) -> tuple[str, str]:
    prefix, _, suffix = links(name, 987654321).partition("987654321")
    return prefix, suffix


# Whole days since submission, as ``sweeps._days`` counts them (date_part is
# double precision: extract's numeric took a third of a rerun's statement).
_DAYS = "floor(date_part('epoch', %s - r.submitted_at) / 86400)::int"


def _gate() -> str:
    return "jsonb_build_array(r.gate_number, r.to_stage, r.from_stage)"


def approval_reminders(now: datetime.datetime, links: Link, part: int = 0, parts: int = 1) -> int:
    """One row per pending approver of a submitted review past the reminder
    threshold. Its period and text values are the review's: computed once
    per review (a materialized CTE), then copied to its approvers' rows.
    ``part`` of ``parts``: the approvers whose user id leaves that remainder,
    so that parts committing side by side check (and share-lock, for their
    foreign key) different people's rows."""
    after, every = conf.reminder_after_days(), conf.reminder_every_days()
    number = "(1 + (d.days - %s) / %s)"
    candidates = f"""
        WITH due AS MATERIALIZED (
            SELECT r.id AS object_id,
                   CASE WHEN r.rework_count > 0 THEN 'round-' || r.rework_count || '-'
                        ELSE '' END || 'reminder-' || {number} AS period,
                   jsonb_build_object(
                       'use_case', uc.title, 'gate', {_gate()}, 'days', d.days,
                       'number', {number}
                   ) AS params
            FROM {_table(GateReview)} AS r
            JOIN {_table(UseCase)} AS uc ON uc.id = r.use_case_id
            CROSS JOIN LATERAL (SELECT {_DAYS} AS days) AS d
            WHERE r.status = %s AND r.submitted_at <= %s
        )
        SELECT a.user_id AS recipient_id, %s::text AS kind, due.object_id, due.period,
               due.params
        FROM due
        JOIN {_table(ReviewApprover)} AS a ON a.review_id = due.object_id
        WHERE a.decision = %s AND a.user_id %% %s = %s
    """
    params = [
        after,
        every,
        after,
        every,
        now,
        ReviewStatus.SUBMITTED,
        now - datetime.timedelta(days=after),
        Kind.APPROVAL_REMINDER,
        ApprovalDecision.PENDING,
        parts,
        part,
    ]
    return _insert_select(
        kinds=[Kind.APPROVAL_REMINDER],
        object_type="review",
        candidates=candidates,
        params=params,
        link=_link(links, "review-detail"),
        now=now,
    )


def approval_escalations(now: datetime.datetime, links: Link) -> int:
    user = _table(get_user_model())
    name = "COALESCE(NULLIF(btrim(pu.first_name || ' ' || pu.last_name), ''), pu.username)"
    candidates = f"""
        SELECT r.chair_id AS recipient_id, %s::text AS kind, r.id AS object_id,
               CASE WHEN r.rework_count > 0 THEN 'round-' || r.rework_count || '-escalation'
                    ELSE 'escalation' END AS period,
               jsonb_build_object(
                   'use_case', uc.title, 'gate', {_gate()}, 'days', {_DAYS},
                   'pending', jsonb_agg({name} ORDER BY a.id)
               ) AS params
        FROM {_table(ReviewApprover)} AS a
        JOIN {_table(GateReview)} AS r ON r.id = a.review_id
        JOIN {_table(UseCase)} AS uc ON uc.id = r.use_case_id
        JOIN {user} AS pu ON pu.id = a.user_id
        WHERE a.decision = %s AND r.status = %s AND r.submitted_at <= %s
          AND a.user_id <> r.chair_id
          AND NOT EXISTS (
              SELECT 1 FROM {_table(Notification)} AS n
              WHERE n.kind = %s AND n.object_type = 'review' AND n.object_id = r.id
                AND n.recipient_id = r.chair_id
                AND n.period = CASE WHEN r.rework_count > 0
                                    THEN 'round-' || r.rework_count || '-escalation'
                                    ELSE 'escalation' END
          )
        GROUP BY r.id, uc.id
    """
    params = [
        Kind.APPROVAL_ESCALATION,
        now,
        ApprovalDecision.PENDING,
        ReviewStatus.SUBMITTED,
        now - datetime.timedelta(days=conf.escalate_after_days()),
        Kind.APPROVAL_ESCALATION,
    ]
    return _insert_select(
        kinds=[Kind.APPROVAL_ESCALATION],
        object_type="review",
        candidates=candidates,
        params=params,
        link=_link(links, "review-detail"),
        now=now,
    )


def _stamp(column: str) -> str:
    """``%Y%m%dT%H%M%S`` of a UTC timestamp, as the Python periods write it."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS')"


def usecase_timeliness(now: datetime.datetime, links: Link, part: int = 0, parts: int = 1) -> int:
    """As ``sweeps.usecase_timeliness``: the candidates are the ORM's query
    (``selectors.timeliness_candidates``), the recipients and rows are joined here.
    ``part`` of ``parts``: the use cases whose id leaves that remainder, each
    checked once, in one part."""
    queryset = timeliness_candidates(now)
    if parts > 1:
        queryset = queryset.alias(part=F("pk") % parts).filter(part=part)
    candidates_sql, candidates_params = queryset.values_list(
        *TIMELINESS_FIELDS
    ).query.sql_with_params()
    days = "floor(date_part('epoch', %s - {}) / 86400)::int"
    candidates = f"""
        WITH uc (pk, title, stage, entered, last_activity, overdue, stalled, chair_id) AS (
            {candidates_sql}
        ),
        recipient AS (
            SELECT uc.pk, m.user_id FROM uc
            JOIN {_table(UseCaseMember)} AS m ON m.use_case_id = uc.pk AND m.role = %s
            UNION
            SELECT uc.pk, uc.chair_id FROM uc WHERE uc.chair_id IS NOT NULL
            UNION
            SELECT uc.pk, lead.id FROM uc CROSS JOIN unnest(%s::bigint[]) AS lead (id)
            WHERE uc.chair_id IS NULL
        )
        SELECT r.user_id AS recipient_id, k.kind, uc.pk AS object_id, k.period,
               k.overdue, uc.title, uc.stage, norm.max_days,
               {days.format("uc.entered")} AS days,
               {days.format("uc.last_activity")} AS idle_days
        FROM uc
        LEFT JOIN {_table(StageNorm)} AS norm ON norm.stage = uc.stage
        CROSS JOIN LATERAL (
            VALUES
                (%s::text, true, uc.overdue, uc.stage || '-' || {_stamp("uc.entered")}),
                (%s::text, false, uc.stalled, 'idle-' || {_stamp("uc.last_activity")})
        ) AS k (kind, overdue, due, period)
        JOIN recipient AS r ON r.pk = uc.pk
        WHERE k.due
    """
    params = [
        *candidates_params,
        MemberRole.SPONSOR,
        program_lead_ids(),
        now,
        now,
        Kind.USECASE_OVERDUE,
        Kind.USECASE_STALLED,
    ]
    return _insert_select(
        kinds=[Kind.USECASE_OVERDUE, Kind.USECASE_STALLED],
        object_type="usecase",
        candidates=candidates,
        params=params,
        link=_link(links, "usecase-detail"),
        now=now,
        part_of=("object_id", part, parts) if parts > 1 else None,
        params_sql="""CASE WHEN c.overdue
            THEN jsonb_build_object(
                'use_case', c.title, 'stage', c.stage, 'days', c.days, 'max_days', c.max_days
            )
            ELSE jsonb_build_object('use_case', c.title, 'stage', c.stage, 'idle_days', c.idle_days)
        END""",
    )


def evidence_expiry(now: datetime.datetime, links: Link) -> int:
    """As ``sweeps.evidence_expiry``: the candidates are the ORM's query
    (``selectors.expiring_evidence_candidates``); the recipients, the use
    case's sponsors and the uploader, and the rows are joined here."""
    today = timezone.localdate(now)
    candidates_sql, candidates_params = (
        expiring_evidence_candidates(today).values_list(*EVIDENCE_FIELDS).query.sql_with_params()
    )
    candidates = f"""
        WITH a (pk, version, expiry, uploader_id, uploader_active, use_case_id, title, name) AS (
            {candidates_sql}
        ),
        recipient AS (
            SELECT a.pk, m.user_id FROM a
            JOIN {_table(UseCaseMember)} AS m ON m.use_case_id = a.use_case_id AND m.role = %s
            UNION
            SELECT a.pk, a.uploader_id FROM a WHERE a.uploader_active
        )
        SELECT r.user_id AS recipient_id, %s::text AS kind, a.pk AS object_id,
               %s::text AS period,
               jsonb_build_object(
                   'use_case', a.title, 'artifact', a.name, 'version', a.version,
                   'expires_on', to_char(a.expiry, 'YYYY-MM-DD'), 'days', a.expiry - %s::date
               ) AS params,
               a.use_case_id AS link_id
        FROM a
        JOIN recipient AS r ON r.pk = a.pk
    """
    params = [
        *candidates_params,
        MemberRole.SPONSOR,
        Kind.EVIDENCE_EXPIRING,
        "expiring",
        today,
    ]
    return _insert_select(
        kinds=[Kind.EVIDENCE_EXPIRING],
        object_type="artifact",
        candidates=candidates,
        params=params,
        link=_link(links, "usecase-artifacts"),
        now=now,
        link_to="link_id",
    )


# In the order their statements start side by side, the longest first: at
# 100,000 use cases the timeliness rule inserts 269,000 rows (4 s), the
# reminders 100,000 (1.3 s), so that the connections finish together.
SQL_RULES: dict[str, Callable[..., int]] = {
    "usecase_timeliness": usecase_timeliness,
    "approval_reminders": approval_reminders,
    "approval_escalations": approval_escalations,
    "evidence_expiry": evidence_expiry,
}

# The statements a rule is split into: the reminders, one row per pending
# approver (96,000 rows of a first sweep's 132,000 at 10,000 use cases), two
# connections share by recipient; the timeliness notices, which grow with
# the portfolio (269,000 rows at 100,000 use cases), by use case. Always split,
# whether the parts run side by side or one after the other, so that every
# set-based sweep takes the same advisory locks (``lock_rule``; the Python
# drafts, ``sweep(set_based=False)``, lock the rule's own name, and a row
# both write is left to the UNIQUE key).
PARTS = {"approval_reminders": 2, "usecase_timeliness": 2}


def statements() -> list[tuple[str, int, int]]:
    """(rule, part, parts) of every statement of the set-based rules, in
    ``SQL_RULES``' order (the longest first at 100,000 use cases)."""
    return [
        (name, part, PARTS.get(name, 1)) for name in SQL_RULES for part in range(PARTS.get(name, 1))
    ]


def run_statement(name: str, part: int, parts: int, now: datetime.datetime, links: Link) -> int:
    """One statement of a rule, under its lock, in the caller's transaction."""
    if parts == 1:
        lock_rule(name)
        return SQL_RULES[name](now, links)
    lock_rule(f"{name}/{part}")
    return SQL_RULES[name](now, links, part=part, parts=parts)


def run_rule(name: str, now: datetime.datetime, links: Link) -> int:
    """Every statement of a rule, one after the other, in the caller's
    transaction. Returns the rows inserted."""
    parts = PARTS.get(name, 1)
    return sum(run_statement(name, part, parts, now, links) for part in range(parts))


def run_side_by_side(now: datetime.datetime, links: Link, *, workers: int) -> dict[str, int]:
    """Every statement of the set-based rules, each in its own transaction,
    ``workers`` at a time on connections of their own (a statement runs on
    one core; the rules split in two, ``PARTS``, on two). Returns the rows
    inserted per rule. Only outside a transaction: the other connections
    could not see the caller's uncommitted rows."""
    if connection.in_atomic_block:
        raise RuntimeError("run_side_by_side needs its own transactions, not the caller's")

    # Links are reversed in the threads: with the caller's script prefix.
    prefix = get_script_prefix()

    def run(statement: tuple[str, int, int]) -> tuple[str, int]:
        name, part, parts = statement
        set_script_prefix(prefix)
        try:
            with transaction.atomic():
                return name, run_statement(name, part, parts, now, links)
        finally:
            # The thread's connection, not the caller's.
            connection.close()

    counts: dict[str, int] = dict.fromkeys(SQL_RULES, 0)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
        for name, inserted in pool.map(run, statements()):
            counts[name] += inserted
    return counts
