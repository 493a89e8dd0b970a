"""Create, rename, renew, revoke and delete: the only code that changes an API client.

Each service runs in one transaction with its audit entry (and, for create,
the owner's object permissions), so a client never exists without its history.
The rules hold whoever calls: the admin, a management command or a shell.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from wagtail.log_actions import log

from . import tokens
from .dates import expiry_bounds, format_date
from .lifecycle import ApiClientError, Change, check, previous_token_stops_at
from .models import DUPLICATE_NAME_MESSAGE, NAME_MAX_LENGTH, ApiClient
from .policies import grant_owner_permissions
from .text import is_invisible, remove_untypeable

# The audit action of a revoke because the token was found in public.
LEAKED_TOKEN_ACTION = "api_clients.revoke_leaked_token"


def normalise_name(name):
    return remove_untypeable(name or "").strip()


def validate_name(name, *, owner, exclude=None):
    """Return the trimmed name, or raise ValidationError with the spec's message."""
    name = normalise_name(name)
    if is_invisible(name):  # nothing at all, or nothing anyone could see
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
            raise ValidationError(str(DUPLICATE_NAME_MESSAGE), code="unique")
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
            raise ValidationError({"name": str(DUPLICATE_NAME_MESSAGE)}) from error
        raise


class AlreadySubmitted(Exception):  # noqa: N818 (an outcome, not a fault)
    """The submission key has made a client already: ``client`` is the one it made."""

    def __init__(self, client):
        super().__init__(f"Submission already used for API client {client.pk}.")
        self.client = client


def create_api_client(*, owner, name, expiry_date, user=None, submission_key=None):
    """Create a client for ``owner`` and return ``(client, plaintext_token)``.

    The plaintext exists only in this return value: only its digest is stored.
    ``user`` is who acts (the owner when not given). ``submission_key``, unique
    among all clients, makes a repeated submission (even one racing the first)
    raise ``AlreadySubmitted`` instead of creating a second client.
    """
    try:
        return _create(owner, name, expiry_date, user, submission_key)
    except (ValidationError, IntegrityError):
        # The same submission may have won meanwhile: its name is then taken
        # too, but the truth is that the client exists.
        made = find_submitted(owner, submission_key)
        if made is not None:
            raise AlreadySubmitted(made) from None
        raise


def find_submitted(owner, *submission_keys):
    """The client of ``owner`` that one of these submission keys created, deleted or not."""
    keys = {key for key in submission_keys if key}
    if not keys or owner is None:
        return None
    return ApiClient.objects.filter(owner=owner, submission_key__in=keys).first()


@sensitive_variables("plaintext")
def _create(owner, name, expiry_date, user, submission_key):
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
            submission_key=submission_key or None,
        )
        _save_unique(client)
        grant_owner_permissions(client)
        log(client, "api_clients.create", user=user or owner)
    return client, plaintext


def _lock(client):
    """Re-read the client under a row lock so concurrent changes queue, not race."""
    return ApiClient.objects.select_for_update().get(pk=client.pk)


def rename_api_client(client, *, name, user):
    """Rename an active client; the audit entry keeps the old and the new name."""
    with transaction.atomic():
        locked = _lock(client)
        check(locked, Change.RENAME)
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


class AlreadyRenewed(Exception):  # noqa: N818 (an outcome, not a fault)
    """The renewal key has renewed the client already: its new token cannot be shown again."""

    def __init__(self, client):
        super().__init__(f"Renewal already made for API client {client.pk}.")
        self.client = client


@sensitive_variables("plaintext")
def renew_api_client(client, *, expiry_date, overlap, user, renewal_key=None):
    """Give an active client a new token and expiry date; return ``(client, plaintext_token)``.

    The client keeps its name, owner, usage and history. Its current token
    becomes the previous one, which keeps working until ``overlap`` (a key of
    ``lifecycle.OVERLAPS``) from now, never past the end of the current expiry
    date. The plaintext exists only in this return value. ``renewal_key``,
    unique among all clients, makes a repeated submission raise
    ``AlreadyRenewed`` instead of renewing twice; the row lock makes a renewal
    and a revoke (or a second renewal) happen one after the other, never mixed.
    """
    validate_expiry_date(expiry_date)
    with transaction.atomic():
        locked = _lock(client)
        if renewal_key and locked.renewal_key == renewal_key:
            raise AlreadyRenewed(locked)
        check(locked, Change.RENEW)
        now = timezone.now()
        old_expiry_date = locked.expiry_date
        stops_at = previous_token_stops_at(locked, overlap, new_expiry_date=expiry_date, now=now)
        plaintext = tokens.generate_token()
        locked.previous_token_digest = locked.token_digest
        locked.previous_token_expires_at = stops_at
        locked.token_digest = tokens.digest(plaintext)
        locked.token_hint = tokens.hint(plaintext)
        locked.expiry_date = expiry_date
        locked.renewal_key = renewal_key or None
        locked.last_reminder_days = None  # the new date's reminders start afresh
        locked.save(update_fields=RENEWED_FIELDS)
        log(
            locked,
            "api_clients.renew",
            user=user,
            data={
                "expiry_date": {"old": old_expiry_date.isoformat(), "new": expiry_date.isoformat()},
                "previous_token_stops_at": stops_at.isoformat(),
            },
        )
    for field in RENEWED_FIELDS:
        setattr(client, field, getattr(locked, field))
    return locked, plaintext


RENEWED_FIELDS = [
    "previous_token_digest",
    "previous_token_expires_at",
    "token_digest",
    "token_hint",
    "expiry_date",
    "renewal_key",
    "last_reminder_days",
]


def find_renewed(client, renewal_key):
    """Has this renewal key renewed the client? Read afresh from the database."""
    if not renewal_key:
        return False
    return ApiClient.objects.filter(pk=client.pk, renewal_key=renewal_key).exists()


def revoke_api_client(client, *, user, leak=None):
    """Revoke an active client: its token stops working at once. Cannot be undone.

    ``leak`` says the token was found in public, as ``{"source": "github",
    "url": ...}`` or ``{"source": "reported"}``: the audit entry keeps it, under
    its own action. The lifecycle rule is the same either way: an expired,
    revoked or deleted client is left as it is.
    """
    with transaction.atomic():
        locked = _lock(client)
        check(locked, Change.REVOKE)
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
        check(locked, Change.DELETE)
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
