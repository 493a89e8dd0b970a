"""What a ninja API built on ``ApiClientAuth`` may tell a client about itself.

The site adds the endpoint to its own API (``GET /client``) with this schema
and ``describe_calling_client``, so that its path and tags stay the site's.
"""

import datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from .auth import token_check
from .conf import get_setting, parse_rate
from .dates import format_rfc3339, today


class RateLimitOut(Schema):
    limit: int = Field(description="Requests allowed in each period.")
    period_seconds: int = Field(description="The period's length, in seconds.")


class ClientOut(Schema):
    name: str = Field(description="The API client's name.")
    expiry_date: datetime.date = Field(
        description="The last day the calling token works, in the register's time zone."
    )
    expires_at: str = Field(
        json_schema_extra={"format": "date-time"},
        description="The moment the calling token stops working, RFC 3339 with offset "
        "(also sent as the API-Client-Token-Expires header on every response).",
    )
    days_until_expiry: int = Field(
        description="Days from today to expiry_date: 0 on the last day it works."
    )
    token: Literal["current", "previous"] = Field(
        description="Which of the client's tokens was used: after a new token is "
        "generated, the previous one may keep working for a while."
    )
    rate_limit: RateLimitOut


def describe_calling_client(request):
    """The calling client and token, as ``ClientOut`` reads it."""
    check = token_check(request)
    site_zone = timezone.get_default_timezone()
    # The day of its last working moment: for a token that stops at midnight,
    # the day before.
    last_day = timezone.localtime(check.expires_at - datetime.timedelta(microseconds=1), site_zone)
    limit, period_seconds = parse_rate(get_setting("CLIENT_RATE_LIMIT"))
    return {
        "name": check.client.name,
        "expiry_date": last_day.date(),
        "expires_at": format_rfc3339(check.expires_at),
        "days_until_expiry": (last_day.date() - today()).days,
        "token": str(check.token),
        "rate_limit": {"limit": limit, "period_seconds": period_seconds},
    }
