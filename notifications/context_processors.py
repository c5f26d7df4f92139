from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import BELL_CAP, unread_count


def unread(request: HttpRequest) -> dict:
    """``notifications_unread`` for the bell: one COUNT on a partial index,
    capped (the bell says "99+"), run only if a template renders it, and only
    for people signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user, cap=BELL_CAP))}
