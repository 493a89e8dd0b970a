"""The site's error answers: JSON under the API, the admin's look elsewhere.

They read neither the database nor ``request.user``: they must work when the
database is down, and for a request refused before the user is known (a host
that is not allowed).
"""

import logging
import sys
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

API_PREFIXES = ("/api/", "/health")
UNAVAILABLE_DETAIL = "The service is unavailable. Try again later."
RETRY_AFTER_SECONDS = 30
# Seconds between two ERROR lines about the database being down, per process.
FAULT_LOG_INTERVAL = 60

logger = logging.getLogger(__name__)
_fault_logged_at = None


def is_api_request(request):
    """Whether the answer should be JSON: the API and the health check never answer HTML."""
    return request.path.startswith(API_PREFIXES)


def service_unavailable(request):
    """503: the database is down or stalled; the caller should come back shortly."""
    if is_api_request(request):
        response = JsonResponse({"detail": UNAVAILABLE_DETAIL}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """The 500 handler, which also turns a database fault into a 503.

    Django calls it while handling the exception, so ``sys.exc_info()`` is the
    failure: a connection refused, a connect or statement timeout.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        _log_database_failure(error)
        return service_unavailable(request)
    if is_api_request(request):
        return JsonResponse({"detail": "Something went wrong. Try again later."}, status=500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def _log_database_failure(error):
    global _fault_logged_at
    now = time.monotonic()
    if _fault_logged_at is not None and now - _fault_logged_at < FAULT_LOG_INTERVAL:
        return
    _fault_logged_at = now
    logger.error(
        "The database is not answering (%s: %s); requests get 503 until it is back.",
        type(error).__name__,
        str(error).strip(),
    )


def bad_request(request, exception):
    """400, for a host that is not allowed or a request Django cannot read."""
    if is_api_request(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return HttpResponse(loader.render_to_string("400.html"), status=400)


def page_not_found(request, exception):
    """404: JSON under the API (its root included), the site's own page elsewhere."""
    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


@csrf_exempt
def api_not_found(request):
    """404 for a path under /api/ that no version of the API serves: JSON, whatever the method.

    Without it such a path would fall through to the site's pages: an HTML 404,
    or a redirect to the same path with a slash added.
    """
    return JsonResponse({"detail": "Not found."}, status=404)
