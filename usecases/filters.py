"""The portfolio's filters, shared by the page and the API so both read the
same query parameters the same way: ``stage``, ``status``, ``business_unit``
(id), ``q`` (text in title or summary), ``timing`` (overdue, stalled or due
for recertification), ``whose`` (``mine``: where the reader holds a role
or heads the business unit), ``sort``, and ``cf_<key>`` per active custom field
(a choice, one of the choices of a multiple choice, a person's user id, a
part of a text).

The queryset must carry the registered annotations (``portfolio_queryset``):
``priority_score``, ``is_overdue`` and ``is_stalled`` (readiness) and
``is_recertification_due`` (operations)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from usecases import access, custom_fields
from usecases.models import BusinessUnit, CustomField, CustomFieldKind, Stage, Status, UseCase
from usecases.people import PersonField, active_users

# Every ordering ends on the primary key so pages never overlap or skip rows.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "updated": (_("Recently updated"), ("-updated_at", "-id")),
    "title": (_("Title A–Z"), ("title", "id")),
    "stage_entered": (_("Longest in stage"), ("stage_entered_at", "id")),
    "priority": (_("Priority score"), (F("priority_score").desc(nulls_last=True), "-id")),
}
TIMING_CHOICES = [
    ("overdue", _("Overdue in stage")),
    ("stalled", _("Stalled (no activity)")),
    ("recertification", _("Due for recertification")),
]
DEFAULT_SORT = "updated"


def search_text_matches(term: str) -> Q:
    """The condition on ``search_text`` (of a use case or of its search copy,
    ``UseCaseSearch``) of a one-line search term: upper-cased by the database
    on both sides, as icontains does."""
    return Q(search_text__contains=Upper(Value(term)))


class UseCaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"), max_length=200)
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label=_("Any stage"))
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label=_("Any status"))
    business_unit = django_filters.ModelChoiceFilter(
        queryset=BusinessUnit.objects.all(), empty_label=_("Any business unit")
    )
    timing = django_filters.ChoiceFilter(
        choices=TIMING_CHOICES,
        method="filter_timing",
        empty_label=_("Any timing"),
        label=_("Timing"),
    )
    whose = django_filters.ChoiceFilter(
        choices=[("mine", _("Mine: my roles and my units"))],
        method="filter_whose",
        empty_label=_("Everyone's"),
        label=_("Whose"),
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        method="filter_sort",
        empty_label=None,
        label=_("Sort"),
    )

    class Meta:
        model = UseCase
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whose "mine" is: the page names the reader, the API's request does.
        self.user = user if user is not None else getattr(self.request, "user", None)
        # One query: the active custom fields, each a filter of its own.
        for field in custom_fields.active_fields():
            custom = custom_filter(field)
            if custom is not None:
                custom.field_name = f"cf_{field.key}"
                custom.parent = self
                self.filters[f"cf_{field.key}"] = custom

    def filter_text(self, queryset: QuerySet[UseCase], name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if "\n" in value:
            # The stored text joins title and summary with a line break, so a
            # term spanning lines is matched against each, as it was typed.
            return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))
        return queryset.filter(search_text_matches(value))

    def filter_timing(self, queryset: QuerySet[UseCase], name: str, value: str) -> QuerySet:
        if value == "overdue":
            return queryset.filter(is_overdue=True)
        if value == "stalled":
            return queryset.filter(is_stalled=True)
        if value == "recertification":
            return queryset.filter(is_recertification_due=True)
        return queryset

    def filter_whose(self, queryset: QuerySet[UseCase], name: str, value: str) -> QuerySet:
        if value != "mine":
            return queryset
        return queryset.filter(access.held_by(self.user))

    def filter_sort(self, queryset: QuerySet[UseCase], name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS.get(value or DEFAULT_SORT, SORTS[DEFAULT_SORT])[1])

    def filter_queryset_except(self, queryset: QuerySet[UseCase], *names: str) -> QuerySet:
        """Apply every valid filter but the named ones: the per-stage counts
        respect the other filters but not the stage one, or they would all be
        zero but one."""
        self.errors  # noqa: B018 -- validates the form, which fills cleaned_data
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class _FilterPersonField(PersonField):
    """The filter form sends itself at every change, the search box's too: a
    search typed with no one chosen yet filters on nobody, and says nothing."""

    def refuse_a_bare_search(self, value: Any) -> None:
        return None


class PersonFilter(django_filters.ModelChoiceFilter):
    """A person, chosen with the people picker (a search, then the matches):
    the filter lists no one until asked, where a select of every active
    person read them all for each person field, into every portfolio page."""

    field_class = _FilterPersonField


def custom_filter(field: CustomField) -> django_filters.Filter | None:
    """The portfolio filter of a custom field (``cf_<key>``): choice, multiple
    choice and person fields by value, text fields by a part of the text;
    numbers and dates have none."""

    def method(queryset: QuerySet[UseCase], name: str, value: Any) -> QuerySet:
        if value in (None, ""):
            return queryset
        if field.kind == CustomFieldKind.PERSON:
            value = value.pk
        elif field.kind == CustomFieldKind.TEXT:
            value = value.strip()
            if not value:
                return queryset
        return queryset.filter(custom_fields.filter_q(field, value))

    label = field.label
    if field.is_choice:
        return django_filters.ChoiceFilter(
            choices=[(choice, choice) for choice in field.choices],
            method=method,
            label=label,
            empty_label=_("Any"),
        )
    if field.kind == CustomFieldKind.PERSON:
        return PersonFilter(
            queryset=active_users(),
            method=method,
            label=label,
            empty_label=_("Anyone"),
        )
    if field.kind == CustomFieldKind.TEXT:
        return django_filters.CharFilter(method=method, label=label, max_length=200)
    return None
