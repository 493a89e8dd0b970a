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

A new change (renewing a token, revoking because a token was found in public)
is one more ``Change`` and one more line in ``RULES``; its service calls
``check`` like the others.
"""

import enum

from django.utils.translation import gettext_lazy as _

from .models import RefusalReason, Status


class ApiClientError(Exception):
    """A change that the client's state does not allow, with a message for people."""


class Change(enum.Enum):
    RENAME = "rename"
    REVOKE = "revoke"
    DELETE = "delete"


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


def token_refusal(client, *, owner_is_active):
    """Why the client's token is refused now (a ``RefusalReason``), or None if it works."""
    if client.is_deleted:
        return RefusalReason.DELETED
    if client.is_revoked:
        return RefusalReason.REVOKED
    if client.is_expired:
        return RefusalReason.EXPIRED
    if not owner_is_active:
        return RefusalReason.OWNER_INACTIVE
    return None
