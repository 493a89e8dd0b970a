"""API clients, their usage records, object permissions and audit log entries."""

import datetime
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections, models, router
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from wagtail.models.audit_log import BaseLogEntry, BaseLogEntryManager, LogEntryQuerySet

from .conf import get_setting
from .dates import today

NAME_MAX_LENGTH = 100
DUPLICATE_NAME_MESSAGE = _("You already have an API client with this name")
# The largest id a 64-bit primary key holds: larger ones can match no row, and
# SQLite cannot even compare them.
MAX_ID = 2**63 - 1


class Status(models.TextChoices):
    """A client's status, derived in ``ApiClient.status`` (and in SQL by ``with_status``).

    The first that applies wins, in this order: Revoked, Expired, Owner
    deactivated, Active. Only an Active client's token works.
    """

    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    OWNER_DEACTIVATED = "owner_deactivated", _("Owner deactivated")


# How many days before its expiry date an Active client counts as expiring soon.
EXPIRING_SOON_DAYS = 30


def _owner_is_active_q(active=True):
    """Q for clients whose owner is (or is not) active, from the owner's ``is_active`` column.

    A user model without that column (``AbstractBaseUser``'s constant) has only
    active users; a client whose owner is gone counts as deactivated, as its
    token does.
    """
    owner_model = ApiClient._meta.get_field("owner").related_model
    try:
        column = owner_model._meta.get_field("is_active")
    except FieldDoesNotExist:
        column = None
    if column is None or not column.concrete:
        active_q = Q(owner__isnull=False)
    else:
        active_q = Q(owner__is_active=True)
    return active_q if active else ~active_q


class ApiClientQuerySet(models.QuerySet):
    def alive(self):
        """Clients that are not deleted: the only ones any page or list shows."""
        return self.filter(deleted_at__isnull=True)

    def with_status(self, status):
        """Filter by derived status, in the database: the same rules as ``ApiClient.status``."""
        status = Status(status)
        if status is Status.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if status is Status.EXPIRED:
            return self.filter(revoked_at__isnull=True, expiry_date__lt=today())
        current = self.filter(revoked_at__isnull=True, expiry_date__gte=today())
        return current.filter(_owner_is_active_q(active=status is Status.ACTIVE))

    def expiring_soon(self):
        """Active clients whose expiry date is within ``EXPIRING_SOON_DAYS`` days of today."""
        last_day = today() + datetime.timedelta(days=EXPIRING_SOON_DAYS)
        return self.with_status(Status.ACTIVE).filter(expiry_date__lte=last_day)

    def with_last_used(self):
        """Annotate ``last_used_at``: the latest usage record's time, or None.

        A subquery on the usage index (client, newest first), so a page of
        clients costs one query whatever the number of records.
        """
        latest = ApiClientUsage.objects.filter(client=models.OuterRef("pk")).order_by(
            "-requested_at"
        )
        return self.annotate(last_used_at=models.Subquery(latest.values("requested_at")[:1]))


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
        alias = self.db
        sql = _client_lookup_sql(alias, len(digests))
        if sql is not None:
            client = self._from_lookup_row(alias, sql, digests + digests)
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

    def _from_lookup_row(self, alias, sql, params):
        """Run the lookup on a plain cursor and build the client as the ORM would.

        The same instance ``raw()`` gives (``from_db``, values through the
        database's converters), without its per-query setup, which cost more
        than the query itself.
        """
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        *values, owner_is_active = row
        for index, converters, expression in _client_converters(alias):
            for converter in converters:
                values[index] = converter(values[index], expression, connection)
        client = self.model.from_db(alias, _client_attnames(), values)
        client.owner_is_active = bool(owner_is_active)
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
    def is_owner_deactivated(self):
        """Is the owner deactivated (or gone)? Its token does not work while so."""
        if "owner_is_active" in self.__dict__:  # read with the client by the token check
            return not self.owner_is_active
        return self.owner is None or not self.owner.is_active

    @property
    def status(self):
        """The one place status is derived; ``with_status`` writes the same rules in SQL."""
        if self.is_revoked:
            return Status.REVOKED
        if self.is_expired:
            return Status.EXPIRED
        if self.is_owner_deactivated:
            return Status.OWNER_DEACTIVATED
        return Status.ACTIVE

    @property
    def is_active(self):
        return self.status is Status.ACTIVE

    @property
    def days_until_expiry(self):
        """Whole days from today to the expiry date: 0 on the day itself."""
        return (self.expiry_date - today()).days

    @property
    def is_expiring_soon(self):
        """An Active client within ``EXPIRING_SOON_DAYS`` days of its expiry date."""
        return self.is_active and self.days_until_expiry <= EXPIRING_SOON_DAYS

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
        read back and no save signals are sent. With ``USAGE_SYNCHRONOUS_COMMIT``
        off, PostgreSQL commits it without waiting for the disk
        (``commits_without_waiting``).
        """
        usage = self.model(**values)
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        fields, sql = _usage_insert(alias, commits_without_waiting(connection))
        params = [
            field.get_db_prep_save(getattr(usage, field.attname), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


class ApiClientUsage(models.Model):
    """One request to the API by a known client, accepted or refused."""

    # No index of its own: "api_clients_usage_recent" starts with the client.
    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="usage_records", db_index=False
    )
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


class ApiClientDailyUsageManager(models.Manager):
    def count_unrecorded(self, *, client, date, reason):
        """Add one to a client's refusals counted, not recorded, on a day: one upsert."""
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        if connection.vendor not in ("postgresql", "sqlite"):
            updated = self.filter(client=client, date=date, reason=reason).update(
                unrecorded=models.F("unrecorded") + 1
            )
            if not updated:
                self.create(client=client, date=date, reason=reason, unrecorded=1)
            return
        params = [client.pk, self.model._meta.get_field("date").get_db_prep_save(date, connection)]
        with connection.cursor() as cursor:
            cursor.execute(
                _daily_upsert(alias, commits_without_waiting(connection)), [*params, reason]
            )

    def keep_greater_counts(self, rows):
        """Insert rolled-up days' counts; where a day is there already, keep the greater count.

        A finished day's rows only grow (a late write) until prune deletes them,
        after rolling them up: a page that counted them while prune deleted some
        must not write its smaller count over prune's. ``unrecorded`` counts
        already there are kept.
        """
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        if connection.vendor not in ("postgresql", "sqlite"):
            self.using(alias).bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["client", "date", "reason"],
                update_fields=["recorded"],
            )
            return
        table, client, date, reason, recorded, unrecorded = _daily_columns(alias)
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        date_field = self.model._meta.get_field("date")
        with connection.cursor() as cursor:
            for start in range(0, len(rows), _DAILY_UPSERT_BATCH):
                batch = rows[start : start + _DAILY_UPSERT_BATCH]
                params = []
                for row in batch:
                    day = date_field.get_db_prep_save(row.date, connection)
                    params += [row.client_id, day, row.reason, row.recorded]
                cursor.execute(
                    f"INSERT INTO {table} ({client}, {date}, {reason}, {recorded}, {unrecorded}) "  # noqa: S608
                    f"VALUES {', '.join(['(%s, %s, %s, %s, 0)'] * len(batch))} "
                    f"ON CONFLICT ({client}, {date}, {reason}) DO UPDATE SET "
                    f"{recorded} = {greatest}({table}.{recorded}, EXCLUDED.{recorded})",
                    params,
                )


