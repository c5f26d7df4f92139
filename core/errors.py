"""Domain errors shared by every app.

Services raise these; one place per interface turns them into responses:
``core.api_errors`` for the API (409/403/400 with the reasons as JSON) and
``core.middleware.DomainErrorMiddleware`` for HTML (an inline message).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext


class DomainError(Exception):
    status_code = 409

    def __init__(self, message: str, reasons: Iterable[str] = ()) -> None:
        # Translated now, in the language of the request being refused: a
        # lazy text is read, and an English text marked elsewhere with
        # gettext_noop (a module's refusal constant) is looked up. A text
        # already translated, or not in any catalogue, stays as it is.
        message = gettext(str(message))
        super().__init__(message)
        self.message = message
        self.reasons = [gettext(str(reason)) for reason in reasons]

    def __str__(self) -> str:
        if not self.reasons:
            return self.message
        return f"{self.message} " + "; ".join(self.reasons)


class TransitionRefused(DomainError):
    """The action is valid in shape but the current state does not allow it."""

    status_code = 409


class PermissionRefused(DomainError):
    """The caller may see the object but may not do this to it."""

    status_code = 403


class InvalidInput(DomainError):
    """The input itself is wrong, whatever the state."""

    status_code = 400

    def __init__(self, message: str, reasons: Iterable[str] = (), field: str | None = None):
        super().__init__(message, reasons)
        self.field = field
