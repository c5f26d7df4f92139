"""The JSON payload of each event: ``{"id", "event", "occurred_at", "data",
"link"}``, built once when the event is heard and kept on every delivery of
it, so each endpoint receives the same document, whenever it is sent.

``data`` holds plain values only (ids, titles, labels, ISO dates and
absolute links); the schema of every event is documented in
integrations/README.md. Each builder reads its rows with one or two queries;
an event whose object no longer exists builds nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.urls import reverse

from core import events
from core.web import display_name
from gates.models import GateCondition, GateReview, ReviewApprover
from integrations import conf
from integrations.catalogue import PING
from usecases.models import UseCase

Data = dict[str, Any]


def absolute(name: str, pk: int) -> str:
    return conf.site_url() + reverse(name, args=[pk])


def _use_case(use_case: UseCase) -> Data:
    return {
        "id": use_case.pk,
        "title": use_case.title,
        "stage": use_case.stage,
        "status": use_case.status,
        "link": absolute("usecase-detail", use_case.pk),
    }


def _review(review: GateReview) -> Data:
    return {
        "id": review.pk,
        "gate": review.gate_number,
        "gate_label": str(review.gate_label),
        "from_stage": review.from_stage,
        "to_stage": review.to_stage,
        "status": review.status,
        "link": absolute("review-detail", review.pk),
    }


def _load_review(review_id: Any) -> GateReview | None:
    return GateReview.objects.select_related("use_case", "decided_by").filter(pk=review_id).first()


def _review_event(review_id: Any = None, **_: Any) -> tuple[Data, str] | None:
    review = _load_review(review_id)
    if review is None:
        return None
    data = {"use_case": _use_case(review.use_case), "review": _review(review)}
    return data, data["review"]["link"]


def _review_opened(review_id: Any = None, opened_by_id: Any = None, **_: Any):
    built = _review_event(review_id)
    if built is None:
        return None
    data, link = built
    data["opened_by_id"] = opened_by_id
    return data, link


def _approval_recorded(
    review_id: Any = None, approver_id: Any = None, pending: Any = None, **_: Any
):
    seat = (
        ReviewApprover.objects.select_related("review__use_case", "user")
        .filter(pk=approver_id, review_id=review_id)
        .first()
    )
    if seat is None:
        return None
    review = seat.review
    data = {
        "use_case": _use_case(review.use_case),
        "review": _review(review),
        "approval": {
            "approver": display_name(seat.user),
            "decision": seat.decision,
            "decision_label": str(seat.get_decision_display()),
            "comment": seat.comment,
            "decided_at": seat.decided_at.isoformat() if seat.decided_at else None,
        },
        "pending_approvals": pending,
    }
    return data, data["review"]["link"]


def _conditions(conditions: list[GateCondition]) -> list[Data]:
    return [
        {
            "id": c.pk,
            "description": c.description,
            "owner": display_name(c.owner),
            "due_on": c.due_date.isoformat(),
            "status": c.status,
        }
        for c in conditions
    ]


def _gate_decided(review_id: Any = None, **_: Any):
    review = _load_review(review_id)
    if review is None:
        return None
    conditions = list(review.conditions.select_related("owner").order_by("due_date", "pk"))
    data = {
        "use_case": _use_case(review.use_case),
        "review": _review(review),
        "decision": review.decision,
        "decision_label": str(review.get_decision_display()) if review.decision else "",
        "rationale": review.rationale,
        "decided_by": display_name(review.decided_by) if review.decided_by else "",
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "conditions": _conditions(conditions),
    }
    return data, data["review"]["link"]


def _condition(condition_id: Any = None, period: Any = "", **_: Any):
    condition = (
        GateCondition.objects.select_related("review__use_case", "owner")
        .filter(pk=condition_id)
        .first()
    )
    if condition is None:
        return None
    review = condition.review
    data = {
        "use_case": _use_case(review.use_case),
        "review": _review(review),
        "condition": _conditions([condition])[0],
        "period": period,
    }
    return data, data["review"]["link"]


def _pack_ready(pack_id: Any = None, **_: Any):
    # The reporting app sits beside this one (no import between them): its
    # model by name.
    try:
        model = apps.get_model("reporting", "GatePack")
    except LookupError:
        return None
    pack = model.objects.select_related("review__use_case").filter(pk=pack_id).first()
    if pack is None:
        return None
    review = pack.review
    data = {
        "use_case": _use_case(review.use_case),
        "review": _review(review),
        "pack": {
            "id": pack.pk,
            "sha256": pack.sha256,
            "page_count": pack.page_count,
            "download": absolute("pack-download", pack.pk),
        },
    }
    return data, data["pack"]["download"]


def _recertification(use_case_id: Any = None, due_on: Any = "", **_: Any):
    use_case = UseCase.objects.filter(pk=use_case_id).first()
    if use_case is None:
        return None
    data = {
        "use_case": _use_case(use_case),
        "due_on": str(due_on),
        "operation_link": absolute("usecase-operation", use_case.pk),
    }
    return data, data["operation_link"]


BUILDERS: dict[str, Callable[..., tuple[Data, str] | None]] = {
    events.REVIEW_OPENED: _review_opened,
    events.REVIEW_SUBMITTED: _review_event,
    events.APPROVAL_RECORDED: _approval_recorded,
    events.GATE_DECIDED: _gate_decided,
    events.CONDITION_DUE: _condition,
    events.CONDITION_OVERDUE: _condition,
    events.PACK_READY: _pack_ready,
    events.RECERTIFICATION_DUE: _recertification,
    events.RECERTIFICATION_OVERDUE: _recertification,
}


def build(
    *, event: str, occurrence: str, occurred_at: datetime.datetime, data: dict[str, Any]
) -> Data | None:
    """The payload of one event occurrence, or None when its object is gone."""
    if event == PING:
        built: tuple[Data, str] | None = (dict(data), conf.site_url() + reverse("webhooks"))
    else:
        builder = BUILDERS.get(event)
        # Ids arrive as the outbox stored them; anything odd builds nothing.
        try:
            built = builder(**data) if builder else None
        except (TypeError, ValueError):
            built = None
    if built is None:
        return None
    body, link = built
    return {
        "id": occurrence,
        "event": event,
        "occurred_at": occurred_at.isoformat(),
        "data": body,
        "link": link,
    }
