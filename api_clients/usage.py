"""Usage of one client: requests per day and the most recent requests."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .conf import get_setting
from .dates import format_date, today
from .models import ApiClientUsage

# The usage chart's geometry, in SVG units: the busiest day's bar is
# CHART_HEIGHT tall, each day takes BAR_STEP across, its bar BAR_WIDTH of it.
CHART_HEIGHT = 60
BAR_STEP = 10
BAR_WIDTH = 8


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

    @property
    def chart_view_box(self):
        """The chart's viewBox: the bars, and below them a hairline axis."""
        return f"0 0 {self.chart_width} {CHART_HEIGHT + 1}"

    @property
    def axis_y(self):
        return CHART_HEIGHT + 0.5

    def bars(self):
        """Bar geometry for the SVG chart: one bar a day, refused requests overlaid."""
        peak = max((day.requests for day in self.days), default=0) or 1
        bars = []
        for index, day in enumerate(self.days):
            total = round(day.requests / peak * CHART_HEIGHT)
            refused = round(day.refused / peak * CHART_HEIGHT)
            bars.append(
                {
                    "day": day,
                    "x": index * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2,
                    "width": BAR_WIDTH,
                    "height": total,
                    "y": CHART_HEIGHT - total,
                    "refused_height": refused,
                    "refused_y": CHART_HEIGHT - refused,
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
