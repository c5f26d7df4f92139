"""The events an endpoint can subscribe to, by their stable names (the
``core.events`` names), with the words the form and the chat messages use.
``ping`` is the test event: it goes to the one endpoint it was sent to,
whatever that endpoint subscribes to."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import events

PING = "ping"

EVENT_TYPES: dict[str, str] = {
    events.REVIEW_OPENED: _("Review opened"),
    events.REVIEW_SUBMITTED: _("Review submitted for approval"),
    events.APPROVAL_RECORDED: _("Approval recorded"),
    events.GATE_DECIDED: _("Gate decided"),
    events.CONDITION_DUE: _("Condition due soon"),
    events.CONDITION_OVERDUE: _("Condition overdue"),
    events.PACK_READY: _("Gate pack ready"),
    events.RECERTIFICATION_DUE: _("Recertification due"),
    events.RECERTIFICATION_OVERDUE: _("Recertification overdue"),
}


def event_label(name: str) -> str:
    if name == PING:
        return str(_("Test message"))
    return str(EVENT_TYPES.get(name, name))
