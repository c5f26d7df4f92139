"""The long selects (people to choose from) write the HTML Django's own
select templates write, option for option. Django's form templates are its
Jinja2 ones (FORM_RENDERER), which escape quotes as ``&#34;`` and ``&#39;``
where Django's ``escape`` writes ``&quot;`` and ``&#x27;``: the same
characters, so the comparison reads both spellings as one."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth import get_user_model

from core.widgets import LongSelect, LongSelectMultiple
from gates.forms import ConditionForm


def same_entities(html: str) -> str:
    return html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


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
    assert ours == same_entities(theirs)
    assert "&lt;Lovelace&gt; &amp; &quot;friends&quot;" in ours


@pytest.mark.parametrize("value", [[], [1, "3"], ["2", "4"]])
def test_a_long_multiple_select_is_the_one_django_writes(value):
    attrs = {"id": "id_role", "size": 4}
    ours = LongSelectMultiple(choices=CHOICES[1:]).render("role", value, attrs)
    theirs = forms.SelectMultiple(choices=CHOICES[1:]).render("role", value, attrs)
    assert ours == same_entities(theirs)
    assert " multiple" in ours


@pytest.mark.django_db
def test_a_conditions_owner_select_renders_as_before_with_its_error(lead, sponsor, techlead):
    owners = get_user_model().objects.filter(pk__in=[lead.pk, sponsor.pk, techlead.pk])
    form = ConditionForm(data={"owner": "999999", "description": "Sign"}, owners=owners)
    assert not form.is_valid()
    field = form["owner"]
    ours = str(field)
    widget = field.field.widget
    assert isinstance(widget, LongSelect)
    widget.__class__ = forms.Select  # the same widget, written by Django's templates
    theirs = str(field)
    assert ours == same_entities(theirs)
    assert 'aria-invalid="true"' in ours
    for person in (lead, sponsor, techlead):
        assert f'<option value="{person.pk}">' in ours
