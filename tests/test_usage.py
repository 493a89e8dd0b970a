"""Usage records and rate limits on the register API."""

import datetime
import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.utils import timezone
from helpers import bearer, url

from api_clients import tokens
from api_clients.auth import _check_rate
from api_clients.conf import parse_rate
from api_clients.models import ApiClient, ApiClientUsage
from api_clients.services import delete_api_client, revoke_api_client
from api_clients.usage import summarise_usage

pytestmark = pytest.mark.django_db

INFO = "/api/v1/info"


@pytest.fixture
def limits(settings):
    """Set rate limits for one test; the cache is cleared around every test."""

    def set_limits(**values):
        settings.API_CLIENTS = {**django_settings.API_CLIENTS, **values}

    return set_limits


class TestUsageRecords:
    def test_an_accepted_request_is_recorded_with_what_was_asked_and_how_long_it_took(
        self, client, api_user, make_client
    ):
        api_client, token = make_client(api_user)
        moment = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
        clock = mock.Mock()
        clock.perf_counter.side_effect = [100.0, 100.25]

        with (
            mock.patch("django.utils.timezone.now", return_value=moment),
            mock.patch("api_clients.middleware.time", clock),
        ):
            response = client.get("/api/v1/providers?page=1&page_size=5", headers=bearer(token))

        assert response.status_code == 200
        usage = ApiClientUsage.objects.get()
        assert usage.client == api_client
        assert usage.requested_at == moment
        assert usage.method == "GET"
        assert usage.path == "/api/v1/providers"
        assert usage.query_string == "page=1&page_size=5"
        assert usage.full_path == "/api/v1/providers?page=1&page_size=5"
        assert usage.status_code == 200
        assert usage.duration_ms == 250
        assert usage.refusal_reason == ""

    def test_every_accepted_request_is_recorded_whatever_its_answer(
        self, client, api_user, make_client
    ):
        _, token = make_client(api_user)

        client.get(INFO, headers=bearer(token))
        client.get("/api/v1/providers/123456", headers=bearer(token))
        client.get("/api/v1/providers?page=0", headers=bearer(token))

        assert sorted(ApiClientUsage.objects.values_list("status_code", flat=True)) == [
            200,
            404,
            422,
        ]

    @pytest.mark.parametrize(
        ("kill", "reason"),
        [
            (
                lambda c: ApiClient.objects.filter(pk=c.pk).update(
                    expiry_date=datetime.date(2020, 1, 1)
                ),
                "expired",
            ),
            (lambda c: revoke_api_client(c, user=c.owner), "revoked"),
            (lambda c: delete_api_client(c, user=c.owner), "deleted"),
            (
                lambda c: type(c.owner).objects.filter(pk=c.owner_id).update(is_active=False),
                "owner_inactive",
            ),
        ],
        ids=["expired", "revoked", "deleted", "owner_inactive"],
    )
    def test_a_refused_request_with_a_known_token_is_recorded_with_the_reason(
        self, client, api_user, make_client, kill, reason
    ):
        api_client, token = make_client(api_user)
        kill(api_client)

        response = client.get("/api/v1/providers?page=2", headers=bearer(token))

        assert response.status_code == 401
        usage = ApiClientUsage.objects.get()
        assert usage.client_id == api_client.pk
        assert usage.status_code == 401
        assert usage.refusal_reason == reason
        assert usage.path == "/api/v1/providers"
        assert usage.query_string == "page=2"

    def test_a_deleted_owners_client_is_recorded_as_deleted(self, client, api_user, make_client):
        api_client, token = make_client(api_user)
        api_user.delete()

        client.get(INFO, headers=bearer(token))

        assert ApiClientUsage.objects.get().refusal_reason == "deleted"

    @pytest.mark.parametrize(
        "header",
        ["", "Basic abc", "Bearer nonsense", "Bearer rtp_" + "a" * 38],
    )
    def test_unknown_tokens_are_not_recorded(self, client, api_user, make_client, header):
        make_client(api_user)

        client.get(INFO, headers={"Authorization": header})
        client.get(INFO, headers=bearer(tokens.generate_token()))

        assert not ApiClientUsage.objects.exists()

    def test_the_docs_and_the_openapi_document_are_not_usage(self, client, api_user, make_client):
        _, token = make_client(api_user)

        client.get("/api/v1/openapi.json", headers=bearer(token))
        client.get("/api/v1/docs", headers=bearer(token))

        assert not ApiClientUsage.objects.exists()

    def test_a_nul_in_the_path_or_query_is_recorded_readably(self, client, api_user, make_client):
        # A NUL arrives percent-decoded in the path; PostgreSQL text cannot hold it.
        _, token = make_client(api_user)

        response = client.get("/api/v1/providers/%00", QUERY_STRING="a=\x00", headers=bearer(token))

        assert response.status_code == 422
        usage = ApiClientUsage.objects.get()
        assert usage.path == "/api/v1/providers/%00"
        assert usage.query_string == "a=%00"

    def test_a_very_long_path_and_query_are_cut_to_fit(self, client, api_user, make_client):
        _, token = make_client(api_user)

        response = client.get(
            "/api/v1/" + "p" * 5000, QUERY_STRING="q=" + "x" * 5000, headers=bearer(token)
        )

        assert response.status_code == 404
        usage = ApiClientUsage.objects.get()
        assert len(usage.path) == 2000
        assert len(usage.query_string) == 2000

    def test_last_used_is_the_latest_request_refused_ones_too(self, client, api_user, make_client):
        api_client, token = make_client(api_user)
        assert summarise_usage(api_client).last_used_at is None
        later = timezone.now() + datetime.timedelta(hours=1)

        client.get(INFO, headers=bearer(token))
        revoke_api_client(api_client, user=api_user)
        with mock.patch("django.utils.timezone.now", return_value=later):
            client.get(INFO, headers=bearer(token))

        assert summarise_usage(api_client).last_used_at == later


