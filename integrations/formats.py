"""What goes on the wire: the signed request of a delivery, in the
endpoint's format.

- ``json``: the payload itself (integrations/payloads.py).
- ``slack``: ``{"text", "blocks"}`` for a Slack incoming webhook: a section
  with the message and a button linking back.
- ``teams``: a ``MessageCard`` for a Microsoft Teams incoming webhook: title,
  text, facts and an ``OpenUri`` action linking back.

Every request carries ``X-StageGate-Event``, ``X-StageGate-Delivery`` (the
delivery's uuid), ``X-StageGate-Timestamp`` (Unix seconds) and
``X-StageGate-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``
keyed with the endpoint's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.utils.translation import gettext as _

from integrations.catalogue import PING, event_label
from integrations.models import EndpointFormat

SIGNATURE_HEADER = "X-StageGate-Signature"
TIMESTAMP_HEADER = "X-StageGate-Timestamp"
EVENT_HEADER = "X-StageGate-Event"
DELIVERY_HEADER = "X-StageGate-Delivery"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """How a receiver checks a request (the README shows the same in a few lines)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def summary(payload: dict[str, Any]) -> str:
    """One readable sentence for a chat message."""
    event = payload.get("event", "")
    data = payload.get("data") or {}
    use_case = (data.get("use_case") or {}).get("title", "")
    review = (data.get("review") or {}).get("gate_label", "")
    if event == PING:
        return _("Test message from StageGate: this endpoint receives its events.")
    details = []
    if data.get("decision_label"):
        details.append(data["decision_label"])
    approval = data.get("approval") or {}
    if approval:
        details.append(
            _("%(approver)s: %(decision)s")
            % {
                "approver": approval.get("approver", ""),
                "decision": approval.get("decision_label", ""),
            }
        )
    condition = data.get("condition") or {}
    if condition:
        details.append(
            _("%(description)s (owner %(owner)s, due %(due)s)")
            % {
                "description": condition.get("description", ""),
                "owner": condition.get("owner", ""),
                "due": condition.get("due_on", ""),
            }
        )
    if data.get("due_on"):
        details.append(_("due %(due)s") % {"due": data["due_on"]})
    subject = " · ".join(part for part in (use_case, review) if part)
    text = f"{event_label(event)}: {subject}" if subject else event_label(event)
    if details:
        text += " — " + "; ".join(details)
    return text


def _slack(payload: dict[str, Any]) -> dict[str, Any]:
    text = summary(payload)
    link = payload.get("link", "")
    return {
        "text": f"{text} <{link}|{_('Open in StageGate')}>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _("Open in StageGate")},
                        "url": link,
                    }
                ],
            },
        ],
    }


def _teams(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data") or {}
    facts = []
    if data.get("use_case"):
        facts.append({"name": _("Use case"), "value": data["use_case"].get("title", "")})
    if data.get("review"):
        facts.append({"name": _("Gate"), "value": data["review"].get("gate_label", "")})
    if data.get("decision_label"):
        facts.append({"name": _("Decision"), "value": data["decision_label"]})
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": event_label(payload.get("event", "")),
        "themeColor": "1F4E79",
        "title": event_label(payload.get("event", "")),
        "text": summary(payload),
        "sections": [{"facts": facts}] if facts else [],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": _("Open in StageGate"),
                "targets": [{"os": "default", "uri": payload.get("link", "")}],
            }
        ],
    }


def body_for(format: str, payload: dict[str, Any]) -> bytes:
    if format == EndpointFormat.SLACK:
        document = _slack(payload)
    elif format == EndpointFormat.TEAMS:
        document = _teams(payload)
    else:
        document = payload
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def headers_for(*, secret: str, event: str, delivery_id: str, timestamp: str, body: bytes):
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "StageGate-Webhooks/1",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
