"""A choice's label (``get_FOO_display``) reads a map built once per field and
answers in the language of the moment, as Django's own does."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.hashable import make_hashable

from core.labels import ChoiceLabels
from gates.models import GateReview
from usecases.models import UseCase


def test_a_label_is_the_one_django_gives_in_each_language():
    use_case = UseCase(status="on_hold", stage="pilot", risk_tier="high")
    field = UseCase._meta.get_field("status")
    for language, expected in (("en-gb", "On hold"), ("de", "Angehalten"), ("en-gb", "On hold")):
        with translation.override(language):
            ours = use_case.get_status_display()
            theirs = models.Model._get_FIELD_display(use_case, field)
            assert ours == theirs == expected
    assert use_case.get_risk_tier_display() == "High"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    # As Django: a value no choice names (an old row, a blank) is shown raw.
    assert UseCase(stage="beta").get_stage_display() == "beta"
    assert GateReview(decision="").get_decision_display() == ""


def test_every_model_with_choices_reads_its_labels_from_the_map():
    from django.apps import apps

    slow = [
        model.__name__
        for model in apps.get_models()
        if model.__module__.split(".")[0] not in ("django", "knox", "axes", "django_guid")
        and any(field.choices for field in model._meta.concrete_fields)
        and not issubclass(model, ChoiceLabels)
    ]
    assert slow == []


def test_the_map_holds_each_choice_once():
    from core.labels import _LABELS

    UseCase(stage="poc").get_stage_display()
    field = UseCase._meta.get_field("stage")
    assert list(_LABELS[field]) == [make_hashable(v) for v, _ in field.flatchoices]