class TestClientRateLimit:
    def test_a_client_over_its_limit_gets_429_with_retry_after_and_is_recorded(
        self, client, api_user, make_client, limits
    ):
        limits(CLIENT_RATE_LIMIT="3/min")
        api_client, token = make_client(api_user)

        statuses = [client.get(INFO, headers=bearer(token)).status_code for _ in range(3)]
        response = client.get(INFO, headers=bearer(token))

        assert statuses == [200, 200, 200]
        assert response.status_code == 429
        assert response.json() == {"detail": "Too many requests. Try again later."}
        retry_after = response["Retry-After"]
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
        refused = ApiClientUsage.objects.get(status_code=429)
        assert refused.client == api_client
        assert refused.refusal_reason == "rate_limited"
        assert ApiClientUsage.objects.filter(status_code=200, refusal_reason="").count() == 3

    def test_each_client_has_its_own_limit(self, client, api_user, make_client, limits):
        limits(CLIENT_RATE_LIMIT="1/min")
        _, first = make_client(api_user, name="First")
        _, second = make_client(api_user, name="Second")

        assert client.get(INFO, headers=bearer(first)).status_code == 200
        assert client.get(INFO, headers=bearer(first)).status_code == 429
        assert client.get(INFO, headers=bearer(second)).status_code == 200

    def test_requests_with_a_valid_token_do_not_use_the_address_limit(
        self, client, api_user, make_client, limits
    ):
        limits(CLIENT_RATE_LIMIT="100/min", ADDRESS_RATE_LIMIT="1/min")
        _, token = make_client(api_user)

        statuses = {client.get(INFO, headers=bearer(token)).status_code for _ in range(5)}

        assert statuses == {200}
        assert client.get(INFO).status_code == 401  # the address still has its one

    def test_the_limit_frees_up_once_the_period_has_passed(
        self, client, api_user, make_client, limits
    ):
        limits(CLIENT_RATE_LIMIT="1/min")
        _, token = make_client(api_user)
        # Minutes are counted from the epoch: this one runs from 999_960 to 1_000_020.
        with mock.patch("api_clients.auth._clock", return_value=1_000_000.5):
            assert client.get(INFO, headers=bearer(token)).status_code == 200
            response = client.get(INFO, headers=bearer(token))
        assert response.status_code == 429
        assert response["Retry-After"] == "20"
        with mock.patch("api_clients.auth._clock", return_value=1_000_020.0):
            assert client.get(INFO, headers=bearer(token)).status_code == 200

    def test_another_server_on_the_same_cache_sees_the_same_count(
        self, client, api_user, make_client, limits
    ):
        # Another server: its own connection to the configured cache (on Redis
        # a separate client; in local memory, the process's one store).
        limits(CLIENT_RATE_LIMIT="2/min")
        _, token = make_client(api_user)
        client.get(INFO, headers=bearer(token))
        client.get(INFO, headers=bearer(token))

        with mock.patch("api_clients.auth.cache", caches.create_connection("default")):
            refused = client.get(INFO, headers=bearer(token))

        assert refused.status_code == 429


