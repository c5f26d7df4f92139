"""The language switcher: Django's ``set_language`` (the choice kept in this
browser's language cookie), and for a signed-in person the choice kept as
theirs too, for their later sessions, e-mails and packs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from usecases import services


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    response = set_language(request)
    language = request.POST.get("language", "")
    # Django's view answers a redirect and sets the cookie only for a language
    # it offers; anything else changes nothing.
    offered = language in dict(settings.LANGUAGES)
    if offered and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
        request.session[services.SESSION_LANGUAGE_KEY] = language
    return response
