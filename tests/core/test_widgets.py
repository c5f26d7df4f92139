"""The long selects (people to choose from) write the HTML Django's own
select templates write, option for option."""

from __future__ import annotations

import pytest
from django import forms

from core.widgets import LongSelect, LongSelectMultiple
from usecases.forms import MemberAddForm

CHOICES = [
    ("", "Choose a person…"),
    (1, 'Ada <Lovelace> & "friends"'),
    (2, "Grace Hopper (ghopper)"),
    ("Former staff", [(3, "Alan Turing"), (4, "Ö'Brien")]),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        (2, {"id": "id_user", "required": True}),
        ("4", {"id": "x", "aria-invalid": "true", "disabled": False, "data-note": "<&>"}),
    ],
)
def test_a_long_select_is_the_select_django_writes(value, attrs):
    ours = LongSelect(choices=CHOICES).render("user", value, attrs)
    theirs = forms.Select(choices=CHOICES).render("user", value, attrs)
    assert ours == theirs
    assert "&lt;Lovelace&gt; &amp; &quot;friends&quot;" in ours


@pytest.mark.parametrize("value", [[], [1, "3"], ["2", "4"]])
def test_a_long_multiple_select_is_the_one_django_writes(value):
    attrs = {"id": "id_role", "size": 4}
    ours = LongSelectMultiple(choices=CHOICES[1:]).render("role", value, attrs)
    theirs = forms.SelectMultiple(choices=CHOICES[1:]).render("role", value, attrs)
    assert ours == theirs
    assert " multiple" in ours


@pytest.mark.django_db
def test_the_team_form_renders_everyone_as_before_with_its_error(lead, sponsor, techlead):
    form = MemberAddForm(data={"user": "", "role": "sponsor", "person_search": "example.com"})
    assert not form.is_valid()
    field = form["user"]
    ours = str(field)
    widget = field.field.widget
    assert isinstance(widget, LongSelect)
    widget.__class__ = forms.Select  # the same widget, written by Django's templates
    theirs = str(field)
    assert ours == theirs
    assert 'aria-invalid="true"' in ours
    for person in (lead, sponsor, techlead):
        assert f'<option value="{person.pk}">' in ours
