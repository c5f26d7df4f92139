"""Who may manage webhooks: administrators (superusers), as for accounts.
An endpoint sends portfolio data off-site and holds a signing secret, so
nobody else sees the page or the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.errors import PermissionRefused


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def manage_refusal(user: Any) -> PermissionRefused | None:
    if is_admin(user):
        return None
    return PermissionRefused(_("Only administrators may manage webhooks."))
