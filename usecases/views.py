"""The portfolio's own pages: proposing and editing a use case. Each view
answers the whole page or, for htmx, the named partial of the same template;
every form also works as a plain post. My work, the portfolio and the use
case page combine several apps and live in ``front``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.web import is_htmx, redirect_after_post, show_refusal
from usecases import access, people, risk, rules, selectors, services
from usecases.forms import (
    ReclassifyForm,
    RiskDecisionForm,
    RiskQuestionnaireForm,
    UseCaseCreateForm,
    UseCaseForm,
    WithdrawForm,
)
from usecases.models import RegulatoryConstraint, RiskClassificationStatus, UseCase


def _require_editable(request: HttpRequest, use_case: UseCase, **kwargs: Any) -> None:
    """A person who may not edit gets the 403 page; a killed use case's refusal
    (409) is left to the caller or to the middleware's inline message."""
    try:
        services.usecase_ensure_editable(use_case=use_case, by=request.user, **kwargs)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
@require_http_methods(["GET", "POST"])
def usecase_create(request: HttpRequest) -> HttpResponse:
    try:
        services.usecase_ensure_creatable(by=request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    can_pick_sponsor = access.is_program_lead(request.user)
    form = UseCaseCreateForm(
        request.POST or None, can_pick_sponsor=can_pick_sponsor, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            # The same form sent twice (a double click) leads to the use case
            # its first submission created.
            use_case, _created = services.usecase_create_once(
                by=request.user,
                idempotency_key=form.cleaned_data.get("idempotency_key"),
                sponsor=form.cleaned_data.get("sponsor"),
                **form.changes(),
            )
        except (InvalidInput, PermissionRefused) as exc:
            # A role in the unit lost between loading the form and saving it.
            form.show_refusal(exc)
        else:
            return redirect_after_post(request, use_case.get_absolute_url())
    return _render_form(request, form, use_case=None)


@login_required
@require_http_methods(["GET", "POST"])
def usecase_edit(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    try:
        _require_editable(request, use_case)
    except TransitionRefused as exc:
        return render(
            request,
            "usecases/usecase_form.html",
            {"use_case": use_case, "refusal": exc},
            status=409,
        )
    form = UseCaseForm(request.POST or None, instance=use_case, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.usecase_update(use_case=use_case, by=request.user, **form.changes())
        except (InvalidInput, TransitionRefused, PermissionRefused) as exc:
            # Killed between loading the form and saving it, or refused input
            # (a move to a business unit where the editor holds no role).
            form.show_refusal(exc)
        else:
            return redirect_after_post(request, use_case.get_absolute_url())
    return _render_form(request, form, use_case=use_case)


def _render_form(request: HttpRequest, form: Any, *, use_case: UseCase | None) -> HttpResponse:
    template = "usecases/usecase_form.html"
    if is_htmx(request):
        template += "#form"
    return render(request, template, {"form": form, "use_case": use_case})


@login_required
@require_http_methods(["GET", "POST"])
def usecase_reclassify(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk and compliance role's reclassification, with a reason."""
    use_case = access.visible_use_case(request.user, pk)
    refusal = rules.reclassify_refusal(request.user, use_case)
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message)
    template = "usecases/usecase_reclassify.html"
    if refusal is not None:
        # Killed, or a review is open: say why, change nothing.
        return render(request, template, {"use_case": use_case, "refusal": refusal}, status=409)
    form = ReclassifyForm(
        request.POST or None,
        initial={
            "risk_tier": use_case.risk_tier,
            "regulatory_constraints": use_case.regulatory_constraints,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.usecase_reclassify(use_case=use_case, by=request.user, **form.cleaned_data)
        except (InvalidInput, TransitionRefused) as exc:
            show_refusal(form, exc)
        else:
            return redirect_after_post(request, use_case.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, template, {"use_case": use_case, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def usecase_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirm step of a withdrawal: the reason, then the sponsor's or a
    program lead's post."""
    use_case = access.visible_use_case(request.user, pk)
    refusal = rules.withdraw_refusal(request.user, use_case)
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message)
    template = "usecases/usecase_withdraw.html"
    if refusal is not None:
        # Read-only already, passed a gate, or a review under way: say why.
        return render(request, template, {"use_case": use_case, "refusal": refusal}, status=409)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.usecase_withdraw(
                use_case=use_case, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (InvalidInput, TransitionRefused) as exc:
            show_refusal(form, exc)
        else:
            return redirect_after_post(request, use_case.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, template, {"use_case": use_case, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def usecase_risk(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk classification page: the questionnaire (the team, program
    leads), the proposal with its reasoning, risk and compliance's decision,
    and every version. A post names its form (``action``: answer or decide)."""
    use_case = access.visible_use_case(request.user, pk)
    versions = selectors.risk_page(use_case)
    latest = versions[0] if versions else None
    answer_refusal = rules.risk_answer_refusal(request.user, use_case)
    decide_refusal = rules.risk_decide_refusal(request.user, use_case)
    can_decide = (
        decide_refusal is None
        and latest is not None
        and latest.status == RiskClassificationStatus.PROPOSED
    )
    action = request.POST.get("action") if request.method == "POST" else None
    answer_form = RiskQuestionnaireForm(
        request.POST if action == "answer" else None,
        initial=RiskQuestionnaireForm.initial_from(latest.answers) if latest else None,
    )
    decision_form = RiskDecisionForm(request.POST if action == "decide" else None)
    status = 200
    if action == "answer":
        if isinstance(answer_refusal, PermissionRefused):
            raise PermissionDenied(answer_refusal.message)
        if answer_refusal is not None:
            # Killed or withdrawn: the page says why (the answers are not taken).
            status = 409
        elif answer_form.is_valid():
            try:
                services.risk_answer(
                    use_case=use_case, by=request.user, answers=answer_form.cleaned_data
                )
            except (InvalidInput, TransitionRefused) as exc:
                show_refusal(answer_form, exc)
            else:
                return redirect_after_post(request, reverse("usecase-risk", args=[use_case.pk]))
            status = 400
        else:
            status = 400
    elif action == "decide":
        if not can_decide:
            if isinstance(decide_refusal, PermissionRefused):
                raise PermissionDenied(decide_refusal.message)
            decision_form.add_error(None, _("There is no proposal awaiting a decision."))
        elif decision_form.is_valid():
            try:
                services.risk_decide(
                    classification=latest, by=request.user, **decision_form.service_kwargs()
                )
            except (InvalidInput, TransitionRefused) as exc:
                show_refusal(decision_form, exc)
            else:
                return redirect_after_post(request, reverse("usecase-risk", args=[use_case.pk]))
        status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "usecases/usecase_risk.html",
        {
            "use_case": use_case,
            "versions": [
                {"row": row, "answers": risk.answer_rows(row.answers)} for row in versions
            ],
            "latest": latest,
            "proposed_labels": [
                dict(RegulatoryConstraint.choices).get(code, code)
                for code in (latest.proposed_regulations if latest else [])
            ],
            "state": selectors.risk_state_label(latest),
            "answer_form": answer_form if answer_refusal is None else None,
            "answer_refusal": answer_refusal,
            "decision_form": decision_form if can_decide else None,
            "decide_refusal": decide_refusal,
        },
        status=status,
    )


@login_required
@require_GET
def people_options(request: HttpRequest) -> HttpResponse:
    """A person picker's select with the people its search box matches
    (``usecases.people``): any signed-in person may look colleagues up by
    name, as every form naming someone lets them."""
    select = people.options_answer(request.GET)
    if select is None:
        return HttpResponse(
            _("This search box is out of date: reload the page."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(select)
