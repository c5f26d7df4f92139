"""Naming a person among thousands: a search box beside a select that holds
only who is chosen and whom the search matches (``PersonField``,
``PeopleField``), where a select of every active person had been written
into each form: 6,016 people at 100,000 use cases, fifteen times on a use
case's Readiness page (6.4 s).

As one types (htmx), the box asks ``people-options`` for the select again;
the select's name, id, attributes and empty choice travel signed
(``PICKER_SALT``), so the answer is the same select with other options.
Without htmx, a form sent with a search and no choice comes back with the
matches to choose from (``SEARCH_FIRST``). Which people a field accepts is
its queryset's, checked when the form is sent."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.widgets import html_attrs

User = get_user_model()

PICKER_SALT = "usecases.people.picker"
SEARCH_SUFFIX = "__search"
# The people a search offers at most, and the shortest term searched.
PEOPLE_MATCHES_SHOWN = 20
PEOPLE_SEARCH_MIN_LENGTH = 2
# The chosen people a select carries back at most (a multiple choice).
CHOSEN_MAX = 50
SEARCH_FIRST = _("Choose one of the people your search matches, or empty the search box.")


def person_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def active_users():
    return (
        User.objects.filter(is_active=True)
        .only("username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    )


def people_matching(term: str, limit: int = PEOPLE_MATCHES_SHOWN) -> list[Any]:
    """Active people whose username, name or e-mail contains ``term`` (at
    least PEOPLE_SEARCH_MIN_LENGTH characters), by name; ``limit`` at most."""
    term = (term or "").strip()[:100]
    if len(term) < PEOPLE_SEARCH_MIN_LENGTH:
        return []
    found = Q(username__icontains=term) | Q(email__icontains=term)
    for word in term.split():
        found |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return list(active_users().filter(found)[:limit])


def _search_term(data: Any, name: str) -> str:
    """What was typed in the search box of the field ``name``."""
    return str(data.get(name + SEARCH_SUFFIX, ""))[:100]


def _ids(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        values = [values]
    return [str(v) for v in values if str(v).isdigit() and len(str(v)) < 19][:CHOSEN_MAX]


def render_select(
    name: str,
    chosen: list[str],
    attrs: dict[str, Any],
    *,
    empty: str | None,
    term: str,
    known: dict[str, Any] | None = None,
) -> SafeString:
    """The select: its empty choice, who is chosen (selected), then whom
    ``term`` matches in a group that says how many."""
    known = known or {}
    missing = [pk for pk in chosen if pk not in known]
    people = dict(known)
    if missing:
        people.update((str(u.pk), u) for u in User.objects.filter(pk__in=missing))
    options = []
    if empty is not None:
        options.append(("", empty, not chosen))
    options.extend((pk, person_label(people[pk]), True) for pk in chosen if pk in people)
    parts = [f'<select name="{conditional_escape(name)}"{html_attrs(attrs)}>']
    parts.extend(_option(*option) for option in options)
    if len((term or "").strip()) >= PEOPLE_SEARCH_MIN_LENGTH:
        matches = [p for p in people_matching(term) if str(p.pk) not in chosen]
        group = (
            ngettext(
                "%(count)s person matches “%(term)s”",
                "%(count)s people match “%(term)s”",
                len(matches),
            )
            if matches
            else gettext("No one else matches “%(term)s”")
        ) % {"count": len(matches), "term": term.strip()[:100]}
        parts.append(f'\n  <optgroup label="{conditional_escape(group)}">')
        parts.extend(_option(str(p.pk), person_label(p), False) for p in matches)
        parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _option(value: str, label: str, selected: bool) -> str:
    chosen = " selected" if selected else ""
    return (
        f'\n  <option value="{conditional_escape(value)}"{chosen}>'
        f"{conditional_escape(label)}</option>"
    )


class PersonPicker(forms.Select):
    """The search box and the select (see the module). ``known`` maps ids to
    people already read, so that a form showing its current choice does
    not read them again."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.term = ""
        self.known: dict[str, Any] = {}

    def __deepcopy__(self, memo: dict) -> PersonPicker:
        copy = super().__deepcopy__(memo)
        copy.known = dict(self.known)
        return copy

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        self.term = _search_term(data, name)
        return super().value_from_datadict(data, files, name)

    def empty_label(self) -> str | None:
        field = getattr(self.choices, "field", None)
        if field is None or self.allow_multiple_selected:
            return None
        return None if field.empty_label is None else str(field.empty_label)

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        attrs.setdefault("id", f"id_{name}")
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        empty = self.empty_label()
        spec = signing.dumps(
            {
                "name": name,
                "attrs": {k: v for k, v in attrs.items() if isinstance(v, str | bool | int)},
                "empty": empty,
            },
            salt=PICKER_SALT,
            compress=True,
        )
        select_id = str(attrs["id"])
        search = html_attrs(
            {
                "type": "search",
                "id": select_id + SEARCH_SUFFIX,
                "name": name + SEARCH_SUFFIX,
                "value": self.term,
                "maxlength": "100",
                "autocomplete": "off",
                "placeholder": gettext("Find a person: name, username or e-mail"),
                "aria-label": gettext("Find a person"),
                "aria-controls": select_id,
                "hx-get": reverse("people-options"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": f"#{select_id}",
                "hx-swap": "outerHTML",
                "hx-include": f"#{select_id}",
                "hx-vals": json.dumps({"picker": spec}),
                "hx-sync": "this:replace",
            }
        )
        select = render_select(
            name, _ids(value), attrs, empty=empty, term=self.term, known=self.known
        )
        return mark_safe(f'<span class="person-picker"><input{search}>{select}</span>')  # noqa: S308


class PeoplePicker(PersonPicker, forms.SelectMultiple):
    """The same, choosing several: the values as ``SelectMultiple`` reads them."""


class _Picking:
    """What the two fields share: a person's label, the people already read
    (``known``), and a search sent without a choice."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)

    def remember(self, people: Any) -> None:
        for person in people:
            if isinstance(person, User):
                self.widget.known[str(person.pk)] = person  # type: ignore[attr-defined]

    def refuse_a_bare_search(self, value: Any) -> None:
        if not value and len(self.widget.term.strip()) >= PEOPLE_SEARCH_MIN_LENGTH:  # type: ignore[attr-defined]
            raise forms.ValidationError(SEARCH_FIRST, code="search_first")


class PersonField(_Picking, forms.ModelChoiceField):
    widget = PersonPicker

    def prepare_value(self, value: Any) -> Any:
        self.remember([value])
        return super().prepare_value(value)

    def clean(self, value: Any) -> Any:
        self.refuse_a_bare_search(value)
        return super().clean(value)


class PeopleField(_Picking, forms.ModelMultipleChoiceField):
    widget = PeoplePicker

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            self.remember(value)
        return super().prepare_value(value)

    def clean(self, value: Any) -> Any:
        self.refuse_a_bare_search(value)
        return super().clean(value)


def options_answer(params: Any) -> SafeString | None:
    """The select a picker's search box asks for, or None when its signed
    description does not hold."""
    try:
        spec = signing.loads(str(params.get("picker", "")), salt=PICKER_SALT)
        name, attrs, empty = str(spec["name"]), dict(spec["attrs"]), spec["empty"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    chosen = _ids(params.getlist(name))
    if not attrs.get("multiple"):
        chosen = chosen[:1]
    return render_select(name, chosen, attrs, empty=empty, term=_search_term(params, name))
