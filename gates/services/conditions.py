"""Conditions as people write them: the chair's on a Conditional Go, and the
ones an approver proposes when approving with conditions, which the chair
adopts into the decision. Both are cleaned the same way here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.web import display_name
from gates.models import (
    ConditionStatus,
    GateCondition,
    GateReview,
    ProposedCondition,
    ReviewApprover,
    ReviewCriterion,
)

MAX_CONDITIONS = 20


def clean_conditions(
    conditions: Iterable[dict[str, Any]], *, review: GateReview, field: str = "conditions"
) -> list[dict[str, Any]]:
    """Each condition needs a description, an active owner and a due date
    that is not past; its ``criterion`` (a criterion of this review, by id or
    instance) is optional. Raises InvalidInput naming the condition's number."""
    rows = list(conditions)
    if len(rows) > MAX_CONDITIONS:
        raise InvalidInput(
            _("At most %(MAX_CONDITIONS)s conditions at once.")
            % {"MAX_CONDITIONS": MAX_CONDITIONS},
            field=field,
        )
    cleaned: list[dict[str, Any]] = []
    today = timezone.localdate()
    criteria: dict[int, ReviewCriterion] | None = None
    for index, raw in enumerate(rows, start=1):
        description = str(raw.get("description") or "").strip()
        owner = raw.get("owner")
        due = raw.get("due_date")
        if not description:
            raise InvalidInput(
                _("Condition %(index)s needs a description.") % {"index": index}, field=field
            )
        if len(description) > 2000:
            raise InvalidInput(
                _("Condition %(index)s is longer than 2,000 characters.") % {"index": index},
                field=field,
            )
        if owner is None or not getattr(owner, "is_active", False):
            raise InvalidInput(
                _("Condition %(index)s needs an active owner.") % {"index": index}, field=field
            )
        if isinstance(due, str):
            try:
                due = datetime.date.fromisoformat(due)
            except ValueError:
                raise InvalidInput(
                    _("Condition %(index)s: due date must be YYYY-MM-DD.") % {"index": index},
                    field=field,
                ) from None
        if not isinstance(due, datetime.date):
            raise InvalidInput(
                _("Condition %(index)s needs a due date.") % {"index": index}, field=field
            )
        if due < today:
            raise InvalidInput(
                _("Condition %(index)s: the due date is in the past.") % {"index": index},
                field=field,
            )
        criterion = raw.get("criterion")
        if criterion is not None:
            if criteria is None:
                criteria = {c.pk: c for c in ReviewCriterion.objects.filter(review=review)}
            criterion_id = criterion.pk if isinstance(criterion, ReviewCriterion) else criterion
            criterion = criteria.get(criterion_id) if isinstance(criterion_id, int) else None
            if criterion is None:
                raise InvalidInput(
                    _("Condition %(index)s: the criterion is not one of this review's.")
                    % {"index": index},
                    field=field,
                )
        cleaned.append(
            {"description": description, "owner": owner, "due_date": due, "criterion": criterion}
        )
    return cleaned


def describe(condition: GateCondition | ProposedCondition | dict[str, Any]) -> dict[str, Any]:
    """A condition as the audit trail keeps it."""
    get = condition.get if isinstance(condition, dict) else lambda k: getattr(condition, k)
    criterion = get("criterion")
    return {
        "description": get("description"),
        "owner": get("owner").get_username(),
        "due_date": get("due_date").isoformat(),
        "criterion": criterion.name if criterion is not None else None,
    }


def proposals_replace(
    *, review: GateReview, seat: ReviewApprover, by: Any, rows: Sequence[dict[str, Any]]
) -> list[ProposedCondition]:
    """The seat's vote is its latest: the conditions it proposed before and
    the chair has not adopted give way to ``rows`` (cleaned). The audit event
    of the vote keeps both."""
    ProposedCondition.objects.filter(approver=seat, adopted_as__isnull=True).delete()
    return ProposedCondition.objects.bulk_create(
        ProposedCondition(review=review, approver=seat, proposed_by=by, **row) for row in rows
    )


def proposals_to_adopt(
    *, review: GateReview, adopt: Iterable[Any], decision_label: str, conditional: bool
) -> list[ProposedCondition]:
    """The proposals the chair adopts, locked: each one of this review, not
    adopted yet, with an active owner and a due date still ahead."""
    ids: list[int] = []
    for item in adopt:
        pk = item.pk if isinstance(item, ProposedCondition) else item
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise InvalidInput(_("Adopt proposed conditions by their id."), field="adopt")
        ids.append(pk)
    if not ids:
        return []
    if not conditional:
        raise InvalidInput(
            _("Only Conditional Go adopts proposed conditions, not %(decision_label)s.")
            % {"decision_label": decision_label},
            field="adopt",
        )
    proposals = list(
        ProposedCondition.objects.select_for_update(of=("self",))
        .filter(review=review, pk__in=ids)
        .select_related("owner", "criterion", "proposed_by")
        .order_by("created_at", "id")
    )
    unknown = sorted(set(ids) - {p.pk for p in proposals})
    if unknown:
        raise InvalidInput(
            "Not a proposed condition of this review: " + ", ".join(f"#{pk}" for pk in unknown),
            field="adopt",
        )
    today = timezone.localdate()
    for proposal in proposals:
        name = f"“{proposal.description[:80]}” (proposed by {display_name(proposal.proposed_by)})"
        if proposal.adopted_as_id is not None:
            raise InvalidInput(_("%(name)s is already adopted.") % {"name": name}, field="adopt")
        if not proposal.owner.is_active:
            raise InvalidInput(
                _("%(name)s: its owner is no longer active; write the condition anew.")
                % {"name": name},
                field="adopt",
            )
        if proposal.due_date < today:
            raise InvalidInput(
                _("%(name)s was due on %(due_date)s: write it anew with a later due date.")
                % {"name": name, "due_date": f"{proposal.due_date:%d %b %Y}"},
                field="adopt",
            )
    return proposals


def conditions_create(
    *, review: GateReview, rows: Sequence[dict[str, Any]], adopted: Sequence[ProposedCondition]
) -> list[GateCondition]:
    """The decision's tracked conditions: the chair's own rows, then the
    adopted proposals, each linked to the condition it became."""
    created = [
        GateCondition.objects.create(review=review, status=ConditionStatus.OPEN, **row)
        for row in rows
    ]
    for proposal in adopted:
        condition = GateCondition.objects.create(
            review=review,
            description=proposal.description,
            owner=proposal.owner,
            due_date=proposal.due_date,
            criterion=proposal.criterion,
        )
        proposal.adopted_as = condition
        proposal.save(update_fields=["adopted_as"])
        created.append(condition)
    return created
