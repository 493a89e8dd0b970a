"""The admin pages run a fixed number of queries, however many clients or requests there are."""

import datetime
import secrets

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from helpers import INDEX_URL, soup, url

from api_clients.dates import today
from api_clients.models import (
    ApiClient,
    ApiClientUsage,
    ApiClientUserObjectPermission,
    RefusalReason,
)
from api_clients.policies import OWNER_PERMISSIONS

pytestmark = pytest.mark.django_db


def bulk_clients(owners, count, *, start=0):
    """``count`` live clients spread over ``owners``, each with its owner's object permissions."""
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="api_clients", codename__in=OWNER_PERMISSIONS
        )
    )
    now = timezone.now()
    clients = ApiClient.objects.bulk_create(
        ApiClient(
            name=f"Bulk client {start + number}",
            expiry_date=today() + datetime.timedelta(days=1 + number % 300),
            owner=owners[number % len(owners)],
            token_digest=secrets.token_hex(32),
            token_hint="rtp_bulk",
            revoked_at=now if number % 7 == 0 else None,
        )
        for number in range(count)
    )
    if not all(client.pk for client in clients):
        clients = list(ApiClient.objects.order_by("-pk")[:count])
    ApiClientUserObjectPermission.objects.bulk_create(
        ApiClientUserObjectPermission(
            user=client.owner, permission=permission, content_object=client
        )
        for client in clients
        for permission in permissions
    )
    return clients


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def rows(response):
    return soup(response).select("#listing-results table.listing tbody tr")


@pytest.fixture
def owners(make_user, api_user):
    return [api_user] + [make_user(f"owner-{number}", group="API users") for number in range(9)]


class TestList:
    @pytest.mark.parametrize("who", ["manager", "api_user", "superuser"])
    def test_the_same_queries_for_15_and_for_1000_clients(
        self, client, request, owners, manager, superuser, who
    ):
        user = request.getfixturevalue(who)
        client.force_login(user)
        # An API user owns a tenth of them: 15 of the first 150, 100 of the 1,000.
        bulk_clients(owners, 150)
        client.get(INDEX_URL)  # Warm up: content types, the session.

        small, small_queries = count_queries(client, INDEX_URL)
        bulk_clients(owners, 850, start=150)
        large, large_queries = count_queries(client, INDEX_URL)

        assert len(rows(small)) == len(rows(large)) == 15
        assert len(large_queries) == len(small_queries), "\n".join(large_queries)

    @pytest.mark.parametrize("who", ["manager", "api_user"])
    def test_a_later_page_and_a_filter_cost_no_more(self, client, request, owners, who):
        user = request.getfixturevalue(who)
        client.force_login(user)
        bulk_clients(owners, 1000)
        client.get(INDEX_URL)

        _, first = count_queries(client, INDEX_URL)
        _, later = count_queries(client, INDEX_URL + "?p=3")
        _, filtered = count_queries(client, INDEX_URL + "?status=revoked&q=client")

        assert len(later) == len(first)
        assert len(filtered) == len(first)

    def test_the_query_budget_for_a_manager(
        self, client, owners, manager, django_assert_max_num_queries
    ):
        client.force_login(manager)
        bulk_clients(owners, 1000)
        client.get(INDEX_URL)

        # Session, user, permissions, the count, one page of clients with their
        # owners: nothing per row.
        with django_assert_max_num_queries(12):
            response = client.get(INDEX_URL)

        assert len(rows(response)) == 15


def total_label(response):
    return soup(response).select_one(".pagination__end").get_text(strip=True)


