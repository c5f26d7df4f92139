"""Pages in a signed-in person's saved language.

Which language a request is answered in, first match wins:

1. the language this browser chose with the switcher (Django's language
   cookie, read by ``LocaleMiddleware``);
2. the signed-in person's saved choice (``UserLanguage``), kept in the session
   at sign-in, so reading it costs no query;
3. the browser's ``Accept-Language``;
4. ``LANGUAGE_CODE`` (English).

``LocaleMiddleware`` (before this one) has already applied 1, 3 and 4; this
middleware, after ``AuthenticationMiddleware``, puts 2 in front of 3 and 4.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from usecases.selectors import user_language_saved
from usecases.services.language import SESSION_LANGUAGE_KEY


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._saved_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    @staticmethod
    def _saved_language(request: HttpRequest) -> str:
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return ""  # this browser chose: LocaleMiddleware applied it
        session = getattr(request, "session", None)
        # Only a signed-in session has a saved language: an anonymous one
        # costs nothing here (no user is loaded).
        if session is None or SESSION_KEY not in session:
            return ""
        if SESSION_LANGUAGE_KEY not in session:
            # Signed in before the language was kept in the session: read it once.
            if not request.user.is_authenticated:
                return ""
            session[SESSION_LANGUAGE_KEY] = user_language_saved(request.user) or ""
        language = session[SESSION_LANGUAGE_KEY]
        return language if language in dict(settings.LANGUAGES) else ""


@receiver(user_logged_in, dispatch_uid="usecases-language-at-sign-in")
def remember_language_at_sign_in(sender: object, request: HttpRequest, user: object, **kwargs):
    """Keep the person's saved language in the new session (one query, once)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = user_language_saved(user) or ""
