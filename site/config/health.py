"""``GET /health``: whether this app server can reach its database and its cache.

For load balancers and monitors: no token, no rate limit, no usage record,
and JSON whatever happens.
"""

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .errors import RETRY_AFTER_SECONDS


def _database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # refused, timed out, or any other driver failure
        return False


def _cache_answers():
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        answered = cache.get(key) == "ok"
        cache.delete(key)
        return answered
    except Exception:  # any backend's connection or timeout error
        return False


@never_cache
@require_safe
def health(request):
    """200 with ``{"status": "ok", …}`` when the database and cache answer, else 503."""
    checks = {
        "database": "ok" if _database_answers() else "unavailable",
        "cache": "ok" if _cache_answers() else "unavailable",
    }
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
