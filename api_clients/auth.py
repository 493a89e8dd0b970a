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

import datetime
import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from ninja.errors import HttpError, Throttled
from ninja.security.http import HttpAuthBase
from ninja.throttling import BaseThrottle

from . import tokens
from .conf import get_setting, parse_rate
from .lifecycle import token_refusal
from .models import ApiClient, RefusalReason, TokenUsed

UNAUTHORIZED_DETAIL = _("Authentication credentials were missing or not valid.")
THROTTLED_DETAIL = _("Too many requests. Try again later.")
UNAVAILABLE_DETAIL = _("The service is unavailable. Try again later.")

logger = logging.getLogger(__name__)

# Where the token check leaves its outcome for ApiClientUsageMiddleware.
CHECK_ATTRIBUTE = "api_client_check"


class Unauthorized(HttpError):
    def __init__(self):
        super().__init__(401, str(UNAUTHORIZED_DETAIL))


class RateLimited(Throttled):
    """ninja's 429, in this app's words; ``wait`` is the seconds until the window ends."""

    def __init__(self, wait):
        super().__init__(wait)
        self.message = str(THROTTLED_DETAIL)


@dataclass(frozen=True)
class TokenCheck:
    """What the token check decided about one request: made once, read by the middleware.

    ``client`` is the client the token belongs to, whether it was accepted or
    not (None for no token or an unknown one); ``refusal`` why a known client's
    request was refused (a ``RefusalReason``, "" when accepted). ``retry_after``
    is set when a rate limit refused it, in seconds, or when the shared cache
    is down and the site refuses then (``cache_unavailable``). ``challenge``: the
    answer asks for a Bearer token, as every answer without a working token does.
    ``counted_only``: a rate limit refused it, and not first in its window, so
    a flood of refusals is counted per client, day and reason, not written
    one row each.
    ``token`` is which of the client's tokens was used ("current" or
    "previous"); ``expires_at`` when that token stops working, set only when
    it works (a rate-limited request's token works too).
    """

    client: ApiClient | None = None
    refusal: str = ""
    retry_after: float | None = None
    challenge: bool = False
    cache_unavailable: bool = False
    counted_only: bool = False
    token: str = TokenUsed.CURRENT
    expires_at: datetime.datetime | None = None

    @property
    def accepted(self):
        return self.client is not None and not self.refusal and self.retry_after is None

    @property
    def recorded(self):
        """Every request by a known client is a usage row, but those only counted."""
        return self.client is not None and not self.counted_only


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


