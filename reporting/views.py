"""The reporting app in the browser: the pack panel of the review page, pack
downloads, the executive dashboard and the portfolio export. Thin views over
the selectors and services."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import TransitionRefused
from core.throttling import ensure_not_throttled
from gates.selectors import visible_review
from reporting import charts, rules, selectors, services
from reporting.exports import csv_safe
from reporting.models import GatePack
from reporting.value_charts import value_panel
from usecases import custom_fields
from usecases.models import RiskTier

logger = logging.getLogger(__name__)

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


def pack_file_response(pack: GatePack) -> FileResponse:
    """The stored PDF as an attachment. Also used by the API."""
    if not pack.is_ready:
        raise TransitionRefused(
            gettext("The pack is not ready yet."),
            [gettext("Its status is %(status)s.") % {"status": pack.get_status_display().lower()}],
        )
    try:
        handle = pack.file.open("rb")
    except FileNotFoundError:
        logger.error("pack %s: stored file %s is missing", pack.pk, pack.file.name)
        raise Http404("The stored file is missing.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=pack.download_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pack_download(request: HttpRequest, pk: int) -> FileResponse:
    return pack_file_response(selectors.visible_pack(request.user, pk))


# --- Dashboard ---------------------------------------------------------------------


def _dashboard_user(request: HttpRequest) -> None:
    if not rules.can_see_dashboard(request.user):
        raise PermissionDenied(rules.DASHBOARD_REFUSAL)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    data = selectors.dashboard(user=request.user)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "dash": data,
            "funnel_svg": charts.funnel_svg(data.stages),
            "conversion_svg": charts.conversion_svg(data.conversions),
            "decisions_svg": charts.decisions_svg(data.decisions),
            "timing_svg": charts.time_in_stage_svg(data.stages),
            "risk_tiers": RiskTier.choices,
            "value": value_panel(user=request.user),
        },
    )


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
    response = StreamingHttpResponse(
        _csv_lines(rows, selectors.export_columns(fields)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
