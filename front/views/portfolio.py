"""My work and the portfolio."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.web import is_htmx
from gates import selectors as gate_selectors
from usecases import rules as usecase_rules
from usecases import selectors as usecase_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "front/home.html",
        {
            "approvals": gate_selectors.approvals_pending_for(request.user),
            "my_use_cases": usecase_selectors.my_use_cases(user=request.user),
            "can_create": usecase_rules.create_refusal(request.user) is None,
        },
    )


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    result = usecase_selectors.portfolio_page(
        user=request.user,
        params=request.GET,
        page_number=request.GET.get("page"),
        page_size=settings.PORTFOLIO_PAGE_SIZE,
    )
    context = {
        "result": result,
        "filters": result.filterset.form,
        "page": result.page,
        "can_create": usecase_rules.create_refusal(request.user) is None,
    }
    template = "front/portfolio.html"
    if is_htmx(request):
        # The filter form swaps the results only, so typing in it keeps focus;
        # stage counts and pagination links swap the form too.
        partial = "results" if request.htmx.target == "results" else "portfolio"
        template = f"{template}#{partial}"
    return render(request, template, context)
