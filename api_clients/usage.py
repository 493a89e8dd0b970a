"""Usage of one client: requests per day and the most recent requests."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .conf import get_setting
from .dates import format_date, today
from .models import ApiClientUsage

BAR_STEP = 10  # SVG units a day takes in the usage chart


@dataclass(frozen=True)
class Day:
    date: datetime.date
    requests: int
    refused: int

    @property
    def label(self):
        return format_date(self.date)


@dataclass(frozen=True)
class UsageSummary:
    days: list
    recent: list

    @property
    def total(self):
        return sum(day.requests for day in self.days)

    @property
    def refused(self):
        return sum(day.refused for day in self.days)

    @property
    def busiest(self):
        return max(self.days, key=lambda day: (day.requests, day.date), default=None)

    @property
    def chart_width(self):
        """The SVG chart's width: one step a day."""
        return len(self.days) * BAR_STEP

    def bars(self, height=60, step=BAR_STEP, width=8):
        """Bar geometry for an SVG chart: one bar a day, refused requests overlaid."""
        peak = max((day.requests for day in self.days), default=0) or 1
        bars = []
        for index, day in enumerate(self.days):
            total = round(day.requests / peak * height)
            refused = round(day.refused / peak * height)
            bars.append(
                {
                    "day": day,
                    "x": index * step + (step - width) / 2,
                    "width": width,
                    "height": total,
                    "y": height - total,
                    "refused_height": refused,
                    "refused_y": height - refused,
                }
            )
        return bars

    @property
    def last_used_at(self):
        return self.recent[0].requested_at if self.recent else None


def summarise_usage(client, *, recent=20):
    """Requests per day over the recent days (site time zone) and the latest requests.

    Two queries, whatever the number of records.
    """
    day_count = get_setting("RECENT_USAGE_DAYS")
    last_day = today()
    first_day = last_day - datetime.timedelta(days=day_count - 1)
    site_zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=site_zone)
    counts = {
        row["day"]: row
        for row in ApiClientUsage.objects.filter(client=client, requested_at__gte=start)
        .annotate(day=TruncDate("requested_at", tzinfo=site_zone))
        .values("day")
        .annotate(requests=Count("id"), refused=Count("id", filter=~Q(refusal_reason="")))
        .order_by()
    }
    days = []
    for offset in range(day_count):
        date = first_day + datetime.timedelta(days=offset)
        row = counts.get(date, {})
        days.append(Day(date, row.get("requests", 0), row.get("refused", 0)))
    latest = list(
        ApiClientUsage.objects.filter(client=client).order_by("-requested_at", "-id")[:recent]
    )
    return UsageSummary(days=days, recent=latest)
