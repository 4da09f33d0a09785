"""Template filters that show the map's codes in the user's language."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

from crisiscell.web import labels

register = template.Library()

_TABLES = {
    "status": labels.STATUS,
    "symbol": labels.STATUS_SYMBOL,
    "criticality": labels.CRITICALITY,
    "host_state": labels.HOST_STATE,
    "host_role": labels.HOST_ROLE,
    "zone_kind": labels.ZONE_KIND,
    "site_kind": labels.SITE_KIND,
}


@register.filter
def label(code: str | None, table: str) -> str:
    """``{{ host.state|label:"host_state" }}``: the translated label of a code."""
    return labels.label(_TABLES[table], code)


@register.filter
def breakable(text: str, separator: str) -> str:
    """Let a long list (``53;67;88;…``) wrap after each separator, and nowhere else."""
    joint = mark_safe(escape(separator) + "<wbr>")  # noqa: S308 (escaped just before)
    return format_html_join(joint, "{}", ((part,) for part in text.split(separator)))


@register.filter
def count(value) -> str:
    """``{{ n|count }}``: a whole number with the language's thousands separator (41 207 in
    French, 41,207 in English); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return number_format(value, force_grouping=True)
