"""What each notification says. Plain strings (not templates): a sweep writes
tens of thousands of rows and a template render per row would dominate it.
Every text names the use case and the gate, and the row carries the link.

The texts are written in the active language: the callers compose them
inside ``translation.override`` with the recipient's language
(``later``; ``services.notifications_create``), once per language, not once
per row. The sweep's bulk kinds (``RENDERED``) store their values instead
and are written when read (``render``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from usecases.models import Stage

Composer = Callable[[], tuple[str, str]]


def later(
    compose: Callable[..., tuple[str, str]], /, *, gate: tuple | None = None, **values: Any
) -> Composer:
    """``compose(**values)`` deferred until the recipient's language is
    active (``services.notifications_create`` calls it once per language).
    ``gate`` is (gate number, to stage, from stage), labelled then; a value
    that is callable (a ``get_FOO_display``) is called then, and lazy
    translations are read then."""

    def composer() -> tuple[str, str]:
        resolved = {k: v() if callable(v) else v for k, v in values.items()}
        if gate is not None:
            resolved["gate"] = gate_label(*gate)
        return compose(**resolved)

    return composer


def day(value: datetime.date) -> str:
    """A date as English texts always wrote it (``02 Dec 2026``); in another
    language with its named DATE_FORMAT."""
    if (translation.get_language() or "en").startswith("en"):
        return f"{value:%d %b %Y}"
    return formats.date_format(value, "DATE_FORMAT")


def gate_label(gate_number: int, to_stage: str | None = None, from_stage: str | None = None) -> str:
    """``Gate 3 (to Pilot)``; a review that keeps the stage is the
    ``Recertification`` (``gates.models.gate_label`` names it the same)."""
    if to_stage and from_stage == to_stage:
        return _("Recertification")
    if to_stage:
        return _("Gate %(number)s (to %(stage)s)") % {
            "number": gate_number,
            "stage": Stage(to_stage).label,
        }
    return _("Gate %(number)s") % {"number": gate_number}


def _list(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _in_days(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}


def review_opened(*, use_case: str, gate: str, opened_by: str, chair: str) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "opened_by": opened_by, "chair": chair}
    return (
        _("%(gate)s review opened for “%(use_case)s”") % values,
        _(
            "%(opened_by)s opened the %(gate)s review of “%(use_case)s”, chaired by %(chair)s. "
            "Upload the required artifacts and assess the criteria, then submit it for approval."
        )
        % values,
    )


def review_returned(
    *, use_case: str, gate: str, returned_by: str, reason: str, round: int
) -> tuple[str, str]:
    values = {
        "use_case": use_case,
        "gate": gate,
        "returned_by": returned_by,
        "reason": reason,
        "round": round,
    }
    return (
        _("%(gate)s review of “%(use_case)s” returned for rework (round %(round)s)") % values,
        _(
            "%(returned_by)s returned the %(gate)s review of “%(use_case)s” to the team for "
            "rework (round %(round)s).\n\nReason: %(reason)s\n\nThe review is open again: the "
            "approvers' votes were cleared and the criteria keep their assessments. Rework "
            "what is asked, then submit it for approval again."
        )
        % values,
    )


def approval_requested(*, use_case: str, gate: str, submitted_by: str) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "submitted_by": submitted_by}
    return (
        _("Approval requested: %(gate)s review of “%(use_case)s”") % values,
        _(
            "%(submitted_by)s submitted the %(gate)s review of “%(use_case)s” for approval. "
            "You are a named approver: record your decision (approve, approve with conditions "
            "or reject) on the review page."
        )
        % values,
    )


def approval_recorded(
    *, use_case: str, gate: str, approver: str, decision: str, comment: str, remaining: int
) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "approver": approver, "decision": decision}
    body = _("%(approver)s recorded “%(decision)s” on the %(gate)s review of “%(use_case)s”.") % (
        values
    )
    if comment:
        body += "\n\n" + _("Comment: %(comment)s") % {"comment": comment}
    body += "\n\n" + (
        ngettext(
            "%(count)s approval still pending.", "%(count)s approvals still pending.", remaining
        )
        % {"count": remaining}
        if remaining
        else _("Every named approver has now decided.")
    )
    return _("%(approver)s: %(decision)s on the %(gate)s review of “%(use_case)s”") % values, body


def gate_decided(
    *, use_case: str, gate: str, decision: str, rationale: str, stage: str | None
) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "decision": decision}
    body = _("The %(gate)s review of “%(use_case)s” was decided: %(decision)s.") % values
    if stage:
        body += " " + _("The use case moves to %(stage)s.") % {"stage": stage}
    if rationale:
        body += "\n\n" + _("Rationale: %(rationale)s") % {"rationale": rationale}
    return _("%(gate)s decided for “%(use_case)s”: %(decision)s") % values, body


def condition_assigned(
    *, use_case: str, gate: str, description: str, due: datetime.date
) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "description": description, "due": day(due)}
    return (
        _("Condition assigned to you: “%(use_case)s”, %(gate)s, due %(due)s") % values,
        _(
            "The %(gate)s decision on “%(use_case)s” was a Conditional Go, and you own this "
            "condition, due %(due)s:\n\n%(description)s"
        )
        % values,
    )


def pack_ready(*, use_case: str, gate: str) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate}
    return (
        _("Gate pack ready: %(gate)s review of “%(use_case)s”") % values,
        _(
            "The PDF gate pack you asked for, for the %(gate)s review of “%(use_case)s”, is "
            "ready to download from the review page."
        )
        % values,
    )


def pack_failed(*, use_case: str, gate: str) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate}
    return (
        _("Gate pack failed: %(gate)s review of “%(use_case)s”") % values,
        _(
            "The PDF gate pack you asked for, for the %(gate)s review of “%(use_case)s”, could "
            "not be produced. Request it again from the review page; if it fails again, tell "
            "your administrator."
        )
        % values,
    )


def approval_reminder(*, use_case: str, gate: str, days: int, number: int) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "days": days, "number": number}
    return (
        _("Reminder: your approval of the %(gate)s review of “%(use_case)s” is pending") % values,
        _(
            "The %(gate)s review of “%(use_case)s” has waited %(days)s days for your decision "
            "(reminder %(number)s). The gate cannot be decided until every named approver "
            "has decided."
        )
        % values,
    )


def approval_escalation(
    *, use_case: str, gate: str, days: int, pending: Iterable[str]
) -> tuple[str, str]:
    values = {"use_case": use_case, "gate": gate, "days": days, "names": _list(pending)}
    return (
        _("Approvals overdue: %(gate)s review of “%(use_case)s”") % values,
        _(
            "The %(gate)s review of “%(use_case)s”, which you chair, was submitted %(days)s "
            "days ago and still waits for: %(names)s. They have been reminded."
        )
        % values,
    )


def condition_due_soon(
    *, use_case: str, gate: str, description: str, due: datetime.date, days: int
) -> tuple[str, str]:
    values = {
        "use_case": use_case,
        "gate": gate,
        "description": description,
        "due": day(due),
        "when": _in_days(days),
    }
    return (
        _("Condition due %(when)s: “%(use_case)s”, %(gate)s") % values,
        _(
            "A condition you own from the %(gate)s decision on “%(use_case)s” is due %(when)s "
            "(%(due)s):\n\n%(description)s\n\nClose it on the review page with a note saying "
            "how it was met."
        )
        % values,
    )


def condition_overdue(
    *, use_case: str, gate: str, description: str, due: datetime.date, days: int
) -> tuple[str, str]:
    values = {
        "use_case": use_case,
        "gate": gate,
        "description": description,
        "due": day(due),
        "days": days,
    }
    return (
        ngettext(
            "Condition overdue by %(days)s day: “%(use_case)s”, %(gate)s",
            "Condition overdue by %(days)s days: “%(use_case)s”, %(gate)s",
            days,
        )
        % values,
        _(
            "A condition you own from the %(gate)s decision on “%(use_case)s” was due "
            "%(due)s:\n\n%(description)s\n\nClose it on the review page with a note saying "
            "how it was met, or agree a new date with the program lead."
        )
        % values,
    )


def usecase_overdue(
    *, use_case: str, stage: str, days: int, max_days: int | None
) -> tuple[str, str]:
    values = {"use_case": use_case, "stage": stage, "days": days, "max_days": max_days}
    subject = _("Overdue in %(stage)s: “%(use_case)s”") % values
    if max_days:
        body = _(
            "“%(use_case)s” has been in %(stage)s for %(days)s days (the norm is at most "
            "%(max_days)s days). Prepare its next gate review, or decide to hold or stop it."
        )
    else:
        body = _(
            "“%(use_case)s” has been in %(stage)s for %(days)s days. Prepare its next gate "
            "review, or decide to hold or stop it."
        )
    return subject, body % values


def usecase_stalled(*, use_case: str, stage: str, idle_days: int) -> tuple[str, str]:
    values = {"use_case": use_case, "stage": stage, "days": idle_days}
    return (
        _("Stalled: “%(use_case)s” (%(stage)s)") % values,
        _(
            "Nothing has happened on “%(use_case)s” (%(stage)s) for %(days)s days: no "
            "artifact, assessment, approval or decision. Move it forward, or decide to hold or "
            "stop it."
        )
        % values,
    )


def evidence_expiring(
    *, use_case: str, artifact: str, version: int, expires_on: str, days: int
) -> tuple[str, str]:
    """``expires_on`` as stored in ``params``: an ISO date."""
    values = {
        "use_case": use_case,
        "artifact": artifact,
        "version": version,
        "expires_on": day(datetime.date.fromisoformat(expires_on)),
        "when": _in_days(days),
    }
    return (
        _("Evidence expires %(when)s: %(artifact)s v%(version)s of “%(use_case)s”") % values,
        _(
            "%(artifact)s v%(version)s of “%(use_case)s” stops being valid evidence on "
            "%(expires_on)s. Upload a current version before then: a review that asks for it "
            "cannot be submitted with expired evidence."
        )
        % values,
    )


def risk_proposed(
    *, use_case: str, answered_by: str, tier: str, regulations: str, prohibited: bool
) -> tuple[str, str]:
    values = {
        "use_case": use_case,
        "answered_by": answered_by,
        "tier": tier.lower(),
        "regulations": regulations,
    }
    if regulations:
        body = _(
            "%(answered_by)s answered the risk questionnaire of “%(use_case)s”. It proposes "
            "%(tier)s risk and these regulations: %(regulations)s."
        )
    else:
        body = _(
            "%(answered_by)s answered the risk questionnaire of “%(use_case)s”. It proposes "
            "%(tier)s risk, no regulation."
        )
    body = body % values + "\n\n"
    if prohibited:
        body += _("The answers name a practice the EU AI Act prohibits.") + "\n\n"
    body += _("Confirm the proposal or override it with a reason on the risk classification page.")
    return _("Risk classification to confirm: “%(use_case)s”") % values, body


def risk_decided(
    *, use_case: str, decided_by: str, verb: str, tier: str, regulations: str, reason: str
) -> tuple[str, str]:
    """``verb`` is "confirmed" or "overrode"."""
    values = {
        "use_case": use_case,
        "decided_by": decided_by,
        "tier": tier.lower(),
        "regulations": regulations,
    }
    confirmed = verb == "confirmed"
    if confirmed and regulations:
        body = _(
            "%(decided_by)s confirmed the risk classification of “%(use_case)s”: %(tier)s "
            "risk; regulations: %(regulations)s."
        )
    elif confirmed:
        body = _(
            "%(decided_by)s confirmed the risk classification of “%(use_case)s”: %(tier)s "
            "risk; no regulation."
        )
    elif regulations:
        body = _(
            "%(decided_by)s overrode the risk classification of “%(use_case)s”: %(tier)s "
            "risk; regulations: %(regulations)s."
        )
    else:
        body = _(
            "%(decided_by)s overrode the risk classification of “%(use_case)s”: %(tier)s "
            "risk; no regulation."
        )
    body = body % values
    if reason:
        body += "\n\n" + _("Reason: %(reason)s") % {"reason": reason}
    return _("Risk classification decided: “%(use_case)s” is %(tier)s risk") % values, body


def recertification_opened(
    *, use_case: str, cause: str, detail: str, chair: str
) -> tuple[str, str]:
    """``cause`` is "incident" or "drift breach"."""
    values = {"use_case": use_case, "detail": detail, "chair": chair}
    if cause == "incident":
        subject = _("Recertification opened early for “%(use_case)s”: an incident")
        body = _(
            "An incident opened the recertification of “%(use_case)s” before it was due "
            "(%(detail)s). %(chair)s chairs it. Gather the evidence and assess its criteria; "
            "the decision keeps the use case in operation, or retires it."
        )
    else:
        subject = _("Recertification opened early for “%(use_case)s”: a drift breach")
        body = _(
            "A drift breach opened the recertification of “%(use_case)s” before it was due "
            "(%(detail)s). %(chair)s chairs it. Gather the evidence and assess its criteria; "
            "the decision keeps the use case in operation, or retires it."
        )
    return subject % values, body % values


def recertification_due(*, use_case: str, due_on: datetime.date, days: int) -> tuple[str, str]:
    values = {"use_case": use_case, "due_on": day(due_on), "when": _in_days(days)}
    return (
        _("Recertification due %(when)s: “%(use_case)s”") % values,
        _(
            "“%(use_case)s” is in operation and its recertification is due on %(due_on)s. "
            "Its review opens on schedule: gather current evidence and assess the criteria "
            "before the day."
        )
        % values,
    )


def recertification_overdue(*, use_case: str, due_on: datetime.date, days: int) -> tuple[str, str]:
    values = {"use_case": use_case, "due_on": day(due_on), "days": days}
    return (
        _("Recertification overdue: “%(use_case)s”") % values,
        ngettext(
            "The recertification of “%(use_case)s” was due on %(due_on)s, %(days)s day ago, "
            "and is not decided. Decide it, or retire the use case.",
            "The recertification of “%(use_case)s” was due on %(due_on)s, %(days)s days ago, "
            "and is not decided. Decide it, or retire the use case.",
            days,
        )
        % values,
    )


# The kinds whose rows hold ``params`` instead of finished texts (the sweep
# writes them in bulk, in SQL): the text is written when the row is read,
# in the reader's language. ``gate`` is stored as [number, to stage, from stage],
# ``stage`` as its code, a date as its ISO text.
RENDERED: dict[str, Callable[..., tuple[str, str]]] = {
    "approval_reminder": approval_reminder,
    "approval_escalation": approval_escalation,
    "usecase_overdue": usecase_overdue,
    "usecase_stalled": usecase_stalled,
    "evidence_expiring": evidence_expiring,
}


def render(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a row stored with ``params``, in the active language."""
    values = dict(params)
    if "gate" in values:
        values["gate"] = gate_label(*values["gate"])
    if "stage" in values:
        values["stage"] = Stage(values["stage"]).label
    subject, body = RENDERED[kind](**values)
    return " ".join(subject.split())[:255], body
