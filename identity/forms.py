from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from usecases.rules import password_sign_in_refusal


class SignInForm(AuthenticationForm):
    """Django's sign-in form, which first says when passwords are turned off
    (LOCAL_LOGIN=0) for this account, before checking the password."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        if username:
            refusal = password_sign_in_refusal(username)
            if refusal is not None:
                raise ValidationError(str(refusal), code="password_sign_in_off")
        return super().clean()
