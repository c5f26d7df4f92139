"""What each notification says. Plain strings (not templates): a sweep writes
tens of thousands of rows and a template render per row would dominate it.
Every text names the use case and the gate, and the row carries the link."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from usecases.models import Stage


def gate_label(gate_number: int, to_stage: str | None = None, from_stage: str | None = None) -> str:
    """``Gate 3 (to Pilot)``; a review that keeps the stage is the
    ``Recertification`` (``gates.models.gate_label`` names it the same)."""
    if to_stage and from_stage == to_stage:
        return "Recertification"
    if to_stage:
        return f"Gate {gate_number} (to {Stage(to_stage).label})"
    return f"Gate {gate_number}"


def _list(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def review_opened(*, use_case: str, gate: str, opened_by: str, chair: str) -> tuple[str, str]:
    return (
        f"{gate} review opened for “{use_case}”",
        f"{opened_by} opened the {gate} review of “{use_case}”, chaired by {chair}. "
        "Upload the required artifacts and assess the criteria, then submit it for approval.",
    )


def review_returned(
    *, use_case: str, gate: str, returned_by: str, reason: str, round: int
) -> tuple[str, str]:
    return (
        f"{gate} review of “{use_case}” returned for rework (round {round})",
        f"{returned_by} returned the {gate} review of “{use_case}” to the team for rework "
        f"(round {round}).\n\nReason: {reason}\n\nThe review is open again: the approvers' "
        "votes were cleared and the criteria keep their assessments. Rework what is asked, "
        "then submit it for approval again.",
    )


def approval_requested(*, use_case: str, gate: str, submitted_by: str) -> tuple[str, str]:
    return (
        f"Approval requested: {gate} review of “{use_case}”",
        f"{submitted_by} submitted the {gate} review of “{use_case}” for approval. "
        "You are a named approver: record your decision (approve, approve with conditions "
        "or reject) on the review page.",
    )


def approval_recorded(
    *, use_case: str, gate: str, approver: str, decision: str, comment: str, remaining: int
) -> tuple[str, str]:
    body = f"{approver} recorded “{decision}” on the {gate} review of “{use_case}”."
    if comment:
        body += f"\n\nComment: {comment}"
    body += (
        f"\n\n{remaining} approval{'s' if remaining != 1 else ''} still pending."
        if remaining
        else "\n\nEvery named approver has now decided."
    )
    return f"{approver}: {decision} on the {gate} review of “{use_case}”", body


def gate_decided(
    *, use_case: str, gate: str, decision: str, rationale: str, stage: str | None
) -> tuple[str, str]:
    body = f"The {gate} review of “{use_case}” was decided: {decision}."
    if stage:
        body += f" The use case moves to {stage}."
    if rationale:
        body += f"\n\nRationale: {rationale}"
    return f"{gate} decided for “{use_case}”: {decision}", body


def condition_assigned(
    *, use_case: str, gate: str, description: str, due: datetime.date
) -> tuple[str, str]:
    return (
        f"Condition assigned to you: “{use_case}”, {gate}, due {due:%d %b %Y}",
        f"The {gate} decision on “{use_case}” was a Conditional Go, and you own this "
        f"condition, due {due:%d %b %Y}:\n\n{description}",
    )


def pack_ready(*, use_case: str, gate: str) -> tuple[str, str]:
    return (
        f"Gate pack ready: {gate} review of “{use_case}”",
        f"The PDF gate pack you asked for, for the {gate} review of “{use_case}”, is ready "
        "to download from the review page.",
    )


def pack_failed(*, use_case: str, gate: str) -> tuple[str, str]:
    return (
        f"Gate pack failed: {gate} review of “{use_case}”",
        f"The PDF gate pack you asked for, for the {gate} review of “{use_case}”, could not "
        "be produced. Request it again from the review page; if it fails again, tell your "
        "administrator.",
    )


def approval_reminder(*, use_case: str, gate: str, days: int, number: int) -> tuple[str, str]:
    return (
        f"Reminder: your approval of the {gate} review of “{use_case}” is pending",
        f"The {gate} review of “{use_case}” has waited {days} days for your decision "
        f"(reminder {number}). The gate cannot be decided until every named approver "
        "has decided.",
    )


def approval_escalation(
    *, use_case: str, gate: str, days: int, pending: Iterable[str]
) -> tuple[str, str]:
    names = _list(pending)
    return (
        f"Approvals overdue: {gate} review of “{use_case}”",
        f"The {gate} review of “{use_case}”, which you chair, was submitted {days} days ago "
        f"and still waits for: {names}. They have been reminded.",
    )


def condition_due_soon(
    *, use_case: str, gate: str, description: str, due: datetime.date, days: int
) -> tuple[str, str]:
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (
        f"Condition due {when}: “{use_case}”, {gate}",
        f"A condition you own from the {gate} decision on “{use_case}” is due {when} "
        f"({due:%d %b %Y}):\n\n{description}\n\nClose it on the review page with a note "
        "saying how it was met.",
    )


def condition_overdue(
    *, use_case: str, gate: str, description: str, due: datetime.date, days: int
) -> tuple[str, str]:
    return (
        f"Condition overdue by {days} day{'s' if days != 1 else ''}: “{use_case}”, {gate}",
        f"A condition you own from the {gate} decision on “{use_case}” was due "
        f"{due:%d %b %Y}:\n\n{description}\n\nClose it on the review page with a note "
        "saying how it was met, or agree a new date with the program lead.",
    )


def usecase_overdue(
    *, use_case: str, stage: str, days: int, max_days: int | None
) -> tuple[str, str]:
    norm = f" (the norm is at most {max_days} days)" if max_days else ""
    return (
        f"Overdue in {stage}: “{use_case}”",
        f"“{use_case}” has been in {stage} for {days} days{norm}. Prepare its next gate "
        "review, or decide to hold or stop it.",
    )


def usecase_stalled(*, use_case: str, stage: str, idle_days: int) -> tuple[str, str]:
    return (
        f"Stalled: “{use_case}” ({stage})",
        f"Nothing has happened on “{use_case}” ({stage}) for {idle_days} days: no artifact, "
        "assessment, approval or decision. Move it forward, or decide to hold or stop it.",
    )


def evidence_expiring(
    *, use_case: str, artifact: str, version: int, expires_on: datetime.date, days: int
) -> tuple[str, str]:
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (
        f"Evidence expires {when}: {artifact} v{version} of “{use_case}”",
        f"{artifact} v{version} of “{use_case}” stops being valid evidence on "
        f"{expires_on:%d %b %Y}. Upload a current version before then: a review that asks "
        "for it cannot be submitted with expired evidence.",
    )


def risk_proposed(
    *, use_case: str, answered_by: str, tier: str, regulations: str, prohibited: bool
) -> tuple[str, str]:
    body = (
        f"{answered_by} answered the risk questionnaire of “{use_case}”. It proposes "
        f"{tier.lower()} risk"
        + (f" and these regulations: {regulations}" if regulations else ", no regulation")
        + ".\n\n"
    )
    if prohibited:
        body += "The answers name a practice the EU AI Act prohibits.\n\n"
    body += "Confirm the proposal or override it with a reason on the risk classification page."
    return f"Risk classification to confirm: “{use_case}”", body


def risk_decided(
    *, use_case: str, decided_by: str, verb: str, tier: str, regulations: str, reason: str
) -> tuple[str, str]:
    body = (
        f"{decided_by} {verb} the risk classification of “{use_case}”: {tier.lower()} risk"
        + (f"; regulations: {regulations}" if regulations else "; no regulation")
        + "."
    )
    if reason:
        body += f"\n\nReason: {reason}"
    return f"Risk classification decided: “{use_case}” is {tier.lower()} risk", body


def recertification_opened(
    *, use_case: str, cause: str, detail: str, chair: str
) -> tuple[str, str]:
    return (
        f"Recertification opened early for “{use_case}”: {cause}",
        f"{cause.capitalize()} opened the recertification of “{use_case}” before it was due"
        f" ({detail}). {chair} chairs it. Gather the evidence and assess its criteria; the "
        "decision keeps the use case in operation, or retires it.",
    )


def recertification_due(*, use_case: str, due_on: datetime.date, days: int) -> tuple[str, str]:
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (
        f"Recertification due {when}: “{use_case}”",
        f"“{use_case}” is in operation and its recertification is due on {due_on:%d %b %Y}. "
        "Its review opens on schedule: gather current evidence and assess the criteria "
        "before the day.",
    )


def recertification_overdue(*, use_case: str, due_on: datetime.date, days: int) -> tuple[str, str]:
    return (
        f"Recertification overdue: “{use_case}”",
        f"The recertification of “{use_case}” was due on {due_on:%d %b %Y}, {days} "
        f"day{'s' if days != 1 else ''} ago, and is not decided. Decide it, or retire "
        "the use case.",
    )
