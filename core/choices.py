"""Model choice fields that read their options as one plain query.

Django's own iterate ``queryset.iterator()``, which on PostgreSQL is a
server-side cursor held over the commit (DECLARE ... WITH HOLD, FETCH,
CLOSE) each time the options are listed: three round trips where one does,
and again for every rendering of the same field. These read the options
once per form, with the queryset's own cache, and can take rows a page has
already read (``choices_of``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator


class ReadOnceChoiceIterator(ModelChoiceIterator):
    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)

    def __len__(self) -> int:
        # Django's counts with a query of its own; the rows are read anyway.
        return len(self.queryset) + (1 if self.field.empty_label is not None else 0)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = ReadOnceChoiceIterator


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ReadOnceChoiceIterator


def choices_of(field: forms.ModelChoiceField, rows: Iterable[Any]) -> list[tuple[Any, Any]]:
    """The field's options (its empty label first, if it has one) from rows
    already read, in their order: no query. The rows must be those of the
    field's queryset, which still checks what is submitted."""
    iterator = field.iterator(field)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    return empty + [iterator.choice(row) for row in rows]
