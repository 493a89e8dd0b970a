"""What may happen to an API client in each state: the one home of the lifecycle rules.

A client is Revoked, Expired, Owner deactivated or Active (derived from its
dates, flags and owner, see ``ApiClient.status``), and may be deleted. Only an
Active client is active: an Owner deactivated client's token does not work.
This module answers two questions:

* May this change happen to the client now? (``refusal``, ``allows``, ``check``)
  The services enforce the answer inside their transaction, on the locked row;
  views, the management command and the API only ask, to hide a button or
  explain a refusal. Every route gives the same answer and the same message.
* Does the client's token work now, and if not, why? (``token_refusal``)
  After a renewal the client has two: the new one, and the one it replaced,
  which works for the chosen overlap (``OVERLAPS``), never past the end of
  its own expiry date, and only while the client itself works.

A new change (renewing a token, revoking because a token was found in public)
is one more ``Change`` and one more line in ``RULES``; its service calls
``check`` like the others.
"""

import datetime
import enum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import RefusalReason, Status, TokenUsed


class ApiClientError(Exception):
    """A change that the client's state does not allow, with a message for people."""


class Change(enum.Enum):
    RENAME = "rename"
    REVOKE = "revoke"
    DELETE = "delete"
    RENEW = "renew"


class Rule(enum.Enum):
    ACTIVE_ONLY = "active only"  # an expired or revoked client stays as it is
    # Active, or Owner deactivated: a token that would work again if its owner
    # were reactivated can still be stopped for good.
    UNTIL_ENDED = "until revoked or expired"
    UNLESS_DELETED = "unless deleted"


RULES = {
    Change.RENAME: Rule.ACTIVE_ONLY,
    Change.REVOKE: Rule.UNTIL_ENDED,
    Change.DELETE: Rule.UNLESS_DELETED,
    Change.RENEW: Rule.ACTIVE_ONLY,
}

ONLY_ACTIVE_MESSAGE = _("Only active API clients can be changed.")
ENDED_STATUSES = frozenset({Status.REVOKED, Status.EXPIRED})
DELETED_MESSAGE = _("This API client has been deleted.")
ALREADY_DELETED_MESSAGE = _("This API client has already been deleted.")


def refusal(client, change):
    """Why ``change`` may not happen to the client now, for people; None if it may."""
    if client.is_deleted:
        return ALREADY_DELETED_MESSAGE if change is Change.DELETE else DELETED_MESSAGE
    rule = RULES[change]
    if rule is Rule.ACTIVE_ONLY and not client.is_active:
        return ONLY_ACTIVE_MESSAGE
    if rule is Rule.UNTIL_ENDED and client.status in ENDED_STATUSES:
        return ONLY_ACTIVE_MESSAGE
    return None


def allows(client, change):
    """May ``change`` happen to the client now, whoever asks?"""
    return refusal(client, change) is None


def check(client, change):
    """Raise ``ApiClientError`` with the message for people unless ``change`` may happen."""
    message = refusal(client, change)
    if message is not None:
        raise ApiClientError(str(message))


def token_refusal(client, *, owner_is_active, token=TokenUsed.CURRENT, now=None):
    """Why the client's token is refused now (a ``RefusalReason``), or None if it works.

    ``token`` says which of the client's tokens was used: the previous one, kept
    after a renewal, works only until its stop time, and only while the client
    itself works, so that revoking or deleting stops both at once.
    """
    if client.is_deleted:
        return RefusalReason.DELETED
    if client.is_revoked:
        return RefusalReason.REVOKED
    if client.is_expired:
        return RefusalReason.EXPIRED
    if not owner_is_active:
        return RefusalReason.OWNER_INACTIVE
    if token == TokenUsed.PREVIOUS and not previous_token_works(client, now=now):
        return RefusalReason.REPLACED
    return None


# Renewal: how long the current token keeps working beside the new one. The
# keys are what the form's radios and the management command's --overlap take.
OVERLAPS = {
    "0": datetime.timedelta(0),
    "1h": datetime.timedelta(hours=1),
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
}


def token_expires_at(expiry_date):
    """The moment a token with this expiry date stops: the start of the next day, site time."""
    next_day = expiry_date + datetime.timedelta(days=1)
    return datetime.datetime.combine(
        next_day, datetime.time.min, tzinfo=timezone.get_default_timezone()
    )


def previous_token_stops_at(client, overlap, *, new_expiry_date=None, now=None):
    """When the current token stops if the client is renewed now with ``overlap`` (a key).

    Never after the end of the current expiry date: a renewal cannot lengthen
    the life of the token it replaces. Nor after the end of the new one, when
    the client expires and both its tokens stop.
    """
    now = now or timezone.now()
    return min(now + OVERLAPS[overlap], token_expires_at(last_day(client, new_expiry_date)))


def last_day(client, new_expiry_date=None):
    """The last day both of a renewed client's tokens can work: the earlier expiry date."""
    if new_expiry_date is None:
        return client.expiry_date
    return min(client.expiry_date, new_expiry_date)


def previous_token_works(client, *, now=None):
    """Does the token a renewal replaced still work beside the new one?"""
    stops_at = client.previous_token_expires_at
    return stops_at is not None and (now or timezone.now()) < stops_at
