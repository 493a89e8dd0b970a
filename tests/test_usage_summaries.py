"""The details page's chart reads daily counts for finished days and counts only today live."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from helpers import soup, url

from api_clients.dates import format_date, today
from api_clients.management.commands.api_clients import Command
from api_clients.models import ApiClientDailyUsage, ApiClientUsage, RefusalReason

pytestmark = pytest.mark.django_db

FIVE_MINUTES = datetime.timedelta(minutes=5)


def at(days_ago, hour=12):
    """Noon (or another hour) of a day some days ago, in the site's time zone."""
    day = today() - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_default_timezone()
    )


def add_usage(api_client, moment, count, reason=""):
    ApiClientUsage.objects.bulk_create(
        ApiClientUsage(
            client=api_client,
            requested_at=moment,
            method="GET",
            path="/api/v1/providers",
            status_code=401 if reason else 200,
            duration_ms=2,
            refusal_reason=reason,
        )
        for _ in range(count)
    )


def chart_days(response):
    """{day label: (requests, refused)} from the chart's table of requests per day."""
    rows = soup(response).select(".api-clients-chart details table tbody tr")
    return {
        cells[0]: (int(cells[1]), int(cells[2]))
        for cells in ([td.get_text(strip=True) for td in row.select("td")] for row in rows)
    }


def label(days_ago):
    return format_date(today() - datetime.timedelta(days=days_ago))


