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

from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from . import tokens
from .conf import get_setting
from .models import ApiClient, RefusalReason

UNAUTHORIZED_DETAIL = _("Authentication credentials were missing or not valid.")
THROTTLED_DETAIL = _("Too many requests. Try again later.")

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


class _RateLimit(SimpleRateThrottle):
    """django-ninja's throttle, keyed by what we name, on the shared cache."""

    def __init__(self, rate, scope, ident):
        super().__init__(rate)
        self.scope, self.ident = scope, ident

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


def _check_rate(request, rate, scope, ident):
    limit = _RateLimit(rate, scope, ident)
    if limit.allow_request(request):
        return
    setattr(request, RETRY_AFTER_ATTRIBUTE, limit.wait() or limit.duration)
    raise Throttled()


def _refusal_reason(client):
    if client.is_deleted:
        return RefusalReason.DELETED
    if client.is_revoked:
        return RefusalReason.REVOKED
    if client.is_expired:
        return RefusalReason.EXPIRED
    if client.owner is None or not client.owner.is_active:
        return RefusalReason.OWNER_INACTIVE
    return None


def find_client(token):
    """The client a token belongs to, deleted or not, in one indexed query; or None."""
    if not tokens.is_well_formed(token):
        return None
    return (
        ApiClient.objects.select_related("owner")
        .filter(token_digest__in=tokens.candidate_digests(token))
        .first()
    )


class ApiClientAuth(HttpAuthBase):
    """django-ninja auth callable: ``request.auth`` becomes the ApiClient."""

    openapi_scheme = "bearer"
    openapi_bearerFormat = "rtp_ token"

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
    def _token_from_header(request):
        # Parsed here rather than by ninja's HttpBearer, which logs the whole
        # header (the token) when the scheme is wrong and DEBUG is on.
        value = request.headers.get("Authorization", "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        return token or None
