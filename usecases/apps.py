from django.apps import AppConfig


class UsecasesConfig(AppConfig):
    name = "usecases"

    def ready(self) -> None:
        # Audits each account django-axes locks (a signal receiver).
        from usecases import lockout  # noqa: F401
