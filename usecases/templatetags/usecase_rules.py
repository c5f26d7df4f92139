"""The portfolio's refusals in templates, in the words the services use."""

from __future__ import annotations

from django import template

from core.errors import DomainError
from usecases.models import UseCase
from usecases.rules import read_only_refusal

register = template.Library()


@register.filter
def read_only(use_case: UseCase) -> DomainError | None:
    """``{% with refusal=use_case|read_only %}``: the refusal a killed use
    case gives every change, or None."""
    return read_only_refusal(use_case)


@register.inclusion_tag("usecases/partials/read_only_notice.html")
def read_only_notice(use_case: UseCase) -> dict:
    """The notice on every page of a killed use case."""
    return {"refusal": read_only_refusal(use_case)}
