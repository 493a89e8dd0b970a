"""Create, rename, revoke and delete: the only code that changes an API client.

Each service runs in one transaction with its audit entry (and, for create,
the owner's object permissions), so a client never exists without its history.
The rules hold whoever calls: the admin, a management command or a shell.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from guardian.shortcuts import assign_perm
from wagtail.log_actions import log

from . import tokens
from .dates import expiry_bounds, format_date
from .models import NAME_MAX_LENGTH, ApiClient

OWNER_PERMISSIONS = ("view_apiclient", "change_apiclient", "delete_apiclient")

DUPLICATE_NAME_MESSAGE = "You already have an API client with this name"

# The audit action of a revoke because the token was found in public.
LEAKED_TOKEN_ACTION = "api_clients.revoke_leaked_token"


class ApiClientError(Exception):
    """A change that the client's state does not allow, with a message for people."""


def normalise_name(name):
    return (name or "").strip()


def validate_name(name, *, owner, exclude=None):
    """Return the trimmed name, or raise ValidationError with the spec's message."""
    name = normalise_name(name)
    if not name:
        raise ValidationError("Enter client name", code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Client name must be {NAME_MAX_LENGTH} characters or fewer", code="max_length"
        )
    if owner is not None:
        others = ApiClient.objects.alive().filter(owner=owner)
        if exclude is not None:
            others = others.exclude(pk=exclude.pk)
        # Compared here, not with iexact: SQLite folds the case of ASCII only,
        # so "Émile" and "émile" would both pass there. An owner has few clients.
        folded = name.casefold()
        if any(other.casefold() == folded for other in others.values_list("name", flat=True)):
            raise ValidationError(DUPLICATE_NAME_MESSAGE, code="unique")
    return name


def validate_expiry_date(expiry_date):
    """Raise ValidationError unless the date is from today to the horizon."""
    earliest, latest = expiry_bounds()
    if not earliest <= expiry_date <= latest:
        raise ValidationError(
            f"Expiry date must be between {format_date(earliest)} and {format_date(latest)}",
            code="out_of_range",
        )
    return expiry_date


def _save_unique(client, **save_kwargs):
    """Save, turning a lost race on the unique-name constraint into the usual message."""
    try:
        with transaction.atomic():
            client.save(**save_kwargs)
    except IntegrityError as error:
        # Which constraint failed is asked of the data, not of the driver's wording.
        clash = (
            ApiClient.objects.alive()
            .filter(owner_id=client.owner_id, name__iexact=client.name)
            .exclude(pk=client.pk)
        )
        if client.owner_id is not None and clash.exists():
            raise ValidationError({"name": DUPLICATE_NAME_MESSAGE}) from error
        raise


@sensitive_variables("plaintext")
def create_api_client(*, owner, name, expiry_date, user=None):
    """Create a client for ``owner`` and return ``(client, plaintext_token)``.

    The plaintext exists only in this return value: only its digest is stored.
    ``user`` is who acts (the owner when not given).
    """
    name = validate_name(name, owner=owner)
    validate_expiry_date(expiry_date)
    if owner is None or not owner.is_active:
        raise ApiClientError("An API client needs an active owner.")
    plaintext = tokens.generate_token()
    with transaction.atomic():
        client = ApiClient(
            name=name,
            expiry_date=expiry_date,
            owner=owner,
            token_digest=tokens.digest(plaintext),
            token_hint=tokens.hint(plaintext),
        )
        _save_unique(client)
        for codename in OWNER_PERMISSIONS:
            assign_perm(f"api_clients.{codename}", owner, client)
        log(client, "api_clients.create", user=user or owner)
    return client, plaintext


def _lock(client):
    """Re-read the client under a row lock so concurrent changes queue, not race."""
    return ApiClient.objects.select_for_update().get(pk=client.pk)


def rename_api_client(client, *, name, user):
    """Rename an active client; the audit entry keeps the old and the new name."""
    with transaction.atomic():
        locked = _lock(client)
        if locked.is_deleted:
            raise ApiClientError("This API client has been deleted.")
        if not locked.is_active:
            raise ApiClientError("Only active API clients can be renamed.")
        new_name = validate_name(name, owner=locked.owner, exclude=locked)
        old_name = locked.name
        if new_name == old_name:
            return locked
        locked.name = new_name
        _save_unique(locked, update_fields=["name"])
        log(
            locked,
            "api_clients.rename",
            user=user,
            data={"name": {"old": old_name, "new": new_name}},
        )
    client.name = new_name
    return locked


def revoke_api_client(client, *, user, leak=None):
    """Revoke a client: its token stops working at once. Cannot be undone.

    ``leak`` says the token was found in public, as ``{"source": "github",
    "url": ...}`` or ``{"source": "reported"}``: the audit entry keeps it, under
    its own action, and an expired client is left as it is.
    """
    with transaction.atomic():
        locked = _lock(client)
        if locked.is_deleted:
            raise ApiClientError("This API client has been deleted.")
        if locked.is_revoked:
            raise ApiClientError("This API client has already been revoked.")
        if leak is not None and locked.is_expired:
            # An expired token no longer works: nothing to stop, nobody to alarm.
            raise ApiClientError("This API client has expired.")
        locked.revoked_at = timezone.now()
        locked.revoked_by = user if user and user.pk else None
        locked.save(update_fields=["revoked_at", "revoked_by"])
        if leak is None:
            log(locked, "api_clients.revoke", user=user)
        else:
            log(locked, LEAKED_TOKEN_ACTION, user=user, data=dict(leak))
    client.revoked_at, client.revoked_by = locked.revoked_at, locked.revoked_by
    return locked


def delete_api_client(client, *, user):
    """Soft-delete a client: hidden everywhere, token refused, history kept."""
    with transaction.atomic():
        locked = _lock(client)
        if locked.is_deleted:
            raise ApiClientError("This API client has already been deleted.")
        locked.deleted_at = timezone.now()
        locked.deleted_by = user if user and user.pk else None
        locked.save(update_fields=["deleted_at", "deleted_by"])
        log(locked, "api_clients.delete", user=user, deleted=True)
    client.deleted_at, client.deleted_by = locked.deleted_at, locked.deleted_by
    return locked


def delete_clients_of_owner(owner, *, user=None):
    """Soft-delete every live client of a user about to be deleted, with audit entries."""
    for client in ApiClient.objects.alive().filter(owner=owner):
        delete_api_client(client, user=user)
