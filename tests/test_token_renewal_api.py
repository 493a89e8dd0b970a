"""A renewed client's two tokens on the API, and what every answer tells a consumer.

Until the previous token stops both work, each usage record says which one
was used, and the token check is still one query. Every answer to a working
token carries ``API-Client-Token-Expires``; ``GET /api/v1/client`` describes
the calling token.
"""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from api_clients.dates import today
from api_clients.models import ApiClient, ApiClientUsage
from api_clients.services import (
    delete_api_client,
    renew_api_client,
    revoke_api_client,
)

pytestmark = pytest.mark.django_db

CLIENT = "/api/v1/client"
INFO = "/api/v1/info"


def at(moment):
    """Freeze the clock (and so the site's today) at a moment."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def in_days(days):
    return today() + datetime.timedelta(days=days)


@pytest.fixture
def renewed(api_user, manager, make_client):
    """A client renewed with a day's overlap: (client, previous token, new token)."""
    api_client, old_token = make_client(api_user, expiry_date=in_days(10))
    api_client, new_token = renew_api_client(
        api_client, expiry_date=in_days(200), overlap="24h", user=manager
    )
    return api_client, old_token, new_token


class TestBothTokensWork:
    def test_until_the_previous_stops_both_work_and_records_say_which(self, client, renewed):
        api_client, old_token, new_token = renewed

        assert client.get(INFO, headers=bearer(old_token)).status_code == 200
        assert client.get(INFO, headers=bearer(new_token)).status_code == 200
        assert list(ApiClientUsage.objects.order_by("id").values_list("token", "status_code")) == [
            ("previous", 200),
            ("current", 200),
        ]

    def test_after_its_stop_time_the_previous_token_is_refused_and_recorded(self, client, renewed):
        api_client, old_token, new_token = renewed
        with at(api_client.previous_token_expires_at):
            refused = client.get(INFO, headers=bearer(old_token))
            accepted = client.get(INFO, headers=bearer(new_token))

        assert refused.status_code == 401
        assert refused["WWW-Authenticate"].startswith("Bearer")
        assert "API-Client-Token-Expires" not in refused
        assert accepted.status_code == 200
        assert list(
            ApiClientUsage.objects.order_by("id").values_list("token", "refusal_reason")
        ) == [("previous", "replaced"), ("current", "")]

    def test_straight_away_means_the_previous_token_no_longer_works(
        self, client, api_user, manager, make_client
    ):
        api_client, old_token = make_client(api_user)
        renew_api_client(api_client, expiry_date=in_days(90), overlap="0", user=manager)

        assert client.get(INFO, headers=bearer(old_token)).status_code == 401

    @pytest.mark.parametrize("stop", [revoke_api_client, delete_api_client])
    def test_revoking_or_deleting_stops_both_at_once(self, client, renewed, manager, stop):
        api_client, old_token, new_token = renewed
        stop(api_client, user=manager)

        assert client.get(INFO, headers=bearer(old_token)).status_code == 401
        assert client.get(INFO, headers=bearer(new_token)).status_code == 401

    def test_the_overlap_never_outlives_the_current_expiry_date(
        self, api_user, manager, make_client
    ):
        api_client, _ = make_client(api_user, expiry_date=today())
        api_client, _ = renew_api_client(
            api_client, expiry_date=in_days(100), overlap="7d", user=manager
        )
        end_of_today = datetime.datetime.combine(
            in_days(1), datetime.time.min, tzinfo=timezone.get_default_timezone()
        )
        assert api_client.previous_token_expires_at == end_of_today

    def test_a_second_renewal_forgets_the_oldest_token(self, client, renewed, manager):
        api_client, old_token, new_token = renewed
        api_client, newest = renew_api_client(
            api_client, expiry_date=in_days(300), overlap="1h", user=manager
        )

        assert client.get(INFO, headers=bearer(old_token)).status_code == 401
        assert client.get(INFO, headers=bearer(new_token)).status_code == 200
        assert client.get(INFO, headers=bearer(newest)).status_code == 200
        # The oldest is now unknown: nothing to record it against.
        assert ApiClientUsage.objects.count() == 2


class TestStillOneQuery:
    @pytest.mark.parametrize("which", ["previous", "current"])
    def test_each_token_is_one_select_and_one_insert(
        self, client, renewed, django_assert_num_queries, which
    ):
        api_client, old_token, new_token = renewed
        token = old_token if which == "previous" else new_token
        with django_assert_num_queries(2) as captured:
            assert client.get(INFO, headers=bearer(token)).status_code == 200
        select, insert = (query["sql"] for query in captured.captured_queries)
        assert "previous_token_digest" in select and "token_digest" in select
        assert insert.startswith("INSERT")

    def test_both_digest_columns_are_unique_and_so_indexed(self):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, ApiClient._meta.db_table)
        for column in ("token_digest", "previous_token_digest"):
            assert any(c["columns"] == [column] and c["unique"] for c in constraints.values())

    def test_the_hand_written_sql_and_the_orm_find_the_same(self, renewed):
        from api_clients import tokens
        from api_clients.models import _client_lookup_sql

        api_client, old_token, new_token = renewed
        for token, used in ((old_token, "previous"), (new_token, "current")):
            digests = tokens.candidate_digests(token)
            by_sql = ApiClient.objects.find_by_token_digests(digests)
            assert _client_lookup_sql(ApiClient.objects.db, len(digests)) is not None
            # The ORM's route, taken when the user model has no is_active column.
            with mock.patch("api_clients.models._client_lookup_sql", return_value=None):
                by_orm = ApiClient.objects.find_by_token_digests(digests)
            assert by_orm.token_used == used
            assert by_sql.pk == by_orm.pk == api_client.pk
            assert by_sql.token_used == used


