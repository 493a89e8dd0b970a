"""Expiry reminders: ``manage.py api_clients send_reminders`` and the emails it sends."""

import datetime
import io
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from api_clients.dates import format_date, today
from api_clients.models import ApiClient
from api_clients.services import delete_api_client, renew_api_client, revoke_api_client

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def on(date):
    """Freeze the clock at noon, site time, on ``date``."""
    moment = datetime.datetime.combine(
        date, datetime.time(12), tzinfo=timezone.get_default_timezone()
    )
    return mock.patch("django.utils.timezone.now", return_value=moment)


def send_reminders(date=None):
    """Run the command (on ``date``); return its output."""
    out = io.StringIO()
    with on(date or today()):
        call_command("api_clients", "send_reminders", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def expiring(make_client, owner, days, name="Student records system"):
    """A client of ``owner`` whose expiry date is ``days`` from today (negative: past)."""
    api_client, _ = make_client(owner, name=name)
    ApiClient.objects.filter(pk=api_client.pk).update(
        expiry_date=today() + datetime.timedelta(days=days)
    )
    api_client.refresh_from_db()
    return api_client


@pytest.fixture
def owner(make_user):
    return make_user("priya", group="API users", email="priya@example.com", first_name="Priya")


def renew_link(api_client):
    return f"{BASE}/admin/api-clients/renew/{api_client.pk}/"


class TestTheSchedule:
    @pytest.mark.parametrize(
        ("days", "subject"),
        [
            (30, "API client Student records system expires in 30 days"),
            (7, "API client Student records system expires in 7 days"),
            (1, "API client Student records system expires tomorrow"),
        ],
    )
    def test_each_threshold(self, make_client, owner, days, subject):
        api_client = expiring(make_client, owner, days)

        output = send_reminders()

        [email] = mail.outbox
        assert email.to == ["priya@example.com"]
        assert email.subject == subject
        assert email.body == (
            "Your API client Student records system expires on "
            f"{format_date(api_client.expiry_date)}. Its token stops working at the end "
            "of that day.\n\n"
            f"Generate a new token: {renew_link(api_client)}\n"
        )
        assert "Sent 1 reminder." in output

    def test_the_day_after_expiry(self, make_client, owner):
        api_client = expiring(make_client, owner, -1)

        send_reminders()

        [email] = mail.outbox
        assert email.subject == "API client Student records system has expired"
        assert email.body == (
            "Your API client Student records system expired on "
            f"{format_date(api_client.expiry_date)}. Its token no longer works.\n\n"
            f"Add a new API client: {BASE}/admin/api-clients/new/\n"
        )

    def test_dates_read_like_26_may_2027(self, make_client, owner):
        api_client = expiring(make_client, owner, 7)
        ApiClient.objects.filter(pk=api_client.pk).update(expiry_date=datetime.date(2027, 5, 26))

        send_reminders(datetime.date(2027, 5, 19))

        assert "expires on 26 May 2027." in mail.outbox[0].body

    @pytest.mark.parametrize("days", [31, 8, 2, 0])
    def test_between_thresholds_only_what_is_due(self, make_client, owner, days):
        api_client = expiring(make_client, owner, days)
        # The reminder of the threshold before has gone already.
        earlier = {31: None, 8: 30, 2: 7, 0: 1}[days]
        ApiClient.objects.filter(pk=api_client.pk).update(last_reminder_days=earlier)

        send_reminders()

        assert mail.outbox == []

    def test_the_thresholds_are_a_setting(self, make_client, owner, settings):
        settings.API_CLIENTS = {"EXPIRY_REMINDER_DAYS": [14]}
        expiring(make_client, owner, 30, name="Thirty")
        expiring(make_client, owner, 14, name="Fourteen")

        send_reminders()

        assert [email.subject for email in mail.outbox] == [
            "API client Fourteen expires in 14 days"
        ]

    def test_a_full_life_gets_four_emails(self, make_client, owner):
        api_client = expiring(make_client, owner, 40)
        expiry = api_client.expiry_date
        for day in range(45):
            send_reminders(expiry - datetime.timedelta(days=40) + datetime.timedelta(days=day))

        assert [email.subject for email in mail.outbox] == [
            "API client Student records system expires in 30 days",
            "API client Student records system expires in 7 days",
            "API client Student records system expires tomorrow",
            "API client Student records system has expired",
        ]


class TestAtMostOnce:
    def test_twice_in_a_day(self, make_client, owner):
        expiring(make_client, owner, 7)

        send_reminders()
        second = send_reminders()

        assert len(mail.outbox) == 1
        assert "Sent 0 reminders." in second

    def test_after_missed_days_only_the_most_urgent(self, make_client, owner):
        # The command did not run for the 30- and 7-day reminders: only one email.
        expiring(make_client, owner, 1)

        send_reminders()
        send_reminders()

        assert [email.subject for email in mail.outbox] == [
            "API client Student records system expires tomorrow"
        ]

    def test_a_missed_day_says_how_many_days_are_left(self, make_client, owner):
        api_client = expiring(make_client, owner, 5)
        ApiClient.objects.filter(pk=api_client.pk).update(last_reminder_days=30)

        send_reminders()

        assert [email.subject for email in mail.outbox] == [
            "API client Student records system expires in 5 days"
        ]

    def test_missed_the_last_day_before_expiry(self, make_client, owner):
        api_client = expiring(make_client, owner, -3)
        ApiClient.objects.filter(pk=api_client.pk).update(last_reminder_days=7)

        send_reminders()

        assert [email.subject for email in mail.outbox] == [
            "API client Student records system has expired"
        ]

    def test_long_expired_clients_get_nothing(self, make_client, owner):
        expiring(make_client, owner, -30)
        send_reminders()
        assert mail.outbox == []

    def test_a_renewal_starts_the_reminders_afresh(self, make_client, owner):
        api_client = expiring(make_client, owner, 7)
        send_reminders()
        renew_api_client(
            api_client,
            expiry_date=today() + datetime.timedelta(days=30),
            overlap="1h",
            user=owner,
        )

        send_reminders()
        send_reminders()

        assert [email.subject for email in mail.outbox] == [
            "API client Student records system expires in 7 days",
            "API client Student records system expires in 30 days",
        ]


class TestSkipped:
    def test_each_reason_is_counted_and_said(self, make_client, make_user, owner):
        revoked = expiring(make_client, owner, 7, name="Revoked")
        revoke_api_client(revoked, user=owner)
        deleted = expiring(make_client, owner, 7, name="Deleted")
        delete_api_client(deleted, user=owner)
        sleeping = make_user("sleeping", group="API users", email="sleeping@example.com")
        expiring(make_client, sleeping, 7, name="Sleeping")
        sleeping.is_active = False
        sleeping.save()
        silent = make_user("silent", group="API users", email="")
        expiring(make_client, silent, 1, name="Silent")
        blank = make_user("blank", group="API users", email="   ")
        expiring(make_client, blank, -1, name="Blank")
        expiring(make_client, owner, 30, name="Sent")

        output = send_reminders()

        assert [email.subject for email in mail.outbox] == ["API client Sent expires in 30 days"]
        assert "Sent 1 reminder." in output
        assert (
            "Skipped 5 clients: 1 deleted, 1 owner deactivated or deleted, "
            "2 owner has no email address, 1 revoked."
        ) in output

    def test_a_client_not_due_is_not_counted(self, make_client, owner):
        revoked = expiring(make_client, owner, 100, name="Far off")
        revoke_api_client(revoked, user=owner)

        output = send_reminders()

        assert "Skipped no clients." in output

    def test_a_failing_backend_is_logged_and_tried_again(self, make_client, owner, caplog):
        expiring(make_client, owner, 7)
        with mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=ConnectionRefusedError("mail server down"),
        ):
            output = send_reminders()
        assert "Skipped 1 client: 1 the mail backend failed." in output
        assert "Could not send a reminder" in caplog.text

        send_reminders()
        assert len(mail.outbox) == 1

    def test_a_mail_server_that_cannot_be_reached_loses_no_reminder(
        self, make_client, make_user, owner, caplog
    ):
        expiring(make_client, owner, 7)
        other = make_user("sam", group="API users", email="sam@example.com")
        expiring(make_client, other, 30, name="Other system")
        with mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.open",
            side_effect=ConnectionRefusedError("mail server down"),
        ):
            output = send_reminders()
        assert "Skipped 2 clients: 2 the mail backend failed." in output
        assert "the mail server did not answer" in caplog.text
        assert list(ApiClient.objects.values_list("last_reminder_days", flat=True)) == [None, None]

        send_reminders()
        assert sorted(email.to[0] for email in mail.outbox) == [
            "priya@example.com",
            "sam@example.com",
        ]


