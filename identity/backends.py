"""Sign-in with a password, as Django's ModelBackend, except that with
LOCAL_LOGIN=0 it refuses every account but the break-glass ones
(usecases.rules.password_sign_in_refusal). The sign-in page and the token
endpoint ask the same rule first, to say why; this refusal covers the admin's
sign-in page and any other caller of ``authenticate``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from usecases.rules import password_sign_in_refusal


class LocalPasswordBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if username is not None and password_sign_in_refusal(str(username)) is not None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
