"""What managers see of the section on the admin dashboard, and how they search it."""

import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.search import SearchArea
from wagtail.admin.ui.components import Component

from .models import EXPIRING_SOON_DAYS, ApiClient, ApiClientDailyUsage, ApiClientUsage, Status
from .policies import permission_policy

REFUSED_WINDOW = datetime.timedelta(hours=24)


def refused_since():
    """The start of the window the dashboard counts refused requests in: 24 hours ago."""
    return timezone.now() - REFUSED_WINDOW


def refused_requests():
    """Requests refused in the last 24 hours, of any known client (deleted ones too)."""
    return ApiClientUsage.objects.filter(requested_at__gte=refused_since()).exclude(
        refusal_reason=""
    )


def first_counted_day():
    """The first day (site time zone) the last 24 hours touch.

    Refusals past a rate limit are counted per day, not recorded with a time:
    those of the days the last 24 hours touch are the ones counted with them.
    """
    return timezone.localtime(refused_since(), timezone.get_default_timezone()).date()


def counted_refusals():
    """Refusals past a rate limit, counted not recorded, on the days the last 24 hours touch.

    Returns the first of those days and ``(client, count)`` pairs, busiest
    client first; one query.
    """
    first_day = first_counted_day()
    totals = (
        ApiClient.objects.filter(daily_usage__date__gte=first_day, daily_usage__unrecorded__gt=0)
        .annotate(counted=Sum("daily_usage__unrecorded"))
        .order_by("-counted", "name", "pk")
    )
    return first_day, [(client, client.counted) for client in totals]


def overview_counts():
    """Active clients, those expiring within 30 days, and refused requests in the last 24 hours.

    The refused are those recorded in the last 24 hours and those counted past
    a rate limit on the days they touch, as the refused requests page lists
    them. Three queries, whatever the number of clients or records.
    """
    clients = ApiClient.objects.alive().with_status(Status.ACTIVE)
    expiring = ApiClient.objects.alive().expiring_soon()
    counts = clients.aggregate(
        active=Count("pk"),
        expiring=Count("pk", filter=Q(pk__in=expiring.values("pk"))),
    )
    counted = ApiClientDailyUsage.objects.filter(date__gte=first_counted_day()).aggregate(
        total=Sum("unrecorded")
    )["total"]
    counts["refused"] = refused_requests().count() + (counted or 0)
    return counts


class ApiClientsPanel(Component):
    """The dashboard panel "API clients": three numbers, each a link to the matching list."""

    name = "api_clients"
    template_name = "api_clients/dashboard_panel.html"
    order = 50

    def __init__(self, *, index_url, refused_url):
        self.index_url = index_url
        self.refused_url = refused_url

    def get_context_data(self, parent_context=None):
        counts = overview_counts()
        return {
            "items": [
                {
                    "count": counts["active"],
                    "label": _("Active clients"),
                    "url": f"{self.index_url}?{urlencode({'status': Status.ACTIVE.value})}",
                },
                {
                    "count": counts["expiring"],
                    "label": _("Expiring within %(days)s days") % {"days": EXPIRING_SOON_DAYS},
                    "url": f"{self.index_url}?{urlencode({'status': 'expiring_soon'})}",
                },
                {
                    "count": counts["refused"],
                    "label": _("Refused requests in the last 24 hours"),
                    "url": self.refused_url,
                },
            ],
            "index_url": self.index_url,
        }


class ApiClientsSearchArea(SearchArea):
    """Search the API clients from the admin's search box.

    After Wagtail's own areas (pages first), so those who have pages keep
    their search; for a manager without pages it is the search box's only area.
    """

    def is_shown(self, request):
        return permission_policy.user_has_any_permission(
            request.user, ["add", "change", "delete", "view"]
        )
