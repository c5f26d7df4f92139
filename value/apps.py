from __future__ import annotations

from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "value"
    verbose_name = "Value"

    def ready(self) -> None:
        from gates.read_model import register_criterion_extension
        from gates.serializers import register_criterion_field
        from gates.services import register_assessment_guard
        from value import extensions

        # Each registry ignores what it already has: ready() may run twice.
        register_assessment_guard(extensions.value_bound_assessment_refusal)
        register_criterion_extension(extensions.attach_to_criteria, relations=["value_rule"])
        register_criterion_field("value_rule", extensions.value_rule_field)
