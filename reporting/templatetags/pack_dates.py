"""``{{ value|pack_when }}``: a pack's date in the pack's language (see
reporting/pack_i18n.py)."""

from django import template

from reporting.pack_i18n import localised_when

register = template.Library()


@register.filter
def pack_when(value):
    return localised_when(value)
