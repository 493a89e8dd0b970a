"""Records each API request by a known client and finishes the auth headers."""

import math
import time

from django.utils import timezone

from .auth import CHALLENGE_ATTRIBUTE, RETRY_AFTER_ATTRIBUTE, USAGE_ATTRIBUTE
from .models import ApiClientUsage

PATH_MAX_LENGTH = 2000
QUERY_MAX_LENGTH = 2000


def _storable(value, limit):
    """What was asked for, as text every database keeps: PostgreSQL refuses NUL."""
    return value.replace("\x00", "%00")[:limit]


class ApiClientUsageMiddleware:
    """Times the request, then writes one usage row if ``ApiClientAuth`` saw a known client.

    The row is written before the response leaves, in the request's own thread,
    so nothing recorded is lost to a crash or a full queue; it costs one INSERT.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        requested_at = timezone.now()
        response = self.get_response(request)
        if response.status_code == 401 and getattr(request, CHALLENGE_ATTRIBUTE, False):
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        retry_after = getattr(request, RETRY_AFTER_ATTRIBUTE, None)
        if response.status_code == 429 and retry_after is not None:
            response["Retry-After"] = str(max(1, math.ceil(retry_after)))
        usage = getattr(request, USAGE_ATTRIBUTE, None)
        if usage is not None:
            ApiClientUsage.objects.create(
                client=usage["client"],
                requested_at=requested_at,
                method=_storable(request.method, 10),
                path=_storable(request.path, PATH_MAX_LENGTH),
                query_string=_storable(request.META.get("QUERY_STRING", ""), QUERY_MAX_LENGTH),
                status_code=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000),
                refusal_reason=usage["reason"],
            )
        return response
