"""API clients, their usage records, object permissions and audit log entries."""

import functools

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from wagtail.models.audit_log import BaseLogEntry, BaseLogEntryManager

from .dates import today

NAME_MAX_LENGTH = 100
DUPLICATE_NAME_MESSAGE = _("You already have an API client with this name")
# The largest id a 64-bit primary key holds: larger ones can match no row, and
# SQLite cannot even compare them.
MAX_ID = 2**63 - 1


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class ApiClientQuerySet(models.QuerySet):
    def alive(self):
        """Clients that are not deleted: the only ones any page or list shows."""
        return self.filter(deleted_at__isnull=True)

    def with_status(self, status):
        """Filter by derived status, in the database."""
        status = Status(status)
        if status is Status.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if status is Status.EXPIRED:
            return self.filter(revoked_at__isnull=True, expiry_date__lt=today())
        return self.filter(revoked_at__isnull=True, expiry_date__gte=today())


class TokenUsed(models.TextChoices):
    """Which of a client's tokens a request used: after a renewal both may work a while."""

    CURRENT = "current", _("Current")
    PREVIOUS = "previous", _("Previous")


class ApiClientManager(models.Manager.from_queryset(ApiClientQuerySet)):
    def find_by_token_digests(self, digests):
        """The client whose current or previous token has one of these digests, or None.

        Deleted clients are found too. One query on every API request, through
        the two digest columns' indexes. The client comes with
        ``owner_is_active``, read from its owner's row in the same query, and
        ``token_used`` (a ``TokenUsed``), by SQL built once per database
        (``_client_lookup_sql``); with a user model whose ``is_active`` is not a
        column, by the ORM instead, which asks the same question.
        """
        digests = list(digests)
        sql = _client_lookup_sql(self.db, len(digests))
        if sql is not None:
            client = next(iter(self.raw(sql, digests + digests)), None)
        else:
            client = (
                self.select_related("owner")
                .filter(Q(token_digest__in=digests) | Q(previous_token_digest__in=digests))
                .first()
            )
            if client is not None:
                client.owner_is_active = client.owner is not None and client.owner.is_active
        if client is not None:
            client.token_used = (
                TokenUsed.CURRENT if client.token_digest in digests else TokenUsed.PREVIOUS
            )
        return client


