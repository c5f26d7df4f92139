"""A person's language: the one the switcher chose, kept for their later
sessions, e-mails, notifications and packs. A display preference, not a
governance fact: it is not audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import InvalidInput, PermissionRefused
from usecases.models import UserLanguage

# The session key that carries a signed-in person's saved language ("" for
# none), written at sign-in and by the switcher, read by
# usecases.middleware.UserLanguageMiddleware.
SESSION_LANGUAGE_KEY = "usecases_user_language"


def user_language_set(*, user: Any, language: str) -> UserLanguage:
    """Keep ``language`` as ``user``'s choice; a language not offered is refused."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionRefused(_("Sign in to keep a language."))
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(
            _("%(language)s is not a language offered here.") % {"language": language},
            field="language",
        )
    with transaction.atomic():
        choice, _created = UserLanguage.objects.select_for_update().update_or_create(
            user=user, defaults={"language": language}
        )
    return choice
