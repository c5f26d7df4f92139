from __future__ import annotations

from django.urls import path

from identity import oidc, views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("oidc/authenticate/", oidc.SignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.SignInCallback.as_view(), name="oidc_authentication_callback"),
]
