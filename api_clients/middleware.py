"""Middleware: API usage recording, and keeping API-only users in their section."""

import math
import time

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.auth import permission_denied

from .auth import CHECK_ATTRIBUTE
from .dates import format_rfc3339
from .models import ApiClientDailyUsage, ApiClientUsage
from .policies import is_api_only_user
from .tokens import hide_tokens

TOKEN_EXPIRES_HEADER = "API-Client-Token-Expires"
PATH_MAX_LENGTH = 2000
QUERY_MAX_LENGTH = 2000


def _storable(value, limit):
    """What was asked for, as text every database keeps (PostgreSQL refuses NUL), and
    without any token a caller put in it."""
    return hide_tokens(value.replace("\x00", "%00"))[:limit]


class ApiClientUsageMiddleware:
    """Times the request, then writes one usage row if ``ApiClientAuth`` saw a known client.

    The row is written before the response leaves, in the request's own thread,
    so nothing recorded is lost to a crash or a full queue; it costs one INSERT.
    Refusals past a rate limit's first in its window add one to the client's
    count for the day instead (one upsert), so a flood does not fill the table.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        requested_at = timezone.now()
        response = self.get_response(request)
        check = getattr(request, CHECK_ATTRIBUTE, None)
        if check is None:  # not an API request, or one without ApiClientAuth
            return response
        if response.status_code == 401 and check.challenge:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        if response.status_code in (429, 503) and check.retry_after is not None:
            response["Retry-After"] = str(max(1, math.ceil(check.retry_after)))
        if check.expires_at is not None:
            # Every answer to a working token says when it stops, so that a
            # consumer can renew in time instead of learning from a 401.
            response[TOKEN_EXPIRES_HEADER] = format_rfc3339(check.expires_at)
        if check.recorded:
            ApiClientUsage.objects.record(
                client=check.client,
                requested_at=requested_at,
                method=_storable(request.method, 10),
                path=_storable(request.path, PATH_MAX_LENGTH),
                query_string=_storable(request.META.get("QUERY_STRING", ""), QUERY_MAX_LENGTH),
                status_code=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000),
                refusal_reason=check.refusal,
                token=check.token,
            )
        elif check.client is not None and check.counted_only:
            ApiClientDailyUsage.objects.count_unrecorded(
                client=check.client,
                date=timezone.localtime(requested_at, timezone.get_default_timezone()).date(),
                reason=check.refusal,
            )
        return response


# Admin pages an API-only user may open besides the API clients section.
API_ONLY_ALLOWED_URL_NAMES = frozenset(
    {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_account",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
        "wagtailadmin_dismissibles",
        "wagtailadmin_reports:site_history",
        "wagtailadmin_reports:site_history_results",
        "api_clients_site_history",
        "api_clients_site_history_results",
    }
)


class ApiOnlyUserAdminMiddleware:
    """Keeps API-only users inside the API clients section of the admin.

    Their dashboard is the list of their clients; every other admin area is
    refused the way Wagtail refuses any page a user may not see.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or not request.path.startswith(reverse("wagtailadmin_home")):
            return None
        if not is_api_only_user(request.user):
            return None
        if match.view_name == "wagtailadmin_home":
            return redirect("api_clients:index")
        if match.namespaces[:1] == ["api_clients"] or match.view_name in API_ONLY_ALLOWED_URL_NAMES:
            return None
        return permission_denied(request)
