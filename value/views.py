"""The Value page of a use case: its budget grid, benefits and their
realisation, the projection from the PoC and the returns. Each form posts to
its own view, which redirects back on success and re-renders the page with
the errors in place otherwise."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from core.errors import DomainError, InvalidInput, PermissionRefused
from core.web import get_or_404, show_refusal
from usecases import access
from usecases.models import Stage, UseCase
from value import rules, selectors, services
from value.forms import BenefitForm, CostGridForm, RealisationForm, cell_name
from value.models import Benefit

TEMPLATE = "value/usecase_value.html"


def _editable_use_case(request: HttpRequest, pk: int) -> UseCase:
    """403 page for someone without the role; a read-only use case's refusal
    (409) is left to the middleware's inline message."""
    use_case = access.visible_use_case(request.user, pk)
    try:
        rules.ensure_can_edit(request.user, use_case)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    return use_case


def _grid_form(read: selectors.ValueRead) -> CostGridForm:
    initial = {}
    for row in read.stages:
        for cell in row.cells:
            for kind in ("planned", "actual"):
                value = getattr(cell, kind)
                if value is not None:
                    initial[cell_name(kind, row.stage, cell.category)] = f"{value:.2f}"
    return CostGridForm(initial=initial, reached={r.stage for r in read.stages if r.reached})


def _context(request: HttpRequest, use_case: UseCase, **bound: Any) -> dict[str, Any]:
    read = selectors.value_read(use_case)
    can_edit = rules.can_edit(request.user, use_case)
    grid_form = bound.pop("grid_form", None)
    benefit_form = bound.pop("benefit_form", None)
    realisation_forms: dict[int, RealisationForm] = bound.pop("realisation_forms", {})
    edit_forms: dict[int, BenefitForm] = bound.pop("edit_forms", {})
    benefit_rows: list[tuple[Benefit, RealisationForm | None, BenefitForm | None]] = []
    if can_edit:
        kpis = selectors.kpis_of(use_case)
        grid_form = grid_form or _grid_form(read)
        benefit_form = benefit_form or BenefitForm(kpis=kpis)
        measurements = selectors.recent_measurements(
            {b.kpi_id for b in read.benefits if b.kpi_id is not None}
        )
        for benefit in read.benefits:
            form = realisation_forms.get(benefit.pk) or RealisationForm(
                prefix=f"benefit{benefit.pk}", measurements=measurements.get(benefit.kpi_id, [])
            )
            edit_form = edit_forms.get(benefit.pk) or BenefitForm(
                kpis=kpis,
                prefix=f"edit{benefit.pk}",
                initial={
                    "name": benefit.name,
                    "annual_amount": f"{benefit.annual_amount:.2f}",
                    "kpi": str(benefit.kpi_id or ""),
                },
            )
            benefit_rows.append((benefit, form, edit_form))
    else:
        benefit_rows = [(benefit, None, None) for benefit in read.benefits]
    grid = [
        (
            row,
            [
                (
                    cell,
                    grid_form.cell("planned", row.stage, cell.category) if grid_form else None,
                    grid_form.cell("actual", row.stage, cell.category) if grid_form else None,
                )
                for cell in row.cells
            ],
        )
        for row in read.stages
    ]
    context: dict[str, Any] = {
        "use_case": use_case,
        "read": read,
        "grid": grid,
        "can_edit": can_edit,
        "grid_form": grid_form,
        "benefit_form": benefit_form,
        "benefit_rows": benefit_rows,
        "saved": "",
    }
    context.update(bound)
    return context


def _done(use_case: UseCase, anchor: str) -> HttpResponse:
    return HttpResponseRedirect(
        reverse("usecase-value", args=[use_case.pk]) + f"?saved={anchor}#{anchor}"
    )


def _again(request: HttpRequest, use_case: UseCase, **bound: Any) -> HttpResponse:
    return render(request, TEMPLATE, _context(request, use_case, **bound), status=400)


@login_required
def usecase_value(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    saved = request.GET.get("saved", "")
    return render(
        request,
        TEMPLATE,
        _context(request, use_case, saved=saved if saved in {"costs", "benefits"} else ""),
    )


@login_required
@require_POST
def costs_save(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _editable_use_case(request, pk)
    reached = {stage for stage in Stage.values if rules.stage_reached(use_case, stage)}
    form = CostGridForm(request.POST, reached=reached)
    if form.is_valid():
        rows, cells = form.rows()
        try:
            services.cost_lines_set(use_case=use_case, by=request.user, rows=rows)
            return _done(use_case, "costs")
        except InvalidInput as exc:
            # The service names "cells.<n>.<planned|actual>": back on its input.
            parts = (exc.field or "").split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(cells):
                stage, category = cells[int(parts[1])].split("__")
                name = cell_name(parts[2], stage, category)
                form.add_error(name if name in form.fields else None, exc.message)
            else:
                form.add_error(None, str(exc))
        except DomainError as exc:
            show_refusal(form, exc)
    return _again(request, use_case, grid_form=form)


@login_required
@require_POST
def benefit_add(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _editable_use_case(request, pk)
    form = BenefitForm(request.POST, kpis=selectors.kpis_of(use_case))
    if form.is_valid():
        try:
            services.benefit_create(use_case=use_case, by=request.user, **form.cleaned_data)
            return _done(use_case, "benefits")
        except DomainError as exc:
            show_refusal(form, exc)
    return _again(request, use_case, benefit_form=form)


def _benefit(request: HttpRequest, use_case: UseCase, benefit_id: int) -> Benefit:
    return get_or_404(
        Benefit.objects.select_related("kpi").filter(use_case=use_case),
        benefit_id,
        gettext("No such benefit."),
    )


@login_required
@require_POST
def benefit_change(request: HttpRequest, pk: int, benefit_id: int) -> HttpResponse:
    use_case = _editable_use_case(request, pk)
    benefit = _benefit(request, use_case, benefit_id)
    form = BenefitForm(request.POST, kpis=selectors.kpis_of(use_case), prefix=f"edit{benefit.pk}")
    if form.is_valid():
        try:
            services.benefit_update(benefit=benefit, by=request.user, **form.cleaned_data)
            return _done(use_case, "benefits")
        except DomainError as exc:
            show_refusal(form, exc)
    return _again(request, use_case, edit_forms={benefit.pk: form})


@login_required
@require_POST
def benefit_delete(request: HttpRequest, pk: int, benefit_id: int) -> HttpResponse:
    use_case = _editable_use_case(request, pk)
    services.benefit_delete(benefit=_benefit(request, use_case, benefit_id), by=request.user)
    return _done(use_case, "benefits")


@login_required
@require_POST
def realisation_record(request: HttpRequest, pk: int, benefit_id: int) -> HttpResponse:
    use_case = _editable_use_case(request, pk)
    benefit = _benefit(request, use_case, benefit_id)
    measurements = selectors.recent_measurements({benefit.kpi_id} if benefit.kpi_id else set())
    form = RealisationForm(
        request.POST,
        prefix=f"benefit{benefit.pk}",
        measurements=measurements.get(benefit.kpi_id, []),
    )
    if form.is_valid():
        try:
            services.benefit_realisation_record(
                benefit=benefit,
                by=request.user,
                period_end=form.cleaned_data["period_end"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                kpi_measurement=form.cleaned_data.get("kpi_measurement") or None,
            )
            return _done(use_case, "benefits")
        except DomainError as exc:
            show_refusal(form, exc)
    return _again(request, use_case, realisation_forms={benefit.pk: form})
