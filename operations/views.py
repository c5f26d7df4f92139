"""The operation page of a use case: its owner, next recertification,
monitored KPIs, incidents, drift breaches and recertification history. Each
form posts to its own view, which answers the page's partial for htmx and
redirects (or re-renders the page with the errors) for a plain post."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, PermissionRefused
from core.web import get_or_404, is_htmx, show_refusal
from operations import rules, selectors, services
from operations.forms import DriftForm, IncidentForm, OwnerForm
from readiness.models import Kpi
from usecases import access
from usecases.models import UseCase

TEMPLATE = "operations/usecase_operation.html"


def _context(request: HttpRequest, use_case: UseCase, **bound: Any) -> dict[str, Any]:
    read = selectors.operation_read(use_case=use_case)
    user = request.user
    can_drift = rules.can(rules.drift_refusal(user, read.use_case))
    drift_forms: dict[int, Any] = bound.pop("drift_forms", {})
    kpi_rows = [
        (
            line,
            drift_forms.get(line.kpi.pk)
            or DriftForm(
                prefix=f"drift{line.kpi.pk}",
                initial={
                    "operator": line.kpi.drift_operator or ">=",
                    "threshold": line.kpi.drift_threshold,
                },
            ),
        )
        for line in read.kpis
    ]
    context: dict[str, Any] = {
        "use_case": read.use_case,
        "read": read,
        "operating": read.use_case.is_operating,
        "can_change_owner": rules.can(rules.owner_change_refusal(user, read.use_case)),
        "can_record_incident": rules.can(rules.incident_refusal(user, read.use_case)),
        "can_drift": can_drift,
        "kpi_rows": kpi_rows,
        "owner_form": OwnerForm(),
        "incident_form": IncidentForm(),
        "saved": "",
    }
    context.update(bound)
    return context


def _answer(
    request: HttpRequest, use_case: UseCase, partial: str, ok: bool, **bound: Any
) -> HttpResponse:
    if is_htmx(request):
        return render(request, f"{TEMPLATE}#{partial}", _context(request, use_case, **bound))
    if ok:
        url = reverse("usecase-operation", args=[use_case.pk])
        return HttpResponseRedirect(f"{url}#{partial}")
    return render(request, TEMPLATE, _context(request, use_case, **bound), status=400)


def _forbid(refusal: DomainError | None) -> None:
    """403 for a person without the role; a refusal of state (409) is left to
    the service, whose message lands on the form."""
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message)


@login_required
def usecase_operation(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    return render(request, TEMPLATE, _context(request, use_case))


@login_required
@require_POST
def owner_change(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    _forbid(rules.owner_change_refusal(request.user, use_case))
    form = OwnerForm(request.POST)
    ok = False
    if form.is_valid():
        try:
            services.operating_owner_set(use_case=use_case, by=request.user, **form.cleaned_data)
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": "owner"} if ok else {"owner_form": form}
    return _answer(request, use_case, "owner", ok, **bound)


@login_required
@require_POST
def drift_save(request: HttpRequest, pk: int, kpi_id: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    _forbid(rules.drift_refusal(request.user, use_case))
    kpi = get_or_404(Kpi.objects.filter(use_case=use_case), kpi_id)
    prefix = f"drift{kpi.pk}"
    form = DriftForm(request.POST, prefix=prefix)
    ok = False
    if request.POST.get("clear"):
        try:
            services.kpi_drift_clear(kpi=kpi, by=request.user)
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    elif form.is_valid():
        try:
            services.kpi_drift_set(kpi=kpi, by=request.user, **form.cleaned_data)
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": prefix} if ok else {"drift_forms": {kpi.pk: form}}
    return _answer(request, use_case, "kpis", ok, **bound)


@login_required
@require_POST
def incident_create(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    _forbid(rules.incident_refusal(request.user, use_case))
    form = IncidentForm(request.POST)
    ok = False
    incident = None
    if form.is_valid():
        try:
            incident = services.incident_record(
                use_case=use_case, by=request.user, **form.cleaned_data
            )
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound: dict[str, Any] = (
        {"saved": "incident", "recorded": incident} if ok else {"incident_form": form}
    )
    # The incident may have opened a recertification: the history changes too.
    return _answer(request, use_case, "history", ok, **bound)