# Rows per statement: 5 parameters each, within SQLite's oldest limit of 999.
_DAILY_UPSERT_BATCH = 150


class ApiClientDailyUsage(models.Model):
    """Requests of one client on one day (site time zone) with one refusal reason.

    ``reason`` is "" for accepted requests. ``recorded`` counts the day's usage
    rows, rolled up once the day is over, so pages never count a finished
    day's rows again; a day is rolled up for a client once its accepted row
    exists, even at zero. ``unrecorded`` counts refused requests that were
    only counted, never written as rows (past a rate limit), as they come.
    """

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="daily_usage", db_index=False
    )
    date = models.DateField()
    reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    recorded = models.PositiveBigIntegerField(default=0)
    unrecorded = models.PositiveBigIntegerField(default=0)

    objects = ApiClientDailyUsageManager()

    class Meta:
        verbose_name = _("API client daily usage")
        verbose_name_plural = _("API client daily usage")
        constraints = [
            # Also the index every read uses: a client's days in a range.
            models.UniqueConstraint(
                fields=["client", "date", "reason"], name="api_clients_daily_usage_unique"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="api_clients_daily_usage_prune")]

    def __str__(self):
        return f"{self.client_id} {self.date} {self.reason or 'accepted'}: {self.requests}"

    @property
    def requests(self):
        return self.recorded + self.unrecorded


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


@functools.cache
def _client_attnames():
    """The columns ``_client_lookup_sql`` selects first, as attribute names, in its order."""
    return tuple(field.attname for field in ApiClient._meta.concrete_fields)


@functools.lru_cache(maxsize=8)
def _client_converters(alias):
    """(index, converters, expression) of each looked-up column the database hands back raw.

    What the ORM would apply to the same columns, e.g. SQLite's text to datetimes.
    """
    connection = connections[alias]
    table = ApiClient._meta.db_table
    found = []
    for index, field in enumerate(ApiClient._meta.concrete_fields):
        expression = field.get_col(table)
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if converters:
            found.append((index, tuple(converters), expression))
    return tuple(found)


def commits_without_waiting(connection):
    """Whether a usage write on ``connection`` may commit without waiting for the disk.

    Only with ``USAGE_SYNCHRONOUS_COMMIT`` off, only on PostgreSQL, and only
    when the write is a transaction of its own (autocommit, as in the
    middleware): inside a transaction, the setting would reach the other
    writes it commits.
    """
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not get_setting("USAGE_SYNCHRONOUS_COMMIT")
    )


