"""A sign-in refused because django-axes locked the account: what the person
sees, and the lockout written to the audit trail.

django-axes refuses a locked username in its authentication backend (so even
the right password fails), then its middleware hands the request here
(``AXES_LOCKOUT_CALLABLE``): the sign-in page is shown again with the
message, with status 429; the API answers 429 in its one error shape.
"""

from __future__ import annotations

import math
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from core.api_errors import error_body
from core.errors import DomainError
from usecases.services import account_lock_state, account_lockout_record

LOCKED_STATUS = 429


class AccountLocked(DomainError):
    """Too many failed sign-ins for this username: refused until the lock ends."""

    status_code = LOCKED_STATUS


def _remaining_seconds(username: str | None) -> int:
    _, until = account_lock_state(username or "")
    if until is None:
        return 0
    return max(0, math.ceil((until - timezone.now()).total_seconds()))


def account_locked(username: str | None) -> AccountLocked:
    seconds = _remaining_seconds(username)
    minutes = max(1, math.ceil(seconds / 60))
    return AccountLocked(
        f"This account is locked after {settings.AXES_FAILURE_LIMIT} failed sign-in attempts.",
        [
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}; "
            "until then even the right password is refused.",
            "A program lead or an administrator can unlock it sooner.",
        ],
    )


def retry_after(username: str | None) -> str:
    return str(_remaining_seconds(username))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked sign-in (``AXES_LOCKOUT_CALLABLE``)."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == LOCKED_STATUS:
            # The API view raised AccountLocked: already in the error shape.
            response = original_response
        else:
            error = account_locked(username)
            response = JsonResponse(error_body(error.message, error.reasons), status=LOCKED_STATUS)
    else:
        response = _sign_in_page(request, original_response, account_locked(username))
    response["Retry-After"] = retry_after(username)
    return response


def _sign_in_page(
    request: HttpRequest, original_response: HttpResponse | None, error: AccountLocked
) -> HttpResponse:
    """The sign-in page the person used (the site's or the admin's), shown
    again with the lock in place of "wrong password"."""
    context = getattr(original_response, "context_data", None) or {}
    template = getattr(original_response, "template_name", None)
    form = context.get("form")
    if not (template and isinstance(form, AuthenticationForm)):
        # Not bound to the post: validating it would try the password again.
        template = "registration/login.html"
        form = AuthenticationForm(request, initial={"username": request.POST.get("username")})
        context = {"form": form}
    form.errors.pop(NON_FIELD_ERRORS, None)
    form.add_error(None, " ".join([error.message, *error.reasons]))
    response = TemplateResponse(request, template, context, status=LOCKED_STATUS)
    return response.render()


@receiver(user_locked_out, dispatch_uid="usecases.lockout.audit")
def _audit_lockout(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    # django-axes signals every refused attempt of a locked username; the
    # one that locked it is the one whose failure it counted. Attempts while
    # locked are neither counted nor audited again.
    if getattr(request, "axes_failures_since_start", None) is None or not username:
        return
    account_lockout_record(
        username=username,
        ip_address=kwargs.get("ip_address"),
        path=getattr(request, "path", ""),
    )
