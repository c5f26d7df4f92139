"""Serializer fields the apps' APIs share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers


class MethodTextField(serializers.CharField):
    """A read-only text from a method of the object that takes no argument,
    named by ``method``: ``MethodTextField("get_stage_display")``.

    Where DRF reads ``CharField(source="get_stage_display")``, it checks that
    the method can be called without arguments with ``inspect.signature``,
    again for every object it serializes: 280 times for a page of the
    use-case API, about a sixth of the page's time. This calls it."""

    def __init__(self, method: str, **kwargs: Any) -> None:
        self.method = method
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        text = getattr(value, self.method)()
        # None stays null, as DRF answers for a source that gives None.
        return None if text is None else super().to_representation(text)


def represent_each(
    owner: serializers.BaseSerializer,
    serializer_class: type[serializers.BaseSerializer],
    rows: Iterable[Any],
) -> list[Any]:
    """What ``serializer_class(rows, many=True).data`` gives, for a method
    of the serializer ``owner``, from one ``serializer_class`` kept on the
    owner. Built in the method, a serializer and a copy of each of its fields
    are made again for every object the owner represents (each use case of a
    page of the use-case API, each criterion of a review)."""
    kept = owner.__dict__.setdefault("_represent_each", {})
    serializer = kept.get(serializer_class)
    if serializer is None:
        serializer = kept[serializer_class] = serializer_class(context=owner.context)
    return [serializer.to_representation(row) for row in rows]
