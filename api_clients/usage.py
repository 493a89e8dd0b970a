"""Usage of one client: requests per day and the most recent requests."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from .conf import get_setting
from .dates import format_date, today
from .models import ApiClientDailyUsage, ApiClientUsage

# The usage chart's geometry, in SVG units: the busiest day's bar is
# CHART_HEIGHT tall, each day takes BAR_STEP across, its bar BAR_WIDTH of it.
CHART_HEIGHT = 60
BAR_STEP = 10
BAR_WIDTH = 8
# A day is rolled up only this long after it ends: a request that began just
# before midnight is recorded, with its start time, when it has been answered.
ONE_DAY = datetime.timedelta(days=1)
ROLL_UP_GRACE = datetime.timedelta(minutes=10)


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


def _site_day_start(date):
    """The moment a day begins in the site's time zone."""
    return datetime.datetime.combine(
        date, datetime.time.min, tzinfo=timezone.get_default_timezone()
    )


def _raw_counts(usage, start, end):
    """(client id, day, reason) -> usage rows between two moments, grouped in the database."""
    site_zone = timezone.get_default_timezone()
    rows = (
        usage.filter(requested_at__gte=start, requested_at__lt=end)
        .annotate(day=TruncDate("requested_at", tzinfo=site_zone))
        .values("client_id", "day", "refusal_reason")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(row["client_id"], row["day"], row["refusal_reason"]): row["count"] for row in rows}


def _save_rolled_up(days_by_client, counts):
    """Write the rolled-up days: an accepted row for each (even at zero), a row per reason.

    An upsert: ``unrecorded`` counts already there are kept, and two pages
    rolling up the same day at once write the same numbers.
    """
    rows = [
        ApiClientDailyUsage(client_id=client_id, date=date, reason="", recorded=0)
        for client_id, dates in days_by_client.items()
        for date in dates
    ]
    accepted = {(row.client_id, row.date): row for row in rows}
    for (client_id, date, reason), count in counts.items():
        if date not in days_by_client.get(client_id, ()):
            continue
        if reason == "":
            accepted[client_id, date].recorded = count
        else:
            rows.append(
                ApiClientDailyUsage(client_id=client_id, date=date, reason=reason, recorded=count)
            )
    if rows:
        ApiClientDailyUsage.objects.keep_greater_counts(rows)
    return rows


def _first_live_day():
    """The first day still counted from its rows: today, or yesterday just after midnight."""
    site_zone = timezone.get_default_timezone()
    return timezone.localtime(timezone.now() - ROLL_UP_GRACE, site_zone).date()


def counted_live_since():
    """The start of the first day still counted from its rows: they are not rolled up yet."""
    return _site_day_start(_first_live_day())


def roll_up_finished_days(*, days=None):
    """Roll up every finished day of the recent days not rolled up yet, for every client.

    For a scheduler (``manage.py api_clients summarise``) and run by ``prune``
    before it deletes, so a details page never has to count a finished day's
    rows. Clients without requests in those days are left to be rolled up
    when their page is first read (at no cost: nothing to count). Returns the
    number of (client, day) pairs rolled up.
    """
    day_count = days or get_setting("RECENT_USAGE_DAYS")
    live_from = _first_live_day()
    first_day = today() - datetime.timedelta(days=day_count - 1)
    counts = _raw_counts(
        ApiClientUsage.objects.all(), _site_day_start(first_day), _site_day_start(live_from)
    )
    done = set(
        ApiClientDailyUsage.objects.filter(date__gte=first_day, reason="").values_list(
            "client_id", "date"
        )
    )
    days_by_client = {}
    for client_id, date, _reason in counts:
        if (client_id, date) not in done:
            days_by_client.setdefault(client_id, set()).add(date)
    _save_rolled_up(days_by_client, counts)
    return sum(len(dates) for dates in days_by_client.values())


def summarise_usage(client, *, recent=20):
    """Requests per day over the recent days (site time zone) and the latest requests.

    Three queries, whatever the number of records: the finished days' counts
    (a row a day and reason at most), today's rows counted live (and
    yesterday's, for a few minutes after midnight), and the latest requests.
    A finished day not rolled up yet is rolled up here, once (two more
    queries, the first time only).
    """
    day_count = get_setting("RECENT_USAGE_DAYS")
    last_day = today()
    first_day = last_day - datetime.timedelta(days=day_count - 1)
    requests, refused = defaultdict(int), defaultdict(int)

    def add(date, reason, count):
        requests[date] += count
        if reason:
            refused[date] += count

    live_from = min(_first_live_day(), last_day)
    rolled_up = set()
    for row in ApiClientDailyUsage.objects.filter(client=client, date__gte=first_day):
        # A live day's rows hold only the counted-not-recorded refusals so far.
        add(row.date, row.reason, row.requests)
        if row.reason == "" and row.date < live_from:
            rolled_up.add(row.date)
    finished = {
        first_day + datetime.timedelta(days=offset)
        for offset in range((live_from - first_day).days)
    }
    missing = finished - rolled_up
    usage = ApiClientUsage.objects.filter(client=client)
    if missing:
        counts = _raw_counts(
            usage,
            _site_day_start(min(missing)),
            _site_day_start(max(missing) + datetime.timedelta(days=1)),
        )
        for row in _save_rolled_up({client.pk: missing}, counts):
            add(row.date, row.reason, row.recorded)
    live_start = max(live_from, first_day)
    if live_start == last_day:
        # Only today is live (but for a few minutes after midnight): its rows are
        # counted by reason alone, without working out each row's day.
        live = (
            usage.filter(
                requested_at__gte=_site_day_start(last_day),
                requested_at__lt=_site_day_start(last_day + ONE_DAY),
            )
            .values("refusal_reason")
            .annotate(count=Count("id"))
            .order_by()
        )
        for row in live:
            add(last_day, row["refusal_reason"], row["count"])
    else:
        live = _raw_counts(usage, _site_day_start(live_start), _site_day_start(last_day + ONE_DAY))
        for (_client_id, date, reason), count in live.items():
            add(date, reason, count)

    days = [
        Day(date, requests[date], refused[date])
        for date in (first_day + datetime.timedelta(days=offset) for offset in range(day_count))
    ]
    latest = list(
        ApiClientUsage.objects.filter(client=client).order_by("-requested_at", "-id")[:recent]
    )
    return UsageSummary(days=days, recent=latest)
