"""My work and the portfolio."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.web import is_htmx
from gates import queues as gate_queues
from reporting import rules as reporting_rules
from usecases import access
from usecases import rules as usecase_rules
from usecases import selectors as usecase_selectors

# My work lists a person's most recently updated use cases, and links to the
# rest in the portfolio (``?whose=mine``): the head of a business unit of
# 12,500 use cases waited 9 s for a page of all of them.
MY_USE_CASES_SHOWN = 25


def lands_on_dashboard(user, queues: gate_queues.MyQueues, has_use_cases: bool) -> bool:
    """Where "/" and the login land: the dashboard for those who may read it
    and have nothing of their own to act on (executives, risk and compliance
    with no seat, condition, delegation or team role); My work for everyone
    else, program leads always."""
    return (
        reporting_rules.can_see_dashboard(user)
        and not access.is_program_lead(user)
        and queues.is_empty
        and not has_use_cases
    )


@login_required
def home(request: HttpRequest, *, landing: bool = True) -> HttpResponse:
    """My work: the queues of what waits on me, then my use cases. At "/",
    a reader with nothing to act on lands on the dashboard instead; the
    navigation's "My work" (``my-work``) always shows this page."""
    queues = gate_queues.my_queues(request.user)
    mine = usecase_selectors.my_use_cases(user=request.user)
    my_use_cases = list(mine[:MY_USE_CASES_SHOWN])
    if landing and lands_on_dashboard(request.user, queues, bool(my_use_cases)):
        return redirect("dashboard")
    return render(
        request,
        "front/home.html",
        {
            "queues": queues,
            "my_use_cases": my_use_cases,
            "my_use_cases_total": (
                usecase_selectors.my_use_cases_count(user=request.user)
                if len(my_use_cases) == MY_USE_CASES_SHOWN
                else len(my_use_cases)
            ),
            "can_create": usecase_rules.create_refusal(request.user) is None,
        },
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    return home(request, landing=False)


@login_required
def my_work_queue(request: HttpRequest, queue: str) -> HttpResponse:
    """One of My work's queues in full, oldest first, a page at a time."""
    if queue not in gate_queues.QUEUES:
        raise Http404("No such queue.")
    paginator = Paginator(gate_queues.queue_query(request.user, queue), gate_queues.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "front/my_work_queue.html",
        {
            "heading": gate_queues.QUEUES[queue].heading,
            "template": f"gates/partials/queue_{queue}.html",
            "page": page,
            "rows": gate_queues.queue_rows(request.user, queue, page.object_list),
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
