"""The readiness page of a use case. Each form posts to its own view, which
answers the form's partial for htmx and redirects (or re-renders the page with
the errors) for a plain post."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, InvalidInput, PermissionRefused
from core.throttling import ensure_not_throttled
from core.web import is_htmx, show_refusal
from gates.uploads import UploadLimit, stopped_upload, upload_limit
from readiness import rules, selectors, services
from readiness.forms import (
    ChecklistItemForm,
    ImportForm,
    KpiForm,
    MeasurementForm,
    PrioritizationForm,
    ScorecardForm,
)
from readiness.models import Kpi, PriorityDimension
from usecases import access
from usecases.models import Stage, UseCase

User = get_user_model()
TEMPLATE = "readiness/usecase_readiness.html"
# A KPI CSV file: at most MAX_IMPORT_BYTES, stopped while it streams past that.
IMPORT_UPLOAD_LIMIT = UploadLimit(
    lambda: services.MAX_IMPORT_BYTES, message=services.IMPORT_TOO_LARGE
)


def _writable_use_case(request: HttpRequest, pk: int) -> UseCase:
    use_case = access.visible_use_case(request.user, pk)
    try:
        rules.ensure_can_write(request.user, use_case)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    return use_case


def _prioritization_form(summary: selectors.ReadinessSummary) -> PrioritizationForm:
    initial = {}
    if summary.prioritization:
        p = summary.prioritization.prioritization
        for d in PriorityDimension:
            initial[d.value] = getattr(p, d.value)
            initial[f"{d.value}_rationale"] = getattr(p, f"{d.value}_rationale")
    return PrioritizationForm(initial=initial)


def _scorecard_form(summary: selectors.ReadinessSummary, items: list) -> ScorecardForm:
    initial: dict[str, Any] = {}
    if summary.scorecard:
        for line in summary.scorecard.lines:
            initial[f"item_{line.item.pk}"] = line.score
            initial[f"comment_{line.item.pk}"] = line.comment
    return ScorecardForm(items=items, initial=initial)


def _context(request: HttpRequest, use_case: UseCase, **bound: Any) -> dict[str, Any]:
    summary = selectors.readiness_summary(use_case=use_case)
    items = selectors.scorecard_items()
    can_write = rules.can_write(request.user, use_case)
    checklist_forms: dict[int, Any] = bound.pop("checklist_forms", {})
    checklist_groups = []
    for group in summary.checklist.groups:
        rows = []
        for line in group.lines:
            number = line.definition.number
            form = checklist_forms.get(number) or ChecklistItemForm(
                prefix=f"item{number}",
                initial={
                    "status": line.status,
                    # The person, read with the item: the picker shows them without a query.
                    "owner": line.item.owner if line.item else None,
                    "evidence": line.item.evidence if line.item else "",
                },
            )
            rows.append((line, form))
        checklist_groups.append((group, rows))
    measurement_forms: dict[int, Any] = bound.pop("measurement_forms", {})
    kpi_rows = [
        (line, measurement_forms.get(line.kpi.pk) or MeasurementForm(prefix=f"kpi{line.kpi.pk}"))
        for line in summary.kpis.lines
    ]
    context: dict[str, Any] = {
        "use_case": use_case,
        "summary": summary,
        "can_write": can_write,
        "can_prioritize": can_write and use_case.stage == Stage.DISCOVERY,
        "can_score": can_write and use_case.stage == Stage.POC,
        "prioritization_form": _prioritization_form(summary),
        "scorecard_form": _scorecard_form(summary, items),
        "checklist_groups": checklist_groups,
        "kpi_rows": kpi_rows,
        "kpi_form": KpiForm(),
        "import_form": ImportForm(),
        "import_errors": [],
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
        url = reverse("usecase-readiness", args=[use_case.pk])
        return HttpResponseRedirect(f"{url}#{partial}")
    return render(request, TEMPLATE, _context(request, use_case, **bound), status=400)


@login_required
def usecase_readiness(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = access.visible_use_case(request.user, pk)
    return render(request, TEMPLATE, _context(request, use_case))


@login_required
@require_POST
def prioritization_save(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    form = PrioritizationForm(request.POST)
    ok = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.prioritization_save(
                use_case=use_case,
                by=request.user,
                scores={d.value: data[d.value] for d in PriorityDimension},
                rationales={d.value: data[f"{d.value}_rationale"] for d in PriorityDimension},
            )
            ok = True
        except (InvalidInput, DomainError) as exc:
            show_refusal(form, exc)
    bound = {"saved": "prioritization"} if ok else {"prioritization_form": form}
    return _answer(request, use_case, "prioritization", ok, **bound)


@login_required
@require_POST
def scorecard_save(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    items = selectors.scorecard_items()
    form = ScorecardForm(request.POST, items=items)
    ok = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.scorecard_save(
                use_case=use_case,
                by=request.user,
                scores={i.pk: data[f"item_{i.pk}"] for i in items},
                comments={i.pk: data[f"comment_{i.pk}"] for i in items},
                note=data["note"],
            )
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": "scorecard"} if ok else {"scorecard_form": form}
    return _answer(request, use_case, "scorecard", ok, **bound)


@login_required
@require_POST
def checklist_item_save(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    form = ChecklistItemForm(request.POST, prefix=f"item{number}")
    ok = False
    if form.is_valid():
        try:
            services.checklist_item_update(
                use_case=use_case,
                item=number,
                by=request.user,
                status=form.cleaned_data["status"],
                owner=form.cleaned_data["owner"],
                evidence=form.cleaned_data["evidence"],
            )
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": f"item{number}"} if ok else {"checklist_forms": {number: form}}
    return _answer(request, use_case, "checklist", ok, **bound)


@login_required
@require_POST
def kpi_create(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    form = KpiForm(request.POST)
    ok = False
    if form.is_valid():
        try:
            services.kpi_create(use_case=use_case, by=request.user, **form.cleaned_data)
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": "kpi"} if ok else {"kpi_form": form}
    return _answer(request, use_case, "kpis", ok, **bound)


@login_required
@require_POST
def measurement_record(request: HttpRequest, pk: int, kpi_id: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    kpi = get_object_or_404(Kpi, pk=kpi_id, use_case=use_case)
    form = MeasurementForm(request.POST, prefix=f"kpi{kpi.pk}")
    ok = False
    if form.is_valid():
        try:
            services.kpi_measurement_record(kpi=kpi, by=request.user, **form.cleaned_data)
            ok = True
        except DomainError as exc:
            show_refusal(form, exc)
    bound = {"saved": f"kpi{kpi.pk}"} if ok else {"measurement_forms": {kpi.pk: form}}
    return _answer(request, use_case, "kpis", ok, **bound)


@upload_limit(IMPORT_UPLOAD_LIMIT)
@login_required
@require_POST
def kpi_import(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _writable_use_case(request, pk)
    form = ImportForm(request.POST, request.FILES)
    stopped = stopped_upload(request)
    if stopped is not None:
        # The file was dropped while it streamed in: say why instead of
        # "this field is required".
        form.fields["file"].error_messages["required"] = stopped.message
    ok = False
    import_errors: list[str] = []
    imported = 0
    try:
        # Counted as the API counts: every import asked for.
        ensure_not_throttled(request, rules.ImportThrottle)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # The service refuses a file it cannot import: too large, too
            # many rows, a KPI past its measurements, a bad line.
            imported = len(
                services.kpi_measurements_import(use_case=use_case, by=request.user, file=upload)
            )
            ok = True
    except InvalidInput as exc:
        form.add_error("file", exc.message)
        import_errors = exc.reasons
    except DomainError as exc:
        show_refusal(form, exc)
    bound: dict[str, Any] = (
        {"saved": "import", "imported": imported}
        if ok
        else {"import_form": form, "import_errors": import_errors}
    )
    return _answer(request, use_case, "kpis", ok, **bound)
