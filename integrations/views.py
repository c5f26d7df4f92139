"""The webhooks pages, for administrators only (others: 403): the list with
a form to register an endpoint, and an endpoint's page with its form, its
signing secret, its delivery log and the "Send test" button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import InvalidInput
from core.web import get_or_404, redirect_after_post, show_refusal
from integrations import rules, selectors, services
from integrations.catalogue import event_label
from integrations.forms import EditEndpointForm, EndpointForm
from integrations.models import WebhookEndpoint
from integrations.tasks import enqueue_send

LOG_PAGE_SIZE = 25


def _ensure_admin(request: HttpRequest) -> None:
    refusal = rules.manage_refusal(request.user)
    if refusal is not None:
        raise PermissionDenied(refusal.message)


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    _ensure_admin(request)
    return get_or_404(WebhookEndpoint.objects.all(), pk, _("No such endpoint."))


def _log_context(request: HttpRequest, endpoint: WebhookEndpoint) -> dict:
    page = Paginator(selectors.deliveries(endpoint), LOG_PAGE_SIZE).get_page(
        request.GET.get("page") or "1"
    )
    for delivery in page.object_list:
        delivery.event_label = event_label(delivery.event)
    return {"endpoint": endpoint, "log": page}


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    _ensure_admin(request)
    form = EndpointForm.for_endpoint(None, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            messages.success(
                request,
                _("Endpoint %(name)s registered. Give its signing secret to the receiver.")
                % {"name": endpoint.name},
            )
            return redirect_after_post(request, reverse("webhook-detail", args=[endpoint.pk]))
    return render(
        request,
        "integrations/webhooks.html",
        {"endpoints": selectors.endpoints(), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.htmx and request.method == "GET" and request.GET.get("log"):
        return render(
            request, "integrations/webhook_detail.html#log", _log_context(request, endpoint)
        )
    form = EditEndpointForm.for_endpoint(
        endpoint, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(by=request.user, endpoint=endpoint, **form.cleaned_data)
        except InvalidInput as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Endpoint %(name)s saved.") % {"name": endpoint.name})
            return redirect_after_post(request, reverse("webhook-detail", args=[endpoint.pk]))
    context = _log_context(request, endpoint) | {"form": form}
    return render(
        request,
        "integrations/webhook_detail.html",
        context,
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    services.endpoint_test(by=request.user, endpoint=endpoint)
    enqueue_send()
    if request.htmx:
        context = _log_context(request, endpoint) | {"log_message": _("Test message queued.")}
        return render(request, "integrations/webhook_detail.html#log", context)
    messages.success(request, _("Test message queued."))
    return redirect_after_post(request, reverse("webhook-detail", args=[endpoint.pk]))


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    name = endpoint.name
    services.endpoint_delete(by=request.user, endpoint=endpoint)
    messages.success(request, _("Endpoint %(name)s removed.") % {"name": name})
    return redirect_after_post(request, reverse("webhooks"))
