"""The rollout page of a use case: the pilot's scope (with its share of the
target and the warning outside 5–15%) and the production waves with their
validations. Each form posts to its own view, which answers the page's
``rollout`` partial for htmx and redirects (or re-renders the page with the
errors) for a plain post. Refused transitions go to ``core.middleware``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import InvalidInput, PermissionRefused
from core.web import is_htmx, show_refusal
from usecases import access
from usecases.models import UseCase
from value import rollout_rules
from value.forms_rollout import PilotScopeForm, WavesPlanForm, WaveStartForm, WaveValidateForm
from value.models import RolloutWave
from value.selectors_rollout import Rollout, rollout_of
from value.services import rollout as services

TEMPLATE = "value/rollout.html"


def _plannable_use_case(request: HttpRequest, pk: int) -> UseCase:
    use_case = access.visible_use_case(request.user, pk)
    refusal = rollout_rules.rollout_refusal(request.user, use_case)
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message)
    if refusal is not None:
        raise refusal
    return use_case


def _pilot_form(rollout: Rollout) -> PilotScopeForm:
    pilot = rollout.pilot
    if pilot is None:
        return PilotScopeForm()
    return PilotScopeForm(
        initial={
            "unit": pilot.unit,
            "pilot_units": pilot.pilot_units,
            "target_units": pilot.target_units,
            "adoption_percent": pilot.adoption_percent,
        }
    )


def _context(request: HttpRequest, use_case: UseCase, **bound: Any) -> dict[str, Any]:
    rollout = rollout_of(use_case)
    can_plan = rollout_rules.can_plan_rollout(request.user, use_case)
    wave_forms = bound.pop("wave_forms", {})
    rows = []
    for row in rollout.waves:
        pk = row.wave.pk
        start = wave_forms.get(("start", pk)) or WaveStartForm(prefix=f"wave{pk}-start")
        validate = wave_forms.get(("validate", pk)) or WaveValidateForm(prefix=f"wave{pk}-validate")
        rows.append({"row": row, "start_form": start, "validate_form": validate})
    context = {
        "use_case": use_case,
        "rollout": rollout,
        "wave_rows": rows,
        "can_plan": can_plan,
        "pilot_form": _pilot_form(rollout),
        "plan_form": WavesPlanForm(),
    }
    context.update(bound)
    return context


def _answer(request: HttpRequest, use_case: UseCase, ok: bool, **bound: Any) -> HttpResponse:
    if is_htmx(request):
        return render(request, f"{TEMPLATE}#rollout", _context(request, use_case, **bound))
    if ok:
        return HttpResponseRedirect(reverse("usecase-rollout", args=[use_case.pk]) + "#rollout")
    return render(request, TEMPLATE, _context(request, use_case, **bound), status=400)


@login_required
@require_GET
def usecase_rollout(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    return render(request, TEMPLATE, _context(request, use_case))


@login_required
@require_POST
def pilot_scope_save(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _plannable_use_case(request, pk)
    form = PilotScopeForm(request.POST)
    ok = False
    if form.is_valid():
        try:
            services.pilot_scope_set(use_case=use_case, by=request.user, **form.cleaned_data)
            ok = True
        except InvalidInput as exc:
            show_refusal(form, exc)
    return _answer(request, use_case, ok, **({} if ok else {"pilot_form": form}))


@login_required
@require_POST
def waves_plan(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _plannable_use_case(request, pk)
    form = WavesPlanForm(request.POST)
    ok = False
    if form.is_valid():
        try:
            services.waves_plan(
                use_case=use_case, by=request.user, waves=form.cleaned_data["waves"]
            )
            ok = True
        except InvalidInput as exc:
            show_refusal(form, exc)
    return _answer(request, use_case, ok, **({} if ok else {"plan_form": form}))


def _wave(request: HttpRequest, pk: int, wave_id: int) -> tuple[UseCase, RolloutWave]:
    use_case = _plannable_use_case(request, pk)
    return use_case, get_object_or_404(RolloutWave, pk=wave_id, use_case=use_case)


@login_required
@require_POST
def wave_start(request: HttpRequest, pk: int, wave_id: int) -> HttpResponse:
    use_case, wave = _wave(request, pk, wave_id)
    form = WaveStartForm(request.POST, prefix=f"wave{wave.pk}-start")
    ok = False
    if form.is_valid():
        try:
            services.wave_start(wave=wave, by=request.user, **form.cleaned_data)
            ok = True
        except InvalidInput as exc:
            show_refusal(form, exc)
    bound = {} if ok else {"wave_forms": {("start", wave.pk): form}}
    return _answer(request, use_case, ok, **bound)


@login_required
@require_POST
def wave_validate(request: HttpRequest, pk: int, wave_id: int) -> HttpResponse:
    use_case, wave = _wave(request, pk, wave_id)
    form = WaveValidateForm(request.POST, prefix=f"wave{wave.pk}-validate")
    ok = False
    if form.is_valid():
        try:
            services.wave_validate(wave=wave, by=request.user, **form.cleaned_data)
            ok = True
        except InvalidInput as exc:
            show_refusal(form, exc)
    bound = {} if ok else {"wave_forms": {("validate", wave.pk): form}}
    return _answer(request, use_case, ok, **bound)