# Redis: add one and start the window's expiry in the same call, so counting
# a request is one round trip to the cache. EXPIRE only on the window's first
# request, so a window never outlives its period.
_REDIS_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_REDIS_COUNT_SHA = hashlib.sha1(_REDIS_COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324


def _redis_client(backend, key):
    """The Redis client to count on, made once per cache connection rather than per request.

    Django's Redis cache makes a new ``redis.Redis`` for every operation, and
    making one (its table of reply parsers) cost more than the round trip.
    Its writes always go to the first server's pool, so one client serves
    them all. A cache client of another class (one that picks a server by
    key, say) is asked every time.
    """
    cache_client = backend._cache
    if type(cache_client) is not RedisCacheClient:
        return cache_client.get_client(key, write=True)
    redis = cache_client.__dict__.get(_REDIS_CLIENT_ATTRIBUTE)
    if redis is None:
        redis = cache_client.get_client(key, write=True)
        setattr(cache_client, _REDIS_CLIENT_ATTRIBUTE, redis)
    return redis


_REDIS_CLIENT_ATTRIBUTE = "_api_clients_writer"


def _redis_count(backend, key, timeout):
    """One EVALSHA on Django's Redis cache: the new count, the key given its expiry.

    A Redis that has not seen the script (restarted, or another server) is sent
    it whole with EVAL, which also keeps it for the next EVALSHA.
    """
    from redis.exceptions import NoScriptError  # only with Django's Redis cache, which needs it

    key = backend.make_and_validate_key(key)
    redis = _redis_client(backend, key)
    try:
        return int(redis.evalsha(_REDIS_COUNT_SHA, 1, key, timeout))
    except NoScriptError:
        return int(redis.eval(_REDIS_COUNT_SCRIPT, 1, key, timeout))


def _generic_count(backend, key, timeout):
    """Any other Django cache: an atomic increment, and ``add`` for the window's first."""
    try:
        return backend.incr(key)
    except ValueError:  # the window's first request
        if backend.add(key, 1, timeout=timeout):
            return 1
        return backend.incr(key)  # another server started the window meanwhile


def _count_in_window(key, period):
    """Add one to the window's count in the shared cache and return the new count.

    One atomic increment: app servers counting at the same time cannot lose
    each other's requests, as a read-modify-write of the count would. On
    Redis it is one round trip, the expiry set in the same call.

    If the cache itself fails, the count is None: the limit is skipped (or,
    with ``RATE_LIMIT_WITHOUT_CACHE = "refuse"``, the request refused with a
    503), and the failure logged at ERROR at most once a minute.
    """
    timeout = period + 1
    # The backend itself, not Django's proxy to it, to tell which kind it is.
    backend = caches[DEFAULT_CACHE_ALIAS] if isinstance(cache, ConnectionProxy) else cache
    try:
        if isinstance(backend, RedisCache):
            return _redis_count(backend, key, timeout)
        return _generic_count(backend, key, timeout)
    except Exception as error:  # any backend's connection or timeout error
        _log_cache_failure(error)
        if get_setting("RATE_LIMIT_WITHOUT_CACHE") == "refuse":
            raise CacheUnavailable() from error
        return None


def _limit(rate, scope, ident):
    """Count the request in its fixed window.

    Returns the seconds until the next window when over the limit (else None),
    and whether this is the window's first refusal.
    """
    allowed, period = parse_rate(rate)
    now = _clock()
    window = int(now // period)
    key = f"api_clients:rate:{scope}:{ident}:{window}"
    count = _count_in_window(key, period)
    if count is None or count <= allowed:
        return None, False
    return (window + 1) * period - now, count == allowed + 1


def _check_rate(rate, scope, ident):
    """Count the request in its fixed window; over the limit, the seconds until the next one."""
    return _limit(rate, scope, ident)[0]


def token_check(request):
    """What the token check decided about this request (a ``TokenCheck``), or None."""
    return getattr(request, CHECK_ATTRIBUTE, None)


@sensitive_variables("token")
def find_client(token):
    """The client a token belongs to, deleted or not, in one indexed query; or None.

    The client comes with ``owner_is_active``, read from its owner's row in
    the same query. A malformed token costs no query.
    """
    if not tokens.is_well_formed(token):
        return None
    return ApiClient.objects.find_by_token_digests(tokens.candidate_digests(token))


class ApiClientAuth(HttpAuthBase):
    """django-ninja auth callable: ``request.auth`` becomes the ApiClient."""

    openapi_scheme = "bearer"

    @property
    def openapi_bearerFormat(self):  # noqa: N802  (django-ninja reads this name)
        return f"{tokens.token_prefix()} token"

    def __call__(self, request):
        check = self.check(request)
        setattr(request, CHECK_ATTRIBUTE, check)
        if check.cache_unavailable:
            raise CacheUnavailable()
        if check.retry_after is not None:
            raise RateLimited(check.retry_after)
        if not check.accepted:
            raise Unauthorized()
        return check.client

    # Applied to the function itself, not through method_decorator, which
    # decorates the bound method again on every call.
    @sensitive_variables("token")
    def check(self, request):
        """Decide about the request's token and count it against its rate limit."""
        token = self._token_from_header(request)
        client = find_client(token) if token else None
        used = client.token_used if client is not None else TokenUsed.CURRENT
        refusal = client and token_refusal(
            client, owner_is_active=client.owner_is_active, token=used
        )
        working = client is not None and not refusal
        expires_at = None
        if working:
            expires_at = (
                client.previous_token_expires_at
                if used == TokenUsed.PREVIOUS
                else client.expires_at
            )
        try:
            if not working:
                # Without a working token: limited per address, answered with a challenge.
                address = BaseThrottle().get_ident(request)
                retry_after, first = _limit(
                    get_setting("ADDRESS_RATE_LIMIT"), "api_clients_address", address
                )
                return TokenCheck(
                    client,
                    refusal or "",
                    retry_after,
                    challenge=True,
                    token=used,
                    counted_only=retry_after is not None and not first,
                )
            retry_after, first = _limit(
                get_setting("CLIENT_RATE_LIMIT"), "api_clients_client", client.pk
            )
        except CacheUnavailable:
            # The site refuses rather than skips limits while the cache is down.
            return TokenCheck(
                client,
                refusal or "",
                CACHE_RETRY_AFTER_SECONDS,
                challenge=not working,
                cache_unavailable=True,
                token=used,
                expires_at=expires_at,
            )
        if retry_after is not None:
            return TokenCheck(
                client,
                RefusalReason.RATE_LIMITED,
                retry_after,
                token=used,
                expires_at=expires_at,
                counted_only=not first,
            )
        return TokenCheck(client, token=used, expires_at=expires_at)

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
