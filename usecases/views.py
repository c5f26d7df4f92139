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
from django.views.decorators.http import require_http_methods

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.web import is_htmx, redirect_after_post, show_refusal
from usecases import access, rules, services
from usecases.forms import ReclassifyForm, UseCaseCreateForm, UseCaseForm, WithdrawForm
from usecases.models import UseCase


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
            show_refusal(form, exc)
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
            show_refusal(form, exc)
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
