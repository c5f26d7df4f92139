"""The inbox and the preferences page: thin function views.

Mark-read answers htmx with the changed fragment plus the bell (out of band)
and a plain form post with a redirect back to the inbox page it came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import conf, selectors, services
from notifications.forms import PreferencesForm


def _page_number(request: HttpRequest) -> str:
    return request.GET.get("page") or request.POST.get("page") or "1"


def _inbox_context(request: HttpRequest) -> dict:
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(
        selectors.inbox(request.user, unread_only=unread_only), conf.inbox_page_size()
    )
    page = paginator.get_page(_page_number(request))
    return {
        "page": page,
        "unread_only": unread_only,
        "notifications_unread": selectors.unread_count(request.user),
    }


def _bell_oob(request: HttpRequest, unread: int) -> str:
    return render_to_string(
        "notifications/partials/bell.html",
        {"notifications_unread": unread, "oob": True},
        request=request,
    )


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    url = reverse("inbox")
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        url += f"?page={page}"
    return redirect(url)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_context(request)
    if request.htmx:
        return render(request, "notifications/inbox.html#list", context)
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_of(request.user, pk)
    services.notification_mark_read(notification=notification)
    if not request.htmx:
        return _back_to_inbox(request)
    item = render_to_string(
        "notifications/inbox.html#item",
        {"n": notification, "page_number": request.POST.get("page", "1")},
        request=request,
    )
    return HttpResponse(item + _bell_oob(request, selectors.unread_count(request.user)))


@login_required
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link from the inbox: it counts as read. Only
    the recipient's own, and only to a path on this site."""
    notification = selectors.notification_of(request.user, pk)
    services.notification_mark_read(notification=notification)
    link = notification.link or ""
    if not url_has_allowed_host_and_scheme(link, allowed_hosts=None) or not link.startswith("/"):
        return redirect("inbox")
    return redirect(link)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=request.user)
    if not request.htmx:
        messages.success(
            request,
            ngettext(
                "Marked %(count)s notification as read.",
                "Marked %(count)s notifications as read.",
                marked,
            )
            % {"count": marked},
        )
        return _back_to_inbox(request)
    context = _inbox_context(request)
    html = render_to_string("notifications/inbox.html#list", context, request=request)
    return HttpResponse(html + _bell_oob(request, context["notifications_unread"]))


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preferences_for(request.user)
    form = PreferencesForm.for_preference(
        preference, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=request.user,
            email_mode=form.cleaned_data["email_mode"],
            email_kinds_off=form.kinds_off(),
        )
        messages.success(request, gettext("Your notification preferences are saved."))
        return redirect("notification-preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "notifications_unread": selectors.unread_count(request.user)},
        status=400 if form.is_bound else 200,
    )
