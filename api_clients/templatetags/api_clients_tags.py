"""Template filters of the API clients section."""

from django import template

from ..dates import format_time

register = template.Library()


@register.filter
def client_time(value):
    """A moment as the section shows every time: "29 November 2026, 2:39pm"."""
    return format_time(value) if value else ""