class TestOddOwners:
    @pytest.mark.parametrize(
        "address",
        [
            "zoë.o'brien+api@example.co.uk",
            "  padded@example.com  ",
            "UPPER.case@EXAMPLE.COM",
        ],
    )
    def test_odd_addresses(self, make_client, make_user, address):
        person = make_user(
            "odd", group="API users", email=address, first_name="Zoë", last_name="O'Brien"
        )
        expiring(make_client, person, 7)

        send_reminders()

        [email] = mail.outbox
        assert email.to == [person.email.strip()]
        assert email.message()["To"]  # the message can be built, header encoding and all

    @pytest.mark.parametrize(
        ("name", "subject"),
        [
            ("Línea\nde pruebas", "API client Línea de pruebas expires in 7 days"),
            ('"Quoted" <script>', 'API client "Quoted" <script> expires in 7 days'),
            ("名前のテスト", "API client 名前のテスト expires in 7 days"),
        ],
    )
    def test_odd_client_names(self, make_client, owner, name, subject):
        api_client = expiring(make_client, owner, 7)
        # Written as it is: names are cleaned when given now, not in rows from before.
        ApiClient.objects.filter(pk=api_client.pk).update(name=name)

        send_reminders()

        [email] = mail.outbox
        assert email.subject == subject
        assert email.message()["Subject"]