class TestTheExpiryHeader:
    def test_the_current_token_stops_at_the_end_of_its_expiry_day_site_time(
        self, client, api_user, make_client
    ):
        # 26 May 2027 is in British Summer Time: the day ends at 00:00+01:00.
        with at(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)):
            _, token = make_client(api_user, expiry_date=datetime.date(2027, 5, 26))
            response = client.get(INFO, headers=bearer(token))
        assert response["API-Client-Token-Expires"] == "2027-05-27T00:00:00+01:00"

    def test_in_winter_the_offset_is_zero_and_written_out(self, client, api_user, make_client):
        with at(datetime.datetime(2027, 1, 1, 12, tzinfo=datetime.UTC)):
            _, token = make_client(api_user, expiry_date=datetime.date(2027, 1, 20))
            response = client.get(INFO, headers=bearer(token))
        assert response["API-Client-Token-Expires"] == "2027-01-21T00:00:00+00:00"

    def test_the_previous_token_says_its_own_stop_time(self, client, renewed):
        api_client, old_token, new_token = renewed
        stops = timezone.localtime(
            api_client.previous_token_expires_at, timezone.get_default_timezone()
        )
        old = client.get(INFO, headers=bearer(old_token))
        new = client.get(INFO, headers=bearer(new_token))
        assert old["API-Client-Token-Expires"] == stops.isoformat(timespec="seconds")
        assert datetime.datetime.fromisoformat(new["API-Client-Token-Expires"]) == (
            api_client.expires_at
        )

    def test_every_answer_to_a_working_token_has_it(self, client, renewed, settings):
        _, _, token = renewed
        for path in (INFO, CLIENT, "/api/v1/providers", "/api/v1/providers/999", "/api/v1/nope"):
            response = client.get(path, headers=bearer(token))
            assert response.status_code in (200, 404)
            assert "API-Client-Token-Expires" in response, path
        settings.API_CLIENTS = {"CLIENT_RATE_LIMIT": "1/min"}
        limited = client.get(INFO, headers=bearer(token))
        assert limited.status_code == 429
        assert "API-Client-Token-Expires" in limited

    def test_no_answer_without_a_working_token_has_it(self, client, api_user, make_client):
        api_client, token = make_client(api_user)
        revoke_api_client(api_client, user=api_user)
        for headers in ({}, bearer("rtp_nonsense"), bearer(token)):
            response = client.get(INFO, headers=headers)
            assert response.status_code == 401
            assert "API-Client-Token-Expires" not in response


class TestTheClientEndpoint:
    def test_it_describes_the_current_token(self, client, api_user, make_client, settings):
        settings.API_CLIENTS = {"CLIENT_RATE_LIMIT": "100/5min"}
        with at(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)):
            api_client, token = make_client(
                api_user, name="Finance feed", expiry_date=datetime.date(2027, 5, 26)
            )
            response = client.get(CLIENT, headers=bearer(token))

        assert response.status_code == 200
        assert response.json() == {
            "name": "Finance feed",
            "expiry_date": "2027-05-26",
            "expires_at": "2027-05-27T00:00:00+01:00",
            "days_until_expiry": 86,
            "token": "current",
            "rate_limit": {"limit": 100, "period_seconds": 300},
        }
        assert response["API-Client-Token-Expires"] == "2027-05-27T00:00:00+01:00"

    def test_it_describes_the_previous_token(self, client, renewed):
        api_client, old_token, _ = renewed
        body = client.get(CLIENT, headers=bearer(old_token)).json()
        stops = timezone.localtime(
            api_client.previous_token_expires_at, timezone.get_default_timezone()
        )

        assert body["token"] == "previous"
        assert body["expires_at"] == stops.isoformat(timespec="seconds")
        assert body["expiry_date"] == stops.date().isoformat()
        assert body["days_until_expiry"] == (stops.date() - today()).days

    def test_on_its_last_day_there_are_zero_days_left(self, client, api_user, make_client):
        _, token = make_client(api_user, expiry_date=today())
        assert client.get(CLIENT, headers=bearer(token)).json()["days_until_expiry"] == 0

    def test_it_is_recorded_like_any_request(self, client, renewed):
        api_client, _, token = renewed
        client.get(CLIENT, headers=bearer(token), QUERY_STRING="x=1")
        record = ApiClientUsage.objects.get()
        assert (record.client_id, record.path, record.query_string, record.status_code) == (
            api_client.pk,
            CLIENT,
            "x=1",
            200,
        )

    def test_it_needs_a_working_token(self, client):
        response = client.get(CLIENT)
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Authentication credentials were missing or not valid."
        }

    def test_it_is_in_the_openapi_document_with_its_schema(self, client):
        document = client.get("/api/v1/openapi.json").json()
        operation = document["paths"]["/api/v1/client"]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(schema["properties"]) == {
            "name",
            "expiry_date",
            "expires_at",
            "days_until_expiry",
            "token",
            "rate_limit",
        }
        assert schema["properties"]["token"]["enum"] == ["current", "previous"]
        assert schema["properties"]["expires_at"]["format"] == "date-time"
