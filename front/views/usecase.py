"""The use case page: its facts and team (usecases), its gates (gates) and
its readiness summary (readiness); adding and removing team members answer
with the team panel of the same page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import PermissionRefused
from core.web import is_htmx
from gates import read_model
from gates import selectors as gate_selectors
from gates.models import Decision
from operations.selectors import operation_panel
from readiness.selectors import readiness_summary
from usecases import access, custom_fields, services
from usecases import selectors as usecase_selectors
from usecases.forms import MemberAddForm
from usecases.models import UseCase, UseCaseMember
from usecases.rules import TEAM_REFUSAL
from value import selectors as value_selectors
from value.selectors import value_read

TEMPLATE = "front/usecase_detail.html"


def _use_case(request: HttpRequest, pk: int) -> UseCase:
    return access.visible_use_case(
        request.user,
        pk,
        UseCase.objects.select_related(
            "business_unit", "business_unit__head", "operating_owner"
        ).prefetch_related(
            Prefetch("members", queryset=UseCaseMember.objects.select_related("user"))
        ),
    )


def _require_team_editable(request: HttpRequest, use_case: UseCase) -> None:
    """A person who may not edit gets the 403 page; a killed use case's refusal
    (409) is left to the middleware's inline message."""
    try:
        services.usecase_ensure_editable(use_case=use_case, by=request.user, refusal=TEAM_REFUSAL)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc


def _context(
    request: HttpRequest, use_case: UseCase, member_form: MemberAddForm | None = None
) -> dict[str, Any]:
    can_edit = access.can_edit_use_case(request.user, use_case)
    gate_panel = gate_selectors.usecase_gate_panel(use_case=use_case, user=request.user)
    open_review = gate_panel["gate_open_review"]
    context: dict[str, Any] = {
        "use_case": use_case,
        "track": gate_selectors.stage_track(use_case, gate_panel["transitions"]),
        "days_in_stage": use_case.days_in_stage,
        "team": usecase_selectors.usecase_team(use_case),
        "can_edit": can_edit,
        "member_form": member_form or (MemberAddForm() if can_edit else None),
        **gate_panel,
    }
    # A killed or retired use case: the decision that ended it, why, what was
    # learned and what it had spent (from the value read below).
    ending = next(
        (
            r
            for r in gate_panel["gate_past_reviews"]
            if r.decision in (Decision.KILL, Decision.RETIRE)
        ),
        None,
    )

    # The summary of the gate ahead reads the open review as the review page does.
    # Without one, it reads the gate ahead the gate panel has read.
    read = read_model.review_read(open_review.pk) if open_review is not None else None
    context["summary"] = readiness_summary(
        use_case=use_case, read=read, template=gate_panel["gate_next"]
    )
    # In operation: the owner and the next recertification; retired: the day.
    context["operation"] = operation_panel(use_case)
    # The risk classification's state, linked from the facts (one query).
    context["risk_state"] = usecase_selectors.risk_state_label(
        usecase_selectors.risk_latest([use_case.pk]).get(use_case.pk)
    )
    # The custom fields' values (one query, two with a person named).
    context["details"] = custom_fields.display_rows(custom_fields.active_fields(), use_case)
    # The value panel: spent, 3-year ROI, payback and the budget warning (three queries).
    context["value"] = value_read(use_case)
    if ending is not None:
        # What it had spent when it ended: the value read's sum of actuals.
        context["ending"] = {
            "review": ending,
            "spent": context["value"].finances.spent,
            "currency": value_selectors.currency(),
        }
    return context


@login_required
def usecase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _use_case(request, pk)
    return render(request, TEMPLATE, _context(request, use_case))


def _team_response(
    request: HttpRequest, use_case: UseCase, member_form: MemberAddForm | None = None
) -> HttpResponse:
    if is_htmx(request):
        # The team just changed, and with it perhaps the caller's own roles.
        access.forget_member_roles(request.user)
        use_case = _use_case(request, use_case.pk)
        context = {
            "use_case": use_case,
            "team": usecase_selectors.usecase_team(use_case),
            "can_edit": access.can_edit_use_case(request.user, use_case),
            "member_form": member_form or MemberAddForm(),
        }
        return render(request, f"{TEMPLATE}#team", context)
    if member_form is not None:
        return render(request, TEMPLATE, _context(request, use_case, member_form))
    return redirect(use_case.get_absolute_url() + "#team")


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _use_case(request, pk)
    _require_team_editable(request, use_case)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _team_response(request, use_case, form)
    # Refusals (already in that role, killed meanwhile) reach the page's
    # message area through DomainErrorMiddleware.
    services.member_add(
        use_case=use_case,
        by=request.user,
        user=form.cleaned_data["user"],
        role=form.cleaned_data["role"],
    )
    return _team_response(request, use_case)


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    use_case = _use_case(request, pk)
    _require_team_editable(request, use_case)
    member = get_object_or_404(
        UseCaseMember.objects.select_related("user"), pk=member_id, use_case=use_case
    )
    services.member_remove(member=member, by=request.user)
    return _team_response(request, use_case)