class TestCounting:
    @pytest.mark.parametrize(
        ("rate", "parsed"),
        [
            ("600/min", (600, 60)),
            ("5/s", (5, 1)),
            ("5/sec", (5, 1)),
            ("10/5min", (10, 300)),
            ("100/h", (100, 3600)),
            ("2/hour", (2, 3600)),
            ("1000/day", (1000, 86400)),
            ("7/2d", (7, 172800)),
        ],
    )
    def test_rates_read_as_requests_per_seconds(self, rate, parsed):
        assert parse_rate(rate) == parsed

    def test_requests_counted_at_the_same_time_are_never_lost(self):
        # Servers sharing the cache count at once; every request must count.
        allowed, callers = 5, 12
        barrier = threading.Barrier(callers)
        results = []

        def call():
            barrier.wait()
            if _check_rate(f"{allowed}/min", "test", "same-caller") is None:
                results.append("allowed")
            else:
                results.append("throttled")

        threads = [threading.Thread(target=call) for _ in range(callers)]
        with mock.patch("api_clients.auth._clock", return_value=2_000_010.0):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert results.count("allowed") == allowed
        assert results.count("throttled") == callers - allowed


class TestAddressRateLimit:
    def test_requests_without_a_valid_token_are_limited_per_address(self, client, limits):
        limits(ADDRESS_RATE_LIMIT="2/min")

        statuses = [
            client.get(INFO, REMOTE_ADDR="203.0.113.7").status_code,
            client.get(INFO, headers=bearer("nonsense"), REMOTE_ADDR="203.0.113.7").status_code,
        ]
        response = client.get(INFO, REMOTE_ADDR="203.0.113.7")

        assert statuses == [401, 401]
        assert response.status_code == 429
        assert response.json() == {"detail": "Too many requests. Try again later."}
        assert response["Retry-After"].isdigit() and int(response["Retry-After"]) >= 1
        # Another address is not held back.
        assert client.get(INFO, REMOTE_ADDR="198.51.100.1").status_code == 401

    def test_a_dead_token_counts_against_the_address_and_is_still_recorded(
        self, client, api_user, make_client, limits
    ):
        limits(ADDRESS_RATE_LIMIT="1/min")
        api_client, token = make_client(api_user)
        revoke_api_client(api_client, user=api_user)

        assert client.get(INFO, headers=bearer(token)).status_code == 401
        assert client.get(INFO, headers=bearer(token)).status_code == 429

        assert list(
            ApiClientUsage.objects.order_by("id").values_list("status_code", "refusal_reason")
        ) == [(401, "revoked"), (429, "revoked")]

    def test_a_valid_token_still_works_from_a_limited_address(
        self, client, api_user, make_client, limits
    ):
        limits(ADDRESS_RATE_LIMIT="1/min")
        _, token = make_client(api_user)
        client.get(INFO)
        assert client.get(INFO).status_code == 429

        assert client.get(INFO, headers=bearer(token)).status_code == 200


class TestUsageIndexes:
    def test_the_client_column_has_no_index_but_the_client_and_time_one(self):
        # The (client, -requested_at) index serves every lookup by client; a
        # second index on the client alone would cost each INSERT for nothing.
        from django.db import connection

        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, ApiClientUsage._meta.db_table
            )
        indexes = [c["columns"] for c in constraints.values() if c["index"]]
        assert ["client_id"] not in indexes
        assert ["client_id", "requested_at"] in indexes


def test_a_token_a_caller_puts_in_the_url_is_not_recorded(client, api_user, make_client):
    api_client, token = make_client(api_user)
    _, other = make_client(api_user, name="Another")
    # Not a token: as long, but its checksum does not hold.
    lookalike = tokens.token_prefix() + "A" * tokens.BODY_LENGTH

    client.get(
        f"/api/v1/providers?note={token}&other={other}&keep={lookalike}", headers=bearer(token)
    )
    client.get(f"/api/v1/{other}", headers=bearer(token))

    rows = ApiClientUsage.objects.filter(client=api_client).order_by("pk")
    assert [row.query_string for row in rows] == [
        f"note=[token removed]&other=[token removed]&keep={lookalike}",
        "",
    ]
    assert rows[1].path == "/api/v1/[token removed]"
    assert all(token not in row.path + row.query_string for row in rows)
    # Nor is it on the requests page, which shows what was recorded.
    client.force_login(api_user)
    response = client.get(url("requests", api_client))
    assert response.status_code == 200
    page = response.content.decode()
    assert "note=[token removed]" in page
    assert token not in page and other not in page
