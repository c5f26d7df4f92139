from __future__ import annotations

from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "value"
    verbose_name = "Value"