def read(client, api_client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("inspect", api_client))
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def run(*args):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(Command(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def busy(api_user, make_client):
    api_client, _ = make_client(api_user)
    add_usage(api_client, at(3), 4)
    add_usage(api_client, at(3, hour=13), 2, RefusalReason.REVOKED)
    add_usage(api_client, at(29), 1, RefusalReason.RATE_LIMITED)
    add_usage(api_client, at(30), 7)  # before the 30 days: not shown
    add_usage(api_client, timezone.now(), 5)
    return api_client


class TestDailyCounts:
    def test_finished_days_are_rolled_up_once_and_read_from_their_counts(
        self, client, api_user, busy
    ):
        client.force_login(api_user)
        first, first_queries = read(client, busy)
        days = chart_days(first)
        assert days[label(3)] == (6, 2)
        assert days[label(29)] == (1, 1)
        assert days[label(0)] == (5, 0)
        assert label(30) not in days

        second, second_queries = read(client, busy)
        # The first read counted the finished days' rows and saved them: two more queries.
        assert len(first_queries) == len(second_queries) + 2
        assert chart_days(second) == days

        # The finished days' rows are not read again: without them the chart is the same.
        ApiClientUsage.objects.filter(requested_at__lt=at(0, hour=0)).delete()
        assert chart_days(read(client, busy)[0]) == days
        # Today is counted live.
        add_usage(busy, timezone.now(), 3, RefusalReason.RATE_LIMITED)
        assert chart_days(read(client, busy)[0])[label(0)] == (8, 3)

    def test_the_page_costs_the_same_queries_for_any_volume(self, client, api_user, make_client):
        quiet, _ = make_client(api_user, name="Quiet")
        loud, _ = make_client(api_user, name="Loud")
        for days_ago in range(30):
            add_usage(loud, at(days_ago, hour=1), 40)
            add_usage(loud, at(days_ago, hour=2), 5, RefusalReason.RATE_LIMITED)
        client.force_login(api_user)
        read(client, quiet), read(client, loud)  # the first reads roll up

        quiet_page, quiet_queries = read(client, quiet)
        loud_page, loud_queries = read(client, loud)

        assert len(loud_queries) == len(quiet_queries), "\n".join(loud_queries)
        assert sum(day[0] for day in chart_days(loud_page).values()) == 30 * 45
        # At most a row a day and reason.
        assert ApiClientDailyUsage.objects.filter(client=loud, reason="").count() <= 30
        daily = [sql for sql in loud_queries if ApiClientDailyUsage._meta.db_table in sql]
        assert len(daily) == 1

    def test_the_summarise_command_rolls_up_so_pages_need_not(self, client, api_user, busy):
        output = run("summarise")
        assert output == "Counted 2 client days of usage.\n"
        assert run("summarise") == "Counted 0 client days of usage.\n"

        client.force_login(api_user)
        response, queries = read(client, busy)
        # Only the client's other (empty) days are left to roll up, with no rows to count.
        assert chart_days(response)[label(3)] == (6, 2)
        _, again = read(client, busy)
        assert len(queries) == len(again) + 2

    def test_prune_just_after_midnight_keeps_yesterdays_rows_for_the_chart(
        self, client, api_user, make_client
    ):
        from unittest import mock

        api_client, _ = make_client(api_user)
        add_usage(api_client, at(1, hour=0) + datetime.timedelta(minutes=1), 5)
        add_usage(api_client, at(1, hour=20), 1)
        # Yesterday is still counted live at 00:05: not rolled up yet, so not pruned.
        with mock.patch("django.utils.timezone.now", return_value=at(0, hour=0) + FIVE_MINUTES):
            run("prune", "--days", "1")
        assert ApiClientUsage.objects.filter(client=api_client).count() == 6

        client.force_login(api_user)
        assert chart_days(read(client, api_client)[0])[label(1)] == (6, 0)

    def test_a_page_counting_while_prune_deletes_keeps_prunes_count(
        self, client, api_user, busy, monkeypatch
    ):
        from api_clients import usage

        client.force_login(api_user)
        real_raw_counts = usage._raw_counts
        pruned = []

        def prune_in_between(*args, **kwargs):
            # The page has seen the day not rolled up; prune rolls it up and deletes its rows.
            if not pruned:
                pruned.append("prune")  # prune counts too: only once, the page's first count
                run("prune", "--days", "1")
            return real_raw_counts(*args, **kwargs)

        monkeypatch.setattr(usage, "_raw_counts", prune_in_between)
        read(client, busy)
        monkeypatch.undo()

        assert pruned
        assert chart_days(read(client, busy)[0])[label(3)] == (6, 2)

    def test_prune_keeps_the_chart_of_the_days_it_deletes(self, client, api_user, busy):
        # All but today's and the newest (kept for "Last used").
        assert run("prune", "--days", "1") == "Deleted 14 usage records older than 1 day.\n"
        client.force_login(api_user)
        days = chart_days(read(client, busy)[0])
        assert days[label(3)] == (6, 2)
        assert days[label(29)] == (1, 1)
        # Counts past both the retention period and the chart go.
        ApiClientDailyUsage.objects.create(client=busy, date=at(40).date(), recorded=3)
        run("prune", "--days", "1")
        assert not ApiClientDailyUsage.objects.filter(date=at(40).date()).exists()

    def test_a_request_begun_before_midnight_and_recorded_after_is_counted(
        self, client, api_user, make_client, monkeypatch
    ):
        api_client, _ = make_client(api_user)
        midnight = at(0, hour=0)
        monkeypatch.setattr(timezone, "now", lambda: midnight + datetime.timedelta(minutes=2))
        client.force_login(api_user)
        read(client, api_client)  # yesterday is still counted live: not rolled up yet
        add_usage(api_client, midnight - datetime.timedelta(seconds=1), 1)
        assert chart_days(read(client, api_client)[0])[label(1)] == (1, 0)
        assert not ApiClientDailyUsage.objects.filter(
            client=api_client, date=today() - datetime.timedelta(days=1)
        ).exists()


class TestRefusalFloods:
    """Past a rate limit, refusals are counted per client, day and reason, not stored each."""

    @pytest.fixture
    def limits(self, settings):
        def set_limits(**values):
            settings.API_CLIENTS = {**settings.API_CLIENTS, **values}

        return set_limits

    def test_a_flood_past_the_client_limit_is_one_row_then_counted(
        self, client, api_user, make_client, limits, django_assert_num_queries
    ):
        from helpers import bearer

        limits(CLIENT_RATE_LIMIT="2/min")
        api_client, token = make_client(api_user)
        statuses = [client.get("/api/v1/info", headers=bearer(token)).status_code for _ in range(4)]
        # A counted refusal costs the token lookup and one upsert.
        with django_assert_num_queries(2) as captured:
            flooded = client.get("/api/v1/info", headers=bearer(token))
        assert flooded.status_code == 429 and "Retry-After" in flooded
        assert ApiClientDailyUsage._meta.db_table in captured.captured_queries[1]["sql"]
        for _ in range(45):
            client.get("/api/v1/info", headers=bearer(token))

        assert statuses == [200, 200, 429, 429]
        records = ApiClientUsage.objects.filter(client=api_client)
        assert sorted(records.values_list("status_code", flat=True)) == [200, 200, 429]
        counted = ApiClientDailyUsage.objects.get(client=api_client)
        assert (counted.date, counted.reason) == (today(), RefusalReason.RATE_LIMITED)
        assert (counted.recorded, counted.unrecorded) == (0, 47)

        # The details page still shows all of them.
        client.force_login(api_user)
        response = client.get(url("inspect", api_client))
        assert chart_days(response)[label(0)] == (50, 48)
        assert "50 requests in the last 30 days. 48 were refused." in " ".join(
            soup(response).select_one("#usage-chart-caption").get_text().split()
        )

    def test_a_new_window_records_its_first_refusal_again(
        self, client, api_user, make_client, limits
    ):
        from unittest import mock

        from helpers import bearer

        limits(CLIENT_RATE_LIMIT="1/min")
        api_client, token = make_client(api_user)
        for moment in (1_000_000.0, 1_000_070.0):
            with mock.patch("api_clients.auth._clock", return_value=moment):
                for _ in range(3):
                    client.get("/api/v1/info", headers=bearer(token))
        records = ApiClientUsage.objects.filter(client=api_client)
        assert sorted(records.values_list("status_code", flat=True)) == [200, 200, 429, 429]
        assert ApiClientDailyUsage.objects.get(client=api_client).unrecorded == 2

    def test_a_dead_token_flood_is_counted_under_its_own_reason(
        self, client, api_user, make_client, limits
    ):
        from helpers import bearer

        from api_clients.services import revoke_api_client

        limits(ADDRESS_RATE_LIMIT="2/min")
        api_client, token = make_client(api_user)
        revoke_api_client(api_client, user=api_user)
        statuses = [
            client.get("/api/v1/info", headers=bearer(token)).status_code for _ in range(10)
        ]

        assert statuses == [401, 401] + [429] * 8
        assert ApiClientUsage.objects.filter(client=api_client).count() == 3
        counted = ApiClientDailyUsage.objects.get(client=api_client)
        assert (counted.reason, counted.unrecorded) == (RefusalReason.REVOKED, 7)
        client.force_login(api_user)
        assert chart_days(client.get(url("inspect", api_client)))[label(0)] == (10, 10)

    def test_counted_refusals_survive_the_day_being_rolled_up(self, client, api_user, make_client):
        api_client, _ = make_client(api_user)
        # Two days ago: finished at any hour (yesterday is still live just after midnight).
        day = today() - datetime.timedelta(days=2)
        for _ in range(3):
            ApiClientDailyUsage.objects.count_unrecorded(
                client=api_client, date=day, reason=RefusalReason.RATE_LIMITED
            )
        add_usage(api_client, at(2), 2, RefusalReason.RATE_LIMITED)
        assert run("summarise") == "Counted 1 client days of usage.\n"

        counted = ApiClientDailyUsage.objects.get(
            client=api_client, date=day, reason=RefusalReason.RATE_LIMITED
        )
        assert (counted.recorded, counted.unrecorded) == (2, 3)
        client.force_login(api_user)
        assert chart_days(client.get(url("inspect", api_client)))[label(2)] == (5, 5)
