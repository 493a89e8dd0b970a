"""Bearer authentication for django-ninja APIs, backed by API clients.

Protect any ninja API or operation in one line::

    api = NinjaAPI(auth=ApiClientAuth())

It needs ``api_clients.middleware.ApiClientUsageMiddleware`` in ``MIDDLEWARE``
(a system check says so), which records usage and adds the response headers.

A request is accepted only with the token of an active, undeleted client whose
owner is active. Every refusal gets the same 401 body, so a caller cannot tell
an unknown token from a dead one. Requests with a valid token are rate limited
per client; every other request per address.
"""

import functools
import logging
import time

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase
from ninja.throttling import BaseThrottle

from . import tokens
from .conf import get_setting, parse_rate
from .models import ApiClient, RefusalReason

UNAUTHORIZED_DETAIL = _("Authentication credentials were missing or not valid.")
THROTTLED_DETAIL = _("Too many requests. Try again later.")
UNAVAILABLE_DETAIL = _("The service is unavailable. Try again later.")

logger = logging.getLogger(__name__)

# Request attributes the middleware reads once the response exists.
USAGE_ATTRIBUTE = "api_client_usage"
CHALLENGE_ATTRIBUTE = "api_client_challenge"
RETRY_AFTER_ATTRIBUTE = "api_client_retry_after"


class Unauthorized(HttpError):
    def __init__(self):
        super().__init__(401, str(UNAUTHORIZED_DETAIL))


class Throttled(HttpError):
    def __init__(self):
        super().__init__(429, str(THROTTLED_DETAIL))


class CacheUnavailable(HttpError):
    """The shared cache is down and the site chose to refuse rather than skip limits."""

    def __init__(self):
        super().__init__(503, str(UNAVAILABLE_DETAIL))


_clock = time.time  # what the rate limit tells the time by

# Seconds between two ERROR lines about the cache being down, per process.
CACHE_ERROR_LOG_INTERVAL = 60
# What a 503 for a missing cache tells the caller to wait.
CACHE_RETRY_AFTER_SECONDS = 30
_cache_error_logged_at = None


def _log_cache_failure(error):
    global _cache_error_logged_at
    now = time.monotonic()
    if _cache_error_logged_at is not None and now - _cache_error_logged_at < (
        CACHE_ERROR_LOG_INTERVAL
    ):
        return
    _cache_error_logged_at = now
    skipping = get_setting("RATE_LIMIT_WITHOUT_CACHE") == "skip"
    logger.error(
        "The shared cache is not answering (%s: %s); rate limits are %s until it is back.",
        type(error).__name__,
        error,
        "skipped" if skipping else "refusing requests with 503",
    )


def _count_in_window(key, period):
    """Add one to the window's count in the shared cache and return the new count.

    One atomic increment: app servers counting at the same time cannot lose
    each other's requests, as a read-modify-write of the count would.

    If the cache itself fails, the count is None: the limit is skipped (or,
    with ``RATE_LIMIT_WITHOUT_CACHE = "refuse"``, the request refused with a
    503), and the failure logged at ERROR at most once a minute.
    """
    try:
        try:
            return cache.incr(key)
        except ValueError:  # the window's first request
            if cache.add(key, 1, timeout=period + 1):
                return 1
            return cache.incr(key)  # another server started the window meanwhile
    except Exception as error:  # any backend's connection or timeout error
        _log_cache_failure(error)
        if get_setting("RATE_LIMIT_WITHOUT_CACHE") == "refuse":
            raise CacheUnavailable() from error
        return None


