"""``core.api_fields.MethodTextField`` answers what DRF's
``CharField(source="<method>")`` answers, without checking the method's
signature again for every object."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework import serializers

from core.api_fields import MethodTextField, represent_each
from tests.factories import UseCaseFactory
from usecases.models import Stage


class Both(serializers.Serializer):
    by_drf = serializers.CharField(source="get_stage_display")
    called = MethodTextField("get_stage_display")


class Nothing:
    def get_stage_display(self):
        return None


@pytest.mark.parametrize("language", ["en", "de"])
def test_it_gives_the_label_drf_gives_in_the_readers_language(db, language):
    use_case = UseCaseFactory(stage=Stage.PILOT)
    with translation.override(language):
        data = Both(use_case).data
    assert data["called"] == data["by_drf"]
    assert data["called"] == ("Pilot" if language == "en" else data["by_drf"])


def test_a_method_that_answers_none_gives_null_as_drf_does():
    assert Both(Nothing()).data == {"by_drf": None, "called": None}


def test_it_is_read_only():
    field = MethodTextField("get_stage_display")
    assert field.read_only and field.source == "*"


class Point(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()


class Line(serializers.Serializer):
    points = serializers.SerializerMethodField()

    def get_points(self, line):
        return represent_each(self, Point, line["points"])


def test_represent_each_gives_what_many_gives_from_one_serializer_per_owner():
    lines = [
        {"points": [{"value": 1, "label": "one"}]},
        {"points": []},
        {"points": [{"value": 2, "label": "two"}, {"value": 3, "label": "three"}]},
    ]
    listed = Line(lines, many=True)
    assert listed.data == [{"points": Point(line["points"], many=True).data} for line in lines]
    kept = listed.child.__dict__["_represent_each"]
    assert list(kept) == [Point] and isinstance(kept[Point], Point)
