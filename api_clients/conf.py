"""The app's settings: one namespaced ``API_CLIENTS`` dict with documented defaults.

========================= ========== ==================================================
key                       default    meaning
========================= ========== ==================================================
EXPIRY_HORIZON_MONTHS     12         how far ahead an expiry date may be, in months
CLIENT_RATE_LIMIT         "600/min"  requests a client may make ("N/s|min|h|day")
ADDRESS_RATE_LIMIT        "60/min"   requests without a valid token, per address
USAGE_RETENTION_DAYS      90         usage records older than this are pruned
RECENT_USAGE_DAYS         30         days of usage shown on a client's page
========================= ========== ==================================================
"""

from django.conf import settings

DEFAULTS = {
    "EXPIRY_HORIZON_MONTHS": 12,
    "CLIENT_RATE_LIMIT": "600/min",
    "ADDRESS_RATE_LIMIT": "60/min",
    "USAGE_RETENTION_DAYS": 90,
    "RECENT_USAGE_DAYS": 30,
}


def get_setting(name):
    """Return the value of ``API_CLIENTS[name]``, or its default."""
    if name not in DEFAULTS:
        raise KeyError(f"Unknown API_CLIENTS setting: {name}")
    configured = getattr(settings, "API_CLIENTS", None) or {}
    return configured.get(name, DEFAULTS[name])
