"""Tokens found in public: find their clients, revoke them, tell their owners.

Used by the secret-scanning endpoint (a report from GitHub) and by
``manage.py api_clients revoke-token`` (a report from anyone else). Either way
only an Active client changes: a token whose client is already revoked,
expired or deleted is still recognised as one of ours, and nothing happens.
"""

import copy
import logging
import sqlite3

from django.db import connections
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from . import emails, lifecycle, tokens
from .lifecycle import ApiClientError, Change
from .models import ApiClient, ApiClientLogEntry, TokenUsed
from .services import LEAKED_TOKEN_ACTION, revoke_api_client
from .text import remove_untypeable

logger = logging.getLogger(__name__)

URL_MAX_LENGTH = 2000
SOURCE_GITHUB = "github"
SOURCE_REPORTED = "reported"

# Past this many parameters in one query the digests are looked up in batches.
# SQLite reports its own limit; PostgreSQL binds on the client, with no limit.
_DEFAULT_BATCH = 30_000


def github_leak(url):
    """Why a client is revoked when GitHub found its token at ``url``.

    The URL is kept as text on one line: a report may hold anything, and a NUL
    or a lone surrogate would make the database refuse the revocation itself.
    """
    if not isinstance(url, str):
        return {"source": SOURCE_GITHUB, "url": ""}
    # Line breaks and tabs become spaces first; what is left of control characters goes.
    url = remove_untypeable(" ".join(url.split()))[:URL_MAX_LENGTH]
    return {"source": SOURCE_GITHUB, "url": url}


def reported_leak():
    """Why a client is revoked when someone reported its token without a URL."""
    return {"source": SOURCE_REPORTED}


def _batch_size(alias):
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(limit - 10, _DEFAULT_BATCH))
    return connection.features.max_query_params or _DEFAULT_BATCH


@sensitive_variables("presented", "token", "by_digest")
def find_clients(presented):
    """Map each reported token that belongs to a client (deleted ones too) to that client.

    Tokens that fail the offline format check cost no query; all the others are
    looked up together, in one query (batched only past the database's limit on
    parameters), never one per token.
    """
    by_digest = {}
    for token in set(presented):
        if tokens.is_well_formed(token):
            for digest in tokens.candidate_digests(token):
                by_digest[digest] = token
    if not by_digest:
        return {}
    clients = ApiClient.objects.select_related("owner")
    digests = list(by_digest)
    size = _batch_size(clients.db)
    found = {}
    # Half the batch: each digest is matched against both token columns.
    size = max(1, size // 2)
    for start in range(0, len(digests), size):
        batch = digests[start : start + size]
        matches = clients.filter(Q(token_digest__in=batch) | Q(previous_token_digest__in=batch))
        for client in matches:
            if client.token_digest in by_digest:
                client.token_used = TokenUsed.CURRENT
                found[by_digest[client.token_digest]] = client
            if client.previous_token_digest in by_digest:
                # The token a renewal replaced is one of ours too.
                previous = copy.copy(client)
                previous.token_used = TokenUsed.PREVIOUS
                found[by_digest[client.previous_token_digest]] = previous
    return found


def revoke_leaked(client, *, leak, user=None):
    """Revoke an Active client whose token was found in public, and email its owner.

    True if this call revoked it. A client already revoked, expired or deleted,
    or revoked by a concurrent report, is left as it is and nobody is emailed:
    a token reported twice is revoked once and mailed once.
    """
    # The lifecycle's rule, which looks at the client's own state only: a client
    # whose owner is deactivated is revoked all the same, so that reactivating
    # the owner does not bring a leaked token back.
    if not lifecycle.allows(client, Change.REVOKE):
        return False
    if getattr(client, "token_used", TokenUsed.CURRENT) == TokenUsed.PREVIOUS and (
        not lifecycle.previous_token_works(client)
    ):
        # The token a renewal replaced, stopped already: the leak opens nothing,
        # and the client's new token was never in public.
        return False
    try:
        revoke_api_client(client, user=user, leak=leak)
    except ApiClientError:
        return False
    logger.warning(
        "API client %s revoked: its token was %s.",
        client.pk,
        "reported as found in public" if leak["source"] == SOURCE_REPORTED else "found in public",
    )
    emails.send_revoked_for_leak(client, leak=leak)
    return True


def leak_of(client):
    """Why a revoked client was revoked, if its token was found in public; else None.

    Read from its audit entry (one query, details page only), so nothing is
    stored twice: ``{"source", "url", "url_is_link"}``.
    """
    if not client.is_revoked:
        return None
    entry = (
        ApiClientLogEntry.objects.filter(object_id=str(client.pk), action=LEAKED_TOKEN_ACTION)
        .order_by("-timestamp", "-id")
        .values("data")
        .first()
    )
    data = entry and entry["data"]
    if not isinstance(data, dict):
        return None
    url = data.get("url") if isinstance(data.get("url"), str) else ""
    return {
        "source": data.get("source"),
        "url": url,
        "url_is_link": url.startswith(("https://", "http://")),
    }
