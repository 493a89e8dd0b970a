"""Expiry reminders: emails to the owners of clients about to expire, or just expired.

The schedule is ``EXPIRY_REMINDER_DAYS`` (by default 30, 7 and 1 days before
the expiry date) and one more on the day after it, once the token has stopped.
``send_reminders`` runs daily from any scheduler (``manage.py api_clients
send_reminders``) and may run any number of times:

* Each client remembers the most urgent reminder sent for its current expiry
  date (``ApiClient.last_reminder_days``), so each reminder goes at most once,
  and after a missed day only the most urgent one due goes, never a backlog.
* A renewal clears that memory: the new date's reminders start afresh.
* Revoked or deleted clients, deactivated owners and owners without an email
  address get none; the result counts them by reason.

Its cost does not grow with the number of clients: one query reads them with
their owners, the emails go out through one connection to the mail backend,
and one UPDATE per reminder kind marks what was sent.
"""

import collections
import contextlib
import datetime
import logging
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db import transaction

from . import emails
from .conf import get_setting
from .dates import today as site_today
from .models import ApiClient

logger = logging.getLogger(__name__)

# ``last_reminder_days`` of the reminder sent after the expiry date.
AFTER_EXPIRY = -1
# The reminder after expiry still goes if the command has not run for this
# many days; a first run on an old database does not mail about clients that
# died long ago.
AFTER_EXPIRY_GRACE_DAYS = 7


class Skip:
    """Why a client due a reminder gets none: the command's words for each reason."""

    REVOKED = "revoked"
    DELETED = "deleted"
    OWNER_DEACTIVATED = "owner deactivated or deleted"
    NO_EMAIL = "owner has no email address"
    FAILED = "the mail backend failed"


@dataclass
class Outcome:
    sent: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)


def reminder_days():
    """The configured days before expiry, most distant first, without repeats."""
    return sorted(set(get_setting("EXPIRY_REMINDER_DAYS")), reverse=True)


def due_reminder(client, *, today, days_before):
    """The most urgent reminder due for the client and not yet sent, or None.

    A reminder is named by its days before the expiry date (``AFTER_EXPIRY``
    after it). Smaller is more urgent; one is due once its day has come.
    """
    days_left = (client.expiry_date - today).days
    if days_left < 0:
        if -days_left > AFTER_EXPIRY_GRACE_DAYS:
            return None
        due = AFTER_EXPIRY
    else:
        reached = [days for days in days_before if days_left <= days]
        if not reached:
            return None
        due = min(reached)
    if client.last_reminder_days is not None and client.last_reminder_days <= due:
        return None  # this one, or a more urgent one, has gone already
    return due


def skip_reason(client):
    """Why the client gets no reminder even if one is due, or None."""
    if client.is_deleted:
        return Skip.DELETED
    if client.is_revoked:
        return Skip.REVOKED
    if client.owner is None or not client.owner.is_active:
        return Skip.OWNER_DEACTIVATED
    if emails.owner_email_address(client) is None:
        return Skip.NO_EMAIL
    return None


def _candidates(today, days_before):
    """Clients whose expiry date puts any reminder in reach, with their owners: one query.

    Locked for the claim, ``FOR NO KEY UPDATE``: a usage row's insert (a key
    share of its client) never waits for it.
    """
    latest = today + datetime.timedelta(days=max(days_before, default=0))
    earliest = today - datetime.timedelta(days=AFTER_EXPIRY_GRACE_DAYS)
    return (
        ApiClient.objects.filter(expiry_date__gte=earliest, expiry_date__lte=latest)
        .select_related("owner")
        # Two runs at once each take the rows the other has not: never a reminder twice.
        .select_for_update(skip_locked=True, of=("self",), no_key=True)
        .order_by("pk")
    )


def _claim(today, days_before, outcome):
    """Mark every reminder due today as sent, in one short transaction; return them.

    The emails go after it commits: a transaction open while a mail server
    answers would hold the clients' rows (on SQLite, the whole database) and
    hold up the API's usage records meanwhile.
    """
    with transaction.atomic():
        due = []
        for client in _candidates(today, days_before):
            reminder = due_reminder(client, today=today, days_before=days_before)
            if reminder is None:
                continue
            reason = skip_reason(client)
            if reason is not None:
                outcome.skipped[reason] += 1
                continue
            due.append((client, reminder, client.last_reminder_days))
        by_reminder = collections.defaultdict(list)
        for client, reminder, _previous in due:
            by_reminder[reminder].append(client.pk)
        for reminder, pks in by_reminder.items():
            ApiClient.objects.filter(pk__in=pks).update(last_reminder_days=reminder)
    return due


def _release(client, reminder, previous):
    """Unmark a reminder that could not be sent, so the next run tries it again."""
    ApiClient.objects.filter(pk=client.pk, last_reminder_days=reminder).update(
        last_reminder_days=previous
    )


def send_reminders(*, today=None):
    """Send every reminder due today; return an ``Outcome``: how many sent, skipped and why.

    Each reminder is claimed (marked sent) before its email goes, with no
    transaction open while mail is sent. One that could not be sent (its
    address refused, the mail server unreachable, the run stopped before it)
    is unmarked and tried again on the next run; two runs at once never send
    one twice.
    """
    today = today or site_today()
    days_before = reminder_days()
    outcome = Outcome()
    due = collections.deque(_claim(today, days_before, outcome))
    if not due:
        return outcome
    connection = get_connection()
    try:
        connection.open()
        while due:
            client, reminder, previous = due[0]
            try:
                connection.send_messages([emails.expiry_reminder(client, today=today)])
            except Exception:
                # One refused address must not stop the others.
                logger.exception("Could not send a reminder for API client %s.", client.pk)
                outcome.skipped[Skip.FAILED] += 1
                _release(client, reminder, previous)
            else:
                outcome.sent += 1
            due.popleft()
    except Exception:
        logger.exception("Could not send reminders: the mail server did not answer.")
        outcome.skipped[Skip.FAILED] += len(due)
    finally:
        # Whatever was not sent, for any reason, is due again on the next run.
        for client, reminder, previous in due:
            _release(client, reminder, previous)
        with contextlib.suppress(Exception):
            connection.close()
    return outcome
