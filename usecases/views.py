"""The portfolio's pages. Each view answers the whole page or, for htmx, the
named partial of the same template; every form also works as a plain post."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from gates import selectors as gate_selectors
from readiness.selectors import readiness_summary
from usecases import access, selectors, services
from usecases.forms import MemberAddForm, UseCaseCreateForm, UseCaseForm
from usecases.models import UseCase, UseCaseMember


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore asks for the whole page: the browser lost its DOM.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _visible_use_case(request: HttpRequest, pk: int) -> UseCase:
    return get_object_or_404(
        access.use_cases_visible_to(request.user)
        .select_related("business_unit", "business_unit__head")
        .prefetch_related(
            Prefetch("members", queryset=UseCaseMember.objects.select_related("user"))
        ),
        pk=pk,
    )


def _require_editable(request: HttpRequest, use_case: UseCase, **kwargs: Any) -> None:
    """A person who may not edit gets the 403 page; a killed use case's refusal
    (409) is left to the caller or to the middleware's inline message."""
    try:
        services.usecase_ensure_editable(use_case=use_case, by=request.user, **kwargs)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc


def _apply_refusal(form: Any, exc: InvalidInput | TransitionRefused) -> None:
    field = getattr(exc, "field", None)
    if field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, str(exc))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "usecases/home.html",
        {
            "approvals": gate_selectors.approvals_pending_for(request.user),
            "my_use_cases": selectors.my_use_cases(user=request.user),
            "can_create": access.can_create_use_case(request.user),
        },
    )


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    result = selectors.portfolio_page(
        user=request.user,
        params=request.GET,
        page_number=request.GET.get("page"),
        page_size=settings.PORTFOLIO_PAGE_SIZE,
    )
    context = {
        "result": result,
        "filters": result.filterset.form,
        "page": result.page,
        "can_create": access.can_create_use_case(request.user),
    }
    template = "usecases/portfolio.html"
    if _is_htmx(request):
        # The filter form swaps the results only, so typing in it keeps focus;
        # stage counts and pagination links swap the form too.
        partial = "results" if request.htmx.target == "results" else "portfolio"
        template = f"{template}#{partial}"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def usecase_create(request: HttpRequest) -> HttpResponse:
    try:
        services.usecase_ensure_creatable(by=request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    can_pick_sponsor = access.is_program_lead(request.user)
    form = UseCaseCreateForm(request.POST or None, can_pick_sponsor=can_pick_sponsor)
    if request.method == "POST" and form.is_valid():
        try:
            use_case = services.usecase_create(
                by=request.user,
                sponsor=form.cleaned_data.get("sponsor"),
                **form.changes(),
            )
        except InvalidInput as exc:
            _apply_refusal(form, exc)
        else:
            return _redirect(request, use_case.get_absolute_url())
    return _render_form(request, form, use_case=None)


@login_required
@require_http_methods(["GET", "POST"])
def usecase_edit(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _visible_use_case(request, pk)
    try:
        _require_editable(request, use_case)
    except TransitionRefused as exc:
        return render(
            request,
            "usecases/usecase_form.html",
            {"use_case": use_case, "refusal": exc},
            status=409,
        )
    form = UseCaseForm(request.POST or None, instance=use_case)
    if request.method == "POST" and form.is_valid():
        try:
            services.usecase_update(use_case=use_case, by=request.user, **form.changes())
        except (InvalidInput, TransitionRefused) as exc:
            # Killed between loading the form and saving it, or refused input.
            _apply_refusal(form, exc)
        else:
            return _redirect(request, use_case.get_absolute_url())
    return _render_form(request, form, use_case=use_case)


def _render_form(request: HttpRequest, form: Any, *, use_case: UseCase | None) -> HttpResponse:
    template = "usecases/usecase_form.html"
    if _is_htmx(request):
        template += "#form"
    return render(request, template, {"form": form, "use_case": use_case})


def _detail_context(
    request: HttpRequest, use_case: UseCase, member_form: MemberAddForm | None = None
) -> dict[str, Any]:
    can_edit = access.can_edit_use_case(request.user, use_case)
    context: dict[str, Any] = {
        "use_case": use_case,
        "track": selectors.stage_track(use_case),
        "days_in_stage": selectors.days_in_stage(use_case),
        "team": selectors.usecase_team(use_case),
        "can_edit": can_edit,
        "member_form": member_form or (MemberAddForm() if can_edit else None),
    }
    context.update(gate_selectors.usecase_gate_panel(use_case=use_case, user=request.user))
    context["summary"] = readiness_summary(use_case=use_case)
    return context


@login_required
def usecase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _visible_use_case(request, pk)
    return render(request, "usecases/usecase_detail.html", _detail_context(request, use_case))


def _team_response(
    request: HttpRequest, use_case: UseCase, member_form: MemberAddForm | None = None
) -> HttpResponse:
    if _is_htmx(request):
        # The team just changed, and with it perhaps the caller's own roles.
        access.forget_member_roles(request.user)
        use_case = _visible_use_case(request, use_case.pk)
        context = {
            "use_case": use_case,
            "team": selectors.usecase_team(use_case),
            "can_edit": access.can_edit_use_case(request.user, use_case),
            "member_form": member_form or MemberAddForm(),
        }
        return render(request, "usecases/usecase_detail.html#team", context)
    if member_form is not None:
        return render(
            request,
            "usecases/usecase_detail.html",
            _detail_context(request, use_case, member_form),
        )
    return redirect(use_case.get_absolute_url() + "#team")


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    use_case = _visible_use_case(request, pk)
    _require_editable(request, use_case, refusal=services.TEAM_REFUSAL)
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
    use_case = _visible_use_case(request, pk)
    _require_editable(request, use_case, refusal=services.TEAM_REFUSAL)
    member = get_object_or_404(
        UseCaseMember.objects.select_related("user"), pk=member_id, use_case=use_case
    )
    services.member_remove(member=member, by=request.user)
    return _team_response(request, use_case)