# Appended to a usage write that commits without waiting: sets PostgreSQL's
# ``synchronous_commit`` to off for the statement's own transaction (the
# third argument: local), in the same statement, so it costs no round trip.
# The commit then returns once the row is in the write-ahead log's buffers;
# the log writer puts it on disk within three times ``wal_writer_delay``.
_COMMIT_WITHOUT_WAITING = " RETURNING set_config('synchronous_commit', 'off', true)"


@functools.lru_cache(maxsize=8)
def _usage_insert(alias, without_waiting=False):
    """INSERT one usage row: the fields to read and the statement."""
    meta = ApiClientUsage._meta
    quote = connections[alias].ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    return fields, sql + (_COMMIT_WITHOUT_WAITING if without_waiting else "")


def _daily_columns(alias):
    """The daily counts' table and its columns (client, date, reason, recorded, unrecorded),
    quoted for the database."""
    meta = ApiClientDailyUsage._meta
    quote = connections[alias].ops.quote_name
    return quote(meta.db_table), *(
        quote(meta.get_field(name).column)
        for name in ("client", "date", "reason", "recorded", "unrecorded")
    )


@functools.lru_cache(maxsize=8)
def _daily_upsert(alias, without_waiting=False):
    """INSERT a day's first counted refusal, or add one to it: the same SQL on both databases."""
    table, client, date, reason, recorded, unrecorded = _daily_columns(alias)
    return (
        f"INSERT INTO {table} ({client}, {date}, {reason}, {recorded}, {unrecorded}) "  # noqa: S608
        f"VALUES (%s, %s, %s, 0, 1) "
        f"ON CONFLICT ({client}, {date}, {reason}) "
        f"DO UPDATE SET {unrecorded} = {table}.{unrecorded} + 1"
    ) + (_COMMIT_WITHOUT_WAITING if without_waiting else "")


# Direct foreign-key object permission tables: indexed lookups, and rows go
# with the client instead of lingering as generic-key orphans.
class ApiClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ApiClient, on_delete=models.CASCADE)


class ApiClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ApiClient, on_delete=models.CASCADE)


class ApiClientLogEntryQuerySet(LogEntryQuerySet):
    """Wagtail's log entry queryset, answering its filters' questions from indexes.

    Wagtail finds the actions, users and content types a history filter offers
    with ``SELECT DISTINCT`` over the entries, which reads every one of them.
    Here each question costs what the few answers cost: the actions by stepping
    through the action index from one to the next, the users and content types
    by an ``EXISTS`` per row of their own (few) tables, each answered by an index.
    """

    def get_actions(self):
        return _distinct_values(self, "action")

    def get_users(self):
        users = get_user_model()
        return users._default_manager.filter(
            Exists(self.order_by().filter(user=OuterRef("pk")))
        ).order_by(users.USERNAME_FIELD)

    def get_user_ids(self):
        # Entries by the system have no user: Wagtail's answer holds None for
        # them, which no consumer can offer or filter on.
        return set(self.get_users().values_list("pk", flat=True))

    def get_content_type_ids(self):
        return set(
            ContentType.objects.filter(
                Exists(self.order_by().filter(content_type=OuterRef("pk")))
            ).values_list("pk", flat=True)
        )


def _distinct_values(queryset, field):
    """The values ``field`` holds in ``queryset``: ``SELECT DISTINCT`` as an index skip-scan.

    A recursive query steps from each value to the next one up, each step one
    ``ORDER BY field LIMIT 1`` that the index on ``field`` answers: as many steps
    as there are values, whatever the number of rows. NULL is left out.
    """
    connection = connections[queryset.db]
    queryset = queryset.order_by(field).values(field)
    try:
        first = queryset[:1].query.get_compiler(connection=connection).as_sql()
        following = (
            queryset.filter(**{f"{field}__gt": RawSQL("found.value", ())})[:1]
            .query.get_compiler(connection=connection)
            .as_sql()
        )
    except EmptyResultSet:  # a queryset that can match nothing (.none())
        return set()
    # Both parts are the ORM's own SQL, their values passed as parameters.
    sql = (
        f"WITH RECURSIVE found(value) AS (SELECT ({first[0]}) "  # noqa: S608
        f"UNION ALL SELECT ({following[0]}) FROM found WHERE found.value IS NOT NULL) "
        "SELECT value FROM found WHERE value IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*first[1], *following[1]))
        return {value for (value,) in cursor.fetchall()}


class ApiClientLogEntryManager(BaseLogEntryManager):
    def get_queryset(self):
        return ApiClientLogEntryQuerySet(self.model, using=self._db)

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

    # Indexed with the newest first: see Meta.indexes.
    object_id = models.CharField(max_length=255)
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
            # A client's history, newest first: a page of it is read from here.
            models.Index(fields=["object_id", "-timestamp", "-id"], name="api_clients_log_object"),
        ]