class TestCost:
    def clients_due(self, make_client, make_user, count):
        """``count`` clients of as many owners, half due the 30-day reminder, half the 7-day."""
        for number in range(count):
            person = make_user(
                f"person-{count}-{number}", group="API users", email=f"p{number}@example.com"
            )
            expiring(make_client, person, 30 if number % 2 else 7, name=f"Client {number}")

    @pytest.mark.parametrize("count", [4, 60])
    def test_the_queries_do_not_grow_with_the_clients(
        self, make_client, make_user, django_assert_num_queries, count
    ):
        self.clients_due(make_client, make_user, count)

        # Savepoint and release, the one read, one UPDATE per kind of reminder.
        with django_assert_num_queries(5) as captured:
            send_reminders()

        assert len(mail.outbox) == count
        reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        assert len(reads) == 1

    def test_links_come_from_the_admin_base_url(self, make_client, owner, settings):
        settings.WAGTAILADMIN_BASE_URL = "https://register.example.gov.uk/"
        api_client = expiring(make_client, owner, 7)

        send_reminders()

        assert (
            f"Generate a new token: https://register.example.gov.uk/admin/api-clients/renew/"
            f"{api_client.pk}/" in mail.outbox[0].body
        )


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(shipped_groups, make_client, make_user):
    """Two schedulers firing together: each run takes the clients the other has not locked.
    SQLite takes one writer at a time, so there they queue, as on a SQLite site."""
    import contextlib
    import threading

    for number in range(6):
        person = make_user(f"racer-{number}", group="API users", email=f"r{number}@example.com")
        expiring(make_client, person, 7, name=f"Raced {number}")
    barrier = threading.Barrier(2)
    one_at_a_time = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    outputs = []

    def run():
        barrier.wait()
        try:
            with one_at_a_time:
                outputs.append(send_reminders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(email.to[0] for email in mail.outbox) == [
        f"r{number}@example.com" for number in range(6)
    ]
    assert len(outputs) == 2


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_mail_is_sent(shipped_groups, make_client, make_user):
    """A slow mail server must not hold up the API: its usage records go in meanwhile."""
    import threading

    from api_clients.models import ApiClientUsage

    person = make_user("slow", group="API users", email="slow@example.com")
    api_client = expiring(make_client, person, 7)
    seen = []

    def send_while_the_api_records(messages):
        def record():
            try:
                ApiClientUsage.objects.create(
                    client=api_client,
                    requested_at=timezone.now(),
                    method="GET",
                    path="/api/v1/info",
                    status_code=200,
                    duration_ms=3,
                )
                seen.append("recorded")
            except Exception as error:  # a lock the run holds, on either database
                seen.append(repr(error))
            finally:
                connection.close()

        seen.append(connection.in_atomic_block)
        writer = threading.Thread(target=record)
        writer.start()
        writer.join(timeout=30)
        return len(messages)

    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=send_while_the_api_records,
    ):
        send_reminders()

    assert seen == [False, "recorded"]
    assert ApiClientUsage.objects.filter(client=api_client).count() == 1
    assert ApiClient.objects.get(pk=api_client.pk).last_reminder_days == 7
