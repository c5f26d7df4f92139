"""Small helpers every app's views and serializers share.

Nothing here knows a model of the project: the apps pass their querysets in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from core.errors import DomainError

# The largest primary key a BigAutoField holds: a larger id names no row, and
# SQLite would raise OverflowError instead of finding none.
MAX_ID = 2**63 - 1


def display_name(user: Any) -> str:
    """How a person is named on pages, packs and e-mails: the full name, or
    the username when there is none; empty for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment. A history restore asks for the
    whole page: the browser lost its DOM."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect after a successful post. htmx would swap the redirected page
    into the form's target; tell it to navigate instead."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def show_refusal(form: Any, error: DomainError) -> None:
    """A service's refusal shown on the form that asked: next to the field it
    names (``InvalidInput.field``) when the form has it, else above the form."""
    field = getattr(error, "field", None)
    if field and field in form.fields:
        form.add_error(field, error.message)
    else:
        form.add_error(None, str(error))


def valid_id(pk: Any) -> int | None:
    """``pk`` as an id a row can have, or None (not a number, not positive,
    past 64 bits)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_ID else None


def get_or_404[M: Model](queryset: QuerySet[M], pk: Any, message: str | None = None) -> M:
    """The row of ``queryset`` with this id, or 404: also for an id no row
    can have (negative, or past 64 bits)."""
    message = message or gettext("Not found.")
    pk = valid_id(pk)
    if pk is None:
        raise Http404(message)
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404(message) from None
