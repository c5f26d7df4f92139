"""The reporting app in the browser: the pack panel of the review page, pack
downloads, the executive dashboard and the portfolio export. Thin views over
the selectors and services."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_head
from core.cache import read_through
from core.errors import TransitionRefused
from core.storage import stored_file_response
from core.throttling import ensure_not_throttled
from gates.selectors import visible_review
from reporting import charts, dashboard_read, rules, selectors, services
from reporting.exports import csv_safe
from reporting.models import GatePack
from reporting.value_charts import value_panel
from usecases import access, custom_fields
from usecases.models import RiskTier

PANEL_TEMPLATE = "reporting/partials/pack_panel.html"

EXPORT_HEADER = [
    "id",
    "title",
    "business_unit",
    "stage",
    "status",
    "risk_tier",
    "regulatory_constraints",
    "sponsors",
    "stage_entered",
    "days_in_stage",
    "overdue",
    "stalled",
    "priority_score",
    "operating_owner",
    "next_recertification_due",
]


# --- Packs -----------------------------------------------------------------------


@login_required
@require_GET
def pack_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel alone: what htmx polls while a pack is being generated."""
    review = visible_review(request.user, pk)
    return render(request, PANEL_TEMPLATE, selectors.pack_panel(review=review, user=request.user))


def _pack_message(result: services.PackRequest) -> str:
    if result.created and result.pack.is_ready:
        return gettext("Pack ready.")
    return result.message[0].upper() + result.message[1:] + "."


@login_required
@require_POST
def pack_request(request: HttpRequest, pk: int) -> HttpResponse:
    # Counted before anything else, as the API does; past the rate the
    # refusal is shown in place (core.middleware), never an error page.
    ensure_not_throttled(request, rules.PackRequestThrottle)
    review = visible_review(request.user, pk)
    result = services.pack_request(review=review, by=request.user)
    if request.htmx:
        context = selectors.pack_panel(review=review, user=request.user)
        context["pack_message"] = _pack_message(result)
        context["pack_broker_down"] = result.published is False
        context["pack_current"] = None if result.created else result.pack
        return render(request, PANEL_TEMPLATE, context)
    if not result.created:
        messages.info(request, _pack_message(result))
    return redirect(f"{review.get_absolute_url()}#gate-packs")


def pack_file_response(pack: GatePack) -> HttpResponse:
    """The stored PDF as an attachment (streamed, or a redirect to the object
    store: ``core.storage``). Also used by the API."""
    if not pack.is_ready:
        raise TransitionRefused(
            gettext("The pack is not ready yet."),
            [gettext("Its status is %(status)s.") % {"status": pack.get_status_display().lower()}],
        )
    return stored_file_response(
        pack.file,
        filename=pack.download_name,
        content_type="application/pdf",
        label=f"pack {pack.pk}",
    )


@login_required
@require_GET
def pack_download(request: HttpRequest, pk: int) -> HttpResponse:
    return pack_file_response(selectors.visible_pack(request.user, pk))


# --- Dashboard ---------------------------------------------------------------------


def _dashboard_user(request: HttpRequest) -> None:
    if not rules.can_see_dashboard(request.user):
        raise PermissionDenied(rules.DASHBOARD_REFUSAL)


def dashboard_cache_key() -> str:
    """The key of the shared rendering: the language and time zone it is
    rendered in, and the head of the audit trail, which every recorded
    change moves (appends serialize on the chain's lock, in commit order)."""
    head = audit_head()
    return ":".join(
        (
            "dashboard",
            get_language(),
            timezone.get_current_timezone_name(),
            head.hash if head else "empty",
        )
    )


def _dashboard_body(request: HttpRequest) -> str:
    data = dashboard_read.dashboard(user=request.user)
    return render_to_string(
        "reporting/partials/dashboard_body.html",
        {
            "dash": data,
            "funnel_svg": charts.funnel_svg(data.stages),
            "conversion_svg": charts.conversion_svg(data.conversions),
            "decisions_svg": charts.decisions_svg(data.decisions),
            "timing_svg": charts.time_in_stage_svg(data.stages),
            "risk_tiers": RiskTier.choices,
            "value": value_panel(user=request.user),
        },
        request=request,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Those who see the dashboard see the whole portfolio, so they share one
    rendering per language until the next recorded change, or for at most
    ``DASHBOARD_CACHE_SECONDS`` (what only the clock changes: overdue,
    stalled, days to a due date). Should a narrower reader ever see it, their
    part is rendered for them."""
    _dashboard_user(request)
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds > 0 and access.sees_whole_portfolio(request.user):
        body = read_through(dashboard_cache_key(), lambda: _dashboard_body(request), seconds)
    else:
        body = _dashboard_body(request)
    return render(request, "reporting/dashboard.html", {"body": mark_safe(body)})


# --- Portfolio export ----------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[list], extra_columns: list[str] = ()) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
    yield writer.writerow([*EXPORT_HEADER, *extra_columns])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


@login_required
@require_GET
def portfolio_export(request: HttpRequest) -> StreamingHttpResponse:
    _dashboard_user(request)
    # One column per active custom field, after the fixed ones.
    fields = custom_fields.active_fields()
    rows = selectors.portfolio_export_rows(user=request.user, fields=fields)
    # The export's query runs here, before the response starts: a database
    # that does not answer it is the 503 to retry, not a 200 whose file
    # stops after its header. (Part-way through, the server can only end the
    # transfer unfinished: the browser says the download failed.)
    first = next(rows, None)
    rows = itertools.chain(() if first is None else (first,), rows)
    response = StreamingHttpResponse(
        _csv_lines(rows, selectors.export_columns(fields)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
