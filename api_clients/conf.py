"""The app's settings: one namespaced ``API_CLIENTS`` dict with documented defaults.

============================== =========== ===========================================
key                            default     meaning
============================== =========== ===========================================
EXPIRY_HORIZON_MONTHS          12          how far ahead an expiry date may be, in months
CLIENT_RATE_LIMIT              "600/min"   requests a client may make ("N/s|min|h|day")
ADDRESS_RATE_LIMIT             "60/min"    requests without a valid token, per address
USAGE_RETENTION_DAYS           90          usage records older than this are pruned
RECENT_USAGE_DAYS              30          days of usage shown on a client's page
SECRET_SCANNING_KEYS           GitHub's    where secret-scanning public keys come from:
                                           an http(s) URL, or a local JSON file
SECRET_SCANNING_RATE_LIMIT     "60/min"    secret-scanning reports accepted per address
SECRET_SCANNING_MAX_BODY_BYTES 1048576     larger reports are refused with 413
RATE_LIMIT_WITHOUT_CACHE       "skip"      when the shared cache fails: "skip" the rate
                                           limits, or "refuse" requests with 503
API_USERS_GROUP                "API users" the group whose members are API-only users
TOKEN_PREFIX                   "rtp_"      starts every new token: letters, digits and
                                           underscores, ending in "_", 2 to 12 characters
EXPIRY_REMINDER_DAYS           [30, 7, 1]  days before expiry that owners are emailed
API_DOCS_URL                   ""          where the token page sends people to read the
                                           API docs (a path or URL); empty: no link
USAGE_SYNCHRONOUS_COMMIT       True        PostgreSQL: a usage row's commit waits for the
                                           disk; False: it does not (faster; a database
                                           server crash can lose the last moments' rows)
============================== =========== ===========================================
"""

import re

from django.conf import settings

# Upper bounds, past which dates and periods stop making sense (or overflow).
MAX_HORIZON_MONTHS = 120
MAX_RECENT_USAGE_DAYS = 366
MAX_RETENTION_DAYS = 36_500
MAX_REMINDER_DAYS = 3_660
MAX_SECRET_SCANNING_BODY_BYTES = 50 * 1_048_576

GITHUB_SECRET_SCANNING_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning"

DEFAULTS = {
    "EXPIRY_HORIZON_MONTHS": 12,
    "CLIENT_RATE_LIMIT": "600/min",
    "ADDRESS_RATE_LIMIT": "60/min",
    "USAGE_RETENTION_DAYS": 90,
    "RECENT_USAGE_DAYS": 30,
    "SECRET_SCANNING_KEYS": GITHUB_SECRET_SCANNING_KEYS_URL,
    "SECRET_SCANNING_RATE_LIMIT": "60/min",
    "SECRET_SCANNING_MAX_BODY_BYTES": 1_048_576,
    "RATE_LIMIT_WITHOUT_CACHE": "skip",
    "API_USERS_GROUP": "API users",
    "TOKEN_PREFIX": "rtp_",
    "EXPIRY_REMINDER_DAYS": (30, 7, 1),
    "API_DOCS_URL": "",
    "USAGE_SYNCHRONOUS_COMMIT": True,
}
RATE_LIMIT_WITHOUT_CACHE_CHOICES = ("skip", "refuse")

# A prefix fits the stored hint (16 characters: the prefix and 4 more) and reads
# as one word to secret scanners: letters, digits and underscores, ending in "_".
TOKEN_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{0,10}_")
# Django's Group.name holds at most 150 characters.
MAX_GROUP_NAME_LENGTH = 150


def get_setting(name):
    """Return the value of ``API_CLIENTS[name]``, or its default."""
    if name not in DEFAULTS:
        raise KeyError(f"Unknown API_CLIENTS setting: {name}")
    configured = getattr(settings, "API_CLIENTS", None) or {}
    return configured.get(name, DEFAULTS[name])


RATE_PATTERN = re.compile(r"^[1-9]\d*/([1-9]\d*)?(s|sec|m|min|h|hour|d|day)$")
_PERIOD_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400}
_PERIOD_SECONDS["day"] = _PERIOD_SECONDS["d"]


def parse_rate(rate):
    """``"600/min"`` as (600, 60): requests allowed, and in how many seconds.

    ``"100/5min"`` is 100 in 300 seconds. The system check has vetted the format.
    """
    multiplier, unit = RATE_PATTERN.fullmatch(rate).groups()
    return int(rate.partition("/")[0]), int(multiplier or 1) * _PERIOD_SECONDS[unit]
