"""Who may do what in single sign-on."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.errors import PermissionRefused


def mapping_edit_refusal(user: Any) -> PermissionRefused | None:
    # A mapping grants organisation roles, as editing groups does: the same
    # people (administrators) decide both (usecases.services.accounts).
    if user is not None and user.is_authenticated and user.is_superuser:
        return None
    return PermissionRefused(_("Only an administrator may edit the single sign-on mappings."))
