"""Many clients at once, for tests that need more output than a pipe holds."""

import datetime
import secrets

from django.contrib.auth import get_user_model

from api_clients.dates import today
from api_clients.models import ApiClient


def make_many(count):
    """``count`` live clients of one owner, written in one statement."""
    owner = get_user_model().objects.create_user(username="many-owner")
    ApiClient.objects.bulk_create(
        ApiClient(
            name=f"Bulk client {number}",
            expiry_date=today() + datetime.timedelta(days=30),
            owner=owner,
            token_digest=secrets.token_hex(32),
            token_hint="rtp_bulk",
        )
        for number in range(count)
    )