class ApiClient(models.Model):
    """A third-party system's access to the register API.

    Status is derived, never stored: revoked if revoked, else expired once the
    expiry date has passed in the site's time zone, else active. Deleting is a
    soft delete so usage and audit history stay.
    """

    name = models.CharField(_("client name"), max_length=NAME_MAX_LENGTH)
    expiry_date = models.DateField(_("expiry date"))
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=16, editable=False)
    # After a renewal, the replaced token's digest and when it stops working:
    # both tokens work until then. Kept afterwards, so that calls with the
    # replaced token are still recognised, and recorded as refused.
    previous_token_digest = models.CharField(max_length=64, null=True, unique=True, editable=False)
    previous_token_expires_at = models.DateTimeField(null=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="api_clients",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The add flow's one-time key for its final step: a repeated final POST
    # (reload, Back, a double click, two at once) finds the client it made.
    submission_key = models.CharField(max_length=64, null=True, unique=True, editable=False)
    # The renew flow's one-time key for its final step, the same guard: the
    # renewal a key made is found by it, and never made twice.
    renewal_key = models.CharField(max_length=64, null=True, unique=True, editable=False)
    # The most urgent expiry reminder sent for the current expiry date, in days
    # before it (negative: after it); None when none has been sent. A renewal
    # clears it, so the new date's reminders start afresh.
    last_reminder_days = models.SmallIntegerField(null=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ApiClientManager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                condition=Q(deleted_at__isnull=True),
                name="api_clients_unique_live_name_per_owner",
                violation_error_message=DUPLICATE_NAME_MESSAGE,
            ),
        ]
        indexes = [
            # The list pages: live clients, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="api_clients_live_newest",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expiry_date < today()

    @property
    def status(self):
        if self.is_revoked:
            return Status.REVOKED
        if self.is_expired:
            return Status.EXPIRED
        return Status.ACTIVE

    @property
    def is_active(self):
        return self.status is Status.ACTIVE

    @property
    def expires_at(self):
        """The moment the current token stops: the end of the expiry date, in the site's zone."""
        from .lifecycle import token_expires_at

        return token_expires_at(self.expiry_date)


class RefusalReason(models.TextChoices):
    EXPIRED = "expired", _("Expired token")
    REVOKED = "revoked", _("Revoked token")
    DELETED = "deleted", _("Deleted client")
    OWNER_INACTIVE = "owner_inactive", _("Owner deactivated")
    REPLACED = "replaced", _("Replaced token")
    RATE_LIMITED = "rate_limited", _("Rate limited")


class ApiClientUsageManager(models.Manager):
    def record(self, **values):
        """Write one usage row with a single INSERT, on every API request by a known client.

        The statement is built once per database (``_usage_insert``). No id is
        read back and no save signals are sent.
        """
        usage = self.model(**values)
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        fields, sql = _usage_insert(alias)
        params = [
            field.get_db_prep_save(getattr(usage, field.attname), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


class ApiClientUsage(models.Model):
    """One request to the API by a known client, accepted or refused."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="usage_records")
    requested_at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.TextField()
    query_string = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    token = models.CharField(
        max_length=8, choices=TokenUsed.choices, default=TokenUsed.CURRENT, editable=False
    )

    objects = ApiClientUsageManager()

    class Meta:
        verbose_name = _("API client usage record")
        verbose_name_plural = _("API client usage records")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-requested_at"], name="api_clients_usage_recent"),
            models.Index(fields=["requested_at"], name="api_clients_usage_prune"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} {self.status_code}"

    @property
    def full_path(self):
        return f"{self.path}?{self.query_string}" if self.query_string else self.path


# The two statements every API request runs, written out once per database
# rather than compiled by the ORM on each request: compiling cost several
# times what running them does. Names come from the models; values are
# always parameters.


@functools.lru_cache(maxsize=32)
def _client_lookup_sql(alias, digest_count):
    """SELECT a client and its owner's ``is_active`` by token digests; None without that column."""
    owner_field = ApiClient._meta.get_field("owner")
    owner_meta = owner_field.related_model._meta
    try:
        is_active = owner_meta.get_field("is_active")
    except FieldDoesNotExist:
        return None
    if not is_active.concrete:  # e.g. AbstractBaseUser's constant
        return None
    quote = connections[alias].ops.quote_name
    client_meta = ApiClient._meta
    columns = ", ".join(f"c.{quote(field.column)}" for field in client_meta.concrete_fields)
    digest_column = quote(client_meta.get_field("token_digest").column)
    previous_column = quote(client_meta.get_field("previous_token_digest").column)
    placeholders = ", ".join(["%s"] * digest_count)
    # The same digests twice: matched against the current and the previous
    # token, each column through its own unique index.
    return (
        f"SELECT {columns}, u.{quote(is_active.column)} AS owner_is_active "  # noqa: S608
        f"FROM {quote(client_meta.db_table)} c "
        f"LEFT OUTER JOIN {quote(owner_meta.db_table)} u "
        f"ON u.{quote(owner_meta.pk.column)} = c.{quote(owner_field.column)} "
        f"WHERE c.{digest_column} IN ({placeholders}) "
        f"OR c.{previous_column} IN ({placeholders})"
    )


@functools.lru_cache(maxsize=8)
def _usage_insert(alias):
    """INSERT one usage row: the fields to read and the statement."""
    meta = ApiClientUsage._meta
    quote = connections[alias].ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return fields, f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608


# Direct foreign-key object permission tables: indexed lookups, and rows go
# with the client instead of lingering as generic-key orphans.
class ApiClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ApiClient, on_delete=models.CASCADE)


class ApiClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ApiClient, on_delete=models.CASCADE)


class ApiClientLogEntryManager(BaseLogEntryManager):
    def log_action(self, instance, action, **kwargs):
        kwargs.update(object_id=str(instance.pk), owner_id=instance.owner_id)
        return super().log_action(instance, action, **kwargs)

    def for_instance(self, instance):
        return self.filter(object_id=str(instance.pk))

    def viewable_by_user(self, user):
        # Who may see which entries is the policy's question; the entries keep
        # an owner snapshot because object permissions vanish with the client.
        from .policies import can_manage_all

        if can_manage_all(user):
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)


class ApiClientLogEntry(BaseLogEntry):
    """Audit log entries for API clients, with the client's owner kept beside each."""

    object_id = models.CharField(max_length=255, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    objects = ApiClientLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = _("API client log entry")
        verbose_name_plural = _("API client log entries")
        indexes = [
            models.Index(fields=["uuid", "action", "-timestamp"], name="api_clients_log_uuid"),
            models.Index(fields=["owner", "-timestamp"], name="api_clients_log_owner"),
        ]