class TestCappedTotal:
    """Past a limit the list's total is estimated, not counted: the same queries for any size."""

    @pytest.fixture
    def limit_20(self, monkeypatch):
        from api_clients.views.pagination import CappedCountPaginator

        monkeypatch.setattr(CappedCountPaginator, "exact_limit", 20)

    def test_below_the_limit_the_total_is_exact(self, client, owners, manager, limit_20):
        client.force_login(manager)
        bulk_clients(owners, 20)
        assert total_label(client.get(INDEX_URL)) == "20 API clients"

    @pytest.mark.parametrize("who", ["manager", "api_user"])
    def test_past_the_limit_the_total_is_estimated_in_constant_queries(
        self, client, request, owners, limit_20, who
    ):
        client.force_login(request.getfixturevalue(who))
        bulk_clients(owners, 250)  # an API user owns 25 of them
        client.get(INDEX_URL)

        small, small_queries = count_queries(client, INDEX_URL)
        bulk_clients(owners, 1000, start=250)
        large, large_queries = count_queries(client, INDEX_URL)

        assert len(large_queries) == len(small_queries), "\n".join(large_queries)
        label = total_label(large)
        if connection.vendor == "postgresql":
            assert label.startswith("About ") and label.endswith(" API clients")
        else:
            assert label == "More than 20 API clients"
        # Every count query reads at most the limit and one more row.
        counts = [sql for sql in large_queries if "COUNT(" in sql.upper()]
        assert len(counts) == 1 and "LIMIT 21" in counts[0]
        # Later pages are still there.
        assert len(rows(client.get(INDEX_URL + "?p=2"))) == 15

    def test_a_search_past_the_limit_still_finds_its_matches(
        self, client, owners, manager, limit_20
    ):
        client.force_login(manager)
        bulk_clients(owners, 100)
        response = client.get(INDEX_URL + "?q=Bulk+client+7")
        # 7, 70-79: exact, below the limit.
        assert total_label(response) == "11 API clients"

    def test_the_requests_page_caps_its_total(self, client, api_user, make_client, limit_20):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)
        bulk_usage(api_client, 60)
        response = client.get(url("requests", api_client))
        assert len(rows(response)) == 50
        label = total_label(response)
        assert label.startswith("About ") or label == "More than 20 API client usage records"


def bulk_usage(api_client, count):
    now = timezone.now()
    ApiClientUsage.objects.bulk_create(
        ApiClientUsage(
            client=api_client,
            requested_at=now - datetime.timedelta(hours=number),
            method="GET",
            path="/api/v1/providers",
            query_string=f"page={number}",
            status_code=401 if number % 5 == 0 else 200,
            duration_ms=number % 40,
            refusal_reason=RefusalReason.REVOKED if number % 5 == 0 else "",
        )
        for number in range(count)
    )


class TestDetails:
    @pytest.mark.parametrize("who", ["manager", "api_user"])
    def test_the_same_queries_for_0_and_for_500_usage_records(
        self, client, request, api_user, make_client, who
    ):
        user = request.getfixturevalue(who)
        api_client, _ = make_client(api_user)
        client.force_login(user)
        client.get(url("inspect", api_client))

        empty, empty_queries = count_queries(client, url("inspect", api_client))
        bulk_usage(api_client, 500)
        busy, busy_queries = count_queries(client, url("inspect", api_client))

        assert "This API client has not made any requests." in empty.content.decode()
        # The most recent requests, not all of them.
        assert len(soup(busy).select("#usage-section h3 + table tbody tr")) == 20
        assert len(busy_queries) == len(empty_queries), "\n".join(busy_queries)

    def test_the_requests_page_costs_the_same_for_500_records(self, client, api_user, make_client):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)
        bulk_usage(api_client, 10)
        client.get(url("requests", api_client))

        _, few = count_queries(client, url("requests", api_client))
        bulk_usage(api_client, 490)
        response, many = count_queries(client, url("requests", api_client))

        assert len(rows(response)) == 50
        assert len(many) == len(few)

    def test_the_history_page_costs_the_same_for_many_entries(self, client, api_user, make_client):
        from api_clients.services import rename_api_client

        api_client, _ = make_client(api_user, name="Name 0")
        client.force_login(api_user)
        client.get(url("history", api_client))

        _, few = count_queries(client, url("history", api_client))
        for number in range(1, 40):
            rename_api_client(api_client, name=f"Name {number}", user=api_user)
        _, many = count_queries(client, url("history", api_client))

        assert len(many) == len(few)
