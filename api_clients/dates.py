"""Dates in the site's time zone: today, the expiry horizon, and how dates read."""

import calendar
import datetime

from django.utils import dateformat, timezone

from .conf import get_setting


def today():
    """Today's date in the site's time zone (``TIME_ZONE``), whatever is activated."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def add_months(date, months):
    """Return ``date`` moved by whole months, the day clamped to the month's end."""
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def expiry_bounds(on=None):
    """The earliest and latest expiry dates allowed for a client created ``on`` a day."""
    start = on or today()
    return start, add_months(start, get_setting("EXPIRY_HORIZON_MONTHS"))


def format_date(date):
    """A date as users read it: "26 November 2027" (month names from Django, not the OS locale)."""
    return dateformat.format(date, "j F Y")


def format_time(moment):
    """A moment as users read it, in the active time zone: "29 November 2026, 2:39pm"."""
    return dateformat.format(timezone.localtime(moment), "j F Y, g:ia")


def format_rfc3339(moment):
    """A moment in RFC 3339, in the site's time zone with its offset: 2027-05-27T00:00:00+01:00.

    Always a numeric offset, never "Z", so that the header and the API agree.
    """
    return timezone.localtime(moment, timezone.get_default_timezone()).isoformat(timespec="seconds")
