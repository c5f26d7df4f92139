"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def html_attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out,
    # True writes its name alone.
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class LongSelectMixin:
    """A ``<select>`` of many options (everyone who may be named: a team
    member, an approver, a condition's owner) written in Python: the same
    HTML as Django's ``select.html`` and ``select_option.html`` (the Jinja2
    ones the form renderer uses, see FORM_RENDERER), which rendered each
    option through three template nodes and an include and took nearly half
    of a use case page with 600 people to choose from."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{html_attrs(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{html_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class LongSelect(LongSelectMixin, forms.Select):
    pass


class LongSelectMultiple(LongSelectMixin, forms.SelectMultiple):
    pass
