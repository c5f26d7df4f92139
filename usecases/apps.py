from django.apps import AppConfig


class UsecasesConfig(AppConfig):
    name = "usecases"

    def ready(self) -> None:
        # Signal receivers: lockout audits each account django-axes locks;
        # middleware keeps a person's saved language in the session at sign-in.
        from usecases import lockout, middleware  # noqa: F401
