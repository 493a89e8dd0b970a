"""System checks: a misconfiguration fails ``manage.py check``, not the first request."""

import re

from django.conf import settings
from django.core.checks import Error, register

from .conf import DEFAULTS

RATE_PATTERN = re.compile(r"^[1-9]\d*/([1-9]\d*)?(s|sec|m|min|h|hour|d|day)$")
MIDDLEWARE_PATH = "api_clients.middleware.ApiClientUsageMiddleware"


@register()
def check_api_clients_settings(app_configs, **kwargs):
    errors = []
    configured = getattr(settings, "API_CLIENTS", {})
    if not isinstance(configured, dict):
        return [
            Error(
                "API_CLIENTS must be a dict.",
                hint="See api_clients/conf.py.",
                id="api_clients.E001",
            )
        ]
    for key in sorted(set(configured) - set(DEFAULTS)):
        errors.append(
            Error(
                f"API_CLIENTS has an unknown key {key!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="api_clients.E002",
            )
        )
    for key in ("EXPIRY_HORIZON_MONTHS", "USAGE_RETENTION_DAYS", "RECENT_USAGE_DAYS"):
        value = configured.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"API_CLIENTS[{key!r}] must be a whole number of 1 or more, not {value!r}.",
                    id="api_clients.E003",
                )
            )
    for key in ("CLIENT_RATE_LIMIT", "ADDRESS_RATE_LIMIT"):
        value = configured.get(key, DEFAULTS[key])
        if not isinstance(value, str) or not RATE_PATTERN.fullmatch(value):
            errors.append(
                Error(
                    f"API_CLIENTS[{key!r}] must be a rate such as '600/min', not {value!r}.",
                    hint="A number of requests, a slash, then s, min, h or day.",
                    id="api_clients.E004",
                )
            )
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{MIDDLEWARE_PATH} is not in MIDDLEWARE.",
                hint="ApiClientAuth needs it to record usage and to answer with the right headers.",
                id="api_clients.E005",
            )
        )
    return errors