def _check_rate(request, rate, scope, ident):
    """Count the request in its fixed window; over the limit, raise Throttled."""
    allowed, period = parse_rate(rate)
    now = _clock()
    window = int(now // period)
    key = f"api_clients:rate:{scope}:{ident}:{window}"
    try:
        count = _count_in_window(key, period)
    except CacheUnavailable:
        setattr(request, RETRY_AFTER_ATTRIBUTE, CACHE_RETRY_AFTER_SECONDS)
        raise
    if count is None or count <= allowed:
        return
    setattr(request, RETRY_AFTER_ATTRIBUTE, (window + 1) * period - now)
    raise Throttled()


def _refusal_reason(client):
    if client.is_deleted:
        return RefusalReason.DELETED
    if client.is_revoked:
        return RefusalReason.REVOKED
    if client.is_expired:
        return RefusalReason.EXPIRED
    if not client.owner_is_active:
        return RefusalReason.OWNER_INACTIVE
    return None


@functools.lru_cache(maxsize=32)
def _lookup_sql(alias, digest_count):
    """SQL for a client and its owner's ``is_active`` by digest, or None if there is no column.

    Written out rather than built by the ORM on each request: compiling the
    queryset cost several times what running the query does, and this runs
    on every API request. Names come from the models; values are parameters.
    """
    owner_field = ApiClient._meta.get_field("owner")
    owner_meta = owner_field.related_model._meta
    try:
        is_active = owner_meta.get_field("is_active")
    except FieldDoesNotExist:
        return None
    if not is_active.concrete:  # e.g. AbstractBaseUser's constant
        return None
    quote = connections[alias].ops.quote_name
    client_meta = ApiClient._meta
    columns = ", ".join(f"c.{quote(field.column)}" for field in client_meta.concrete_fields)
    digest_column = quote(client_meta.get_field("token_digest").column)
    placeholders = ", ".join(["%s"] * digest_count)
    return (
        f"SELECT {columns}, u.{quote(is_active.column)} AS owner_is_active "  # noqa: S608
        f"FROM {quote(client_meta.db_table)} c "
        f"LEFT OUTER JOIN {quote(owner_meta.db_table)} u "
        f"ON u.{quote(owner_meta.pk.column)} = c.{quote(owner_field.column)} "
        f"WHERE c.{digest_column} IN ({placeholders})"
    )


@sensitive_variables("token")
def find_client(token):
    """The client a token belongs to, deleted or not, in one indexed query; or None.

    The client comes with ``owner_is_active``, read from its owner's row in
    the same query.
    """
    if not tokens.is_well_formed(token):
        return None
    digests = tokens.candidate_digests(token)
    clients = ApiClient.objects
    sql = _lookup_sql(clients.db, len(digests))
    if sql is not None:
        return next(iter(clients.raw(sql, digests)), None)
    client = clients.select_related("owner").filter(token_digest__in=digests).first()
    if client is not None:
        client.owner_is_active = client.owner is not None and client.owner.is_active
    return client


class ApiClientAuth(HttpAuthBase):
    """django-ninja auth callable: ``request.auth`` becomes the ApiClient."""

    openapi_scheme = "bearer"

    @property
    def openapi_bearerFormat(self):  # noqa: N802  (django-ninja reads this name)
        return f"{tokens.token_prefix()} token"

    @method_decorator(sensitive_variables("token"))
    def __call__(self, request):
        # Every answer without a valid token carries the Bearer challenge.
        setattr(request, CHALLENGE_ATTRIBUTE, True)
        token = self._token_from_header(request)
        client = find_client(token) if token else None
        reason = _refusal_reason(client) if client else None
        if client is not None:
            # Recorded whether accepted or refused: staff see who still calls
            # with a dead token.
            setattr(request, USAGE_ATTRIBUTE, {"client": client, "reason": reason or ""})
        if client is None or reason is not None:
            address = BaseThrottle().get_ident(request)
            _check_rate(request, get_setting("ADDRESS_RATE_LIMIT"), "api_clients_address", address)
            raise Unauthorized()
        try:
            _check_rate(request, get_setting("CLIENT_RATE_LIMIT"), "api_clients_client", client.pk)
        except Throttled:
            getattr(request, USAGE_ATTRIBUTE)["reason"] = RefusalReason.RATE_LIMITED
            raise
        setattr(request, CHALLENGE_ATTRIBUTE, False)
        return client

    @staticmethod
    @sensitive_variables("value", "token")
    def _token_from_header(request):
        # Parsed here rather than by ninja's HttpBearer, which logs the whole
        # header (the token) when the scheme is wrong and DEBUG is on.
        value = request.headers.get("Authorization", "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        return token or None
