"""A model choice field lists its options from one plain query, once per
form, and can take rows a page has already read (core.choices)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.choices import ModelChoiceField, ModelMultipleChoiceField, choices_of
from tests.factories import UserFactory

User = get_user_model()


class PickForm(forms.Form):
    owner = ModelChoiceField(queryset=User.objects.order_by("username"), empty_label="Owner…")
    watchers = ModelMultipleChoiceField(queryset=User.objects.order_by("username"))


def _options(html: str, name: str) -> list[str]:
    start = html.index(f'name="{name}"')
    return [
        part.split('"', 1)[0]
        for part in html[start : html.index("</select>", start)].split('value="')[1:]
    ]


def test_the_options_are_one_plain_query_per_field_however_often_drawn(db):
    people = [UserFactory(username=f"person-{i:02}") for i in range(12)]
    form = PickForm()

    with CaptureQueriesContext(connection) as queries:
        first = str(form["owner"])
        again = str(form["owner"]) + str(form["watchers"])

    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2  # one per field, not one per drawing
    assert not [s for s in sql if "DECLARE" in s or "COUNT(" in s]
    assert first in again
    assert _options(first, "owner") == ["", *[str(p.pk) for p in people]]
    assert len(form.fields["owner"].choices) == 13  # the empty label, and no count query


def test_choices_of_rows_already_read_match_the_fields_own(db):
    people = [UserFactory(username=f"person-{i:02}") for i in range(3)]
    read = PickForm().fields["owner"]
    given = PickForm().fields["owner"]

    own = [(str(value), label) for value, label in read.choices]
    with CaptureQueriesContext(connection) as queries:
        from_rows = [(str(value), label) for value, label in choices_of(given, people)]

    assert from_rows == own
    assert queries.captured_queries == []


def test_a_submitted_value_is_still_checked_against_the_queryset(db):
    inside = UserFactory(username="inside")
    outside = UserFactory(username="outside")
    form = PickForm(data={"owner": outside.pk, "watchers": [inside.pk]})
    form.fields["owner"].queryset = User.objects.filter(pk=inside.pk)

    assert not form.is_valid()
    assert "owner" in form.errors
    assert PickForm(data={"owner": inside.pk, "watchers": [inside.pk]}).is_valid()
