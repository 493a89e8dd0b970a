"""Bearer authentication on the register API: who gets in, who is refused and how."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from helpers import bearer

from api_clients import tokens
from api_clients.models import ApiClient, ApiClientLogEntry, ApiClientUsage
from api_clients.services import delete_api_client, revoke_api_client

pytestmark = pytest.mark.django_db

INFO = "/api/v1/info"
REFUSED_BODY = {"detail": "Authentication credentials were missing or not valid."}


def at(iso):
    """Freeze the clock (and so the site's today) at an ISO 8601 moment."""
    return mock.patch(
        "django.utils.timezone.now", return_value=datetime.datetime.fromisoformat(iso)
    )


def assert_refused(response):
    assert response.status_code == 401
    assert response.json() == REFUSED_BODY
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_an_active_client_reads_the_api(client, api_user, make_client):
    api_client, token = make_client(api_user, name="Student records system")

    response = client.get(INFO, headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["client_name"] == "Student records system"
    assert response.json()["client_expiry_date"] == api_client.expiry_date.isoformat()
    assert "WWW-Authenticate" not in response


def test_the_scheme_is_case_insensitive_and_spaces_around_the_token_are_ignored(
    client, api_user, make_client
):
    _, token = make_client(api_user)

    response = client.get(INFO, headers={"Authorization": f"  bearer   {token}  "})

    assert response.status_code == 200


# Every way a request can be refused. Each builds (headers) from a valid token
# and its client; all must look the same from outside.
def _missing(token, api_client):
    return {}


def _empty(token, api_client):
    return {"Authorization": ""}


def _basic_scheme(token, api_client):
    return {"Authorization": f"Basic {token}"}


def _scheme_only(token, api_client):
    return {"Authorization": "Bearer"}


def _token_without_scheme(token, api_client):
    return {"Authorization": token}


def _malformed(token, api_client):
    return bearer("not-a-token")


def _bad_checksum(token, api_client):
    last = token[-1]
    return bearer(token[:-1] + ("A" if last != "A" else "B"))


def _truncated(token, api_client):
    return bearer(token[:-1])


def _unknown_but_well_formed(token, api_client):
    return bearer(tokens.generate_token())


def _expired(token, api_client):
    ApiClient.objects.filter(pk=api_client.pk).update(
        expiry_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    return bearer(token)


def _revoked(token, api_client):
    revoke_api_client(api_client, user=api_client.owner)
    return bearer(token)


def _deleted(token, api_client):
    delete_api_client(api_client, user=api_client.owner)
    return bearer(token)


def _owner_deactivated(token, api_client):
    api_client.owner.is_active = False
    api_client.owner.save()
    return bearer(token)


def _owner_deleted(token, api_client):
    api_client.owner.delete()
    return bearer(token)


REFUSALS = [
    _missing,
    _empty,
    _basic_scheme,
    _scheme_only,
    _token_without_scheme,
    _malformed,
    _bad_checksum,
    _truncated,
    _unknown_but_well_formed,
    _expired,
    _revoked,
    _deleted,
    _owner_deactivated,
    _owner_deleted,
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda f: f.__name__.strip("_"))
def test_every_refusal_is_a_401_with_the_same_body_and_a_bearer_challenge(
    client, api_user, make_client, refusal
):
    api_client, token = make_client(api_user)
    assert client.get(INFO, headers=bearer(token)).status_code == 200

    response = client.get(INFO, headers=refusal(token, api_client))

    assert_refused(response)


def test_refusals_cannot_be_told_apart(client, api_user, make_client, make_user):
    answers = set()
    for number, refusal in enumerate(REFUSALS):
        owner = make_user(f"owner{number}", group="API users")
        api_client, token = make_client(owner)
        response = client.get(INFO, headers=refusal(token, api_client))
        answers.add((response.status_code, response.content, response["WWW-Authenticate"]))
    assert len(answers) == 1


def test_deleting_the_owner_soft_deletes_their_clients_with_audit_entries(
    client, api_user, superuser, make_client
):
    first, first_token = make_client(api_user, name="First")
    second, _ = make_client(api_user, name="Second")
    owner_id = api_user.pk

    api_user.delete()

    for api_client in (first, second):
        api_client.refresh_from_db()
        assert api_client.is_deleted
        assert api_client.owner is None
        entry = ApiClientLogEntry.objects.for_instance(api_client).get(action="api_clients.delete")
        assert entry.owner_id == owner_id
    assert_refused(client.get(INFO, headers=bearer(first_token)))


class TestExpiry:
    """The token works through the end of its expiry day in the site's time zone."""

    @pytest.fixture
    def summer_token(self, api_user, make_client):
        with at("2027-06-01T12:00:00+00:00"):
            _, token = make_client(api_user, expiry_date=datetime.date(2027, 6, 15))
        return token

    @pytest.mark.parametrize(
        ("moment", "status"),
        [
            ("2027-06-15T00:00:00+00:00", 200),
            ("2027-06-15T22:59:59+00:00", 200),  # 23:59:59 BST, still the 15th in London
            ("2027-06-15T23:00:01+00:00", 401),  # 00:00:01 BST on the 16th
            ("2027-06-16T12:00:00+00:00", 401),
        ],
    )
    def test_in_british_summer_time(self, client, summer_token, moment, status):
        with at(moment):
            response = client.get(INFO, headers=bearer(summer_token))
        assert response.status_code == status

    @pytest.mark.parametrize(
        ("moment", "status"),
        [
            ("2027-01-15T23:59:59+00:00", 200),  # GMT: London is on UTC
            ("2027-01-16T00:00:01+00:00", 401),
        ],
    )
    def test_in_winter(self, client, api_user, make_client, moment, status):
        with at("2027-01-01T12:00:00+00:00"):
            _, token = make_client(api_user, expiry_date=datetime.date(2027, 1, 15))
        with at(moment):
            response = client.get(INFO, headers=bearer(token))
        assert response.status_code == status

    def test_the_active_language_time_zone_does_not_matter(self, client, summer_token):
        with at("2027-06-15T23:00:01+00:00"), timezone.override("America/Los_Angeles"):
            response = client.get(INFO, headers=bearer(summer_token))
        assert response.status_code == 401

    def test_an_expired_refusal_is_recorded_as_expired(self, client, summer_token):
        with at("2027-06-15T23:00:01+00:00"):
            assert_refused(client.get(INFO, headers=bearer(summer_token)))
        usage = ApiClientUsage.objects.get()
        assert usage.refusal_reason == "expired"
        assert usage.requested_at == datetime.datetime.fromisoformat("2027-06-15T23:00:01+00:00")


class TestKeyRotation:
    def test_a_token_minted_under_a_key_now_in_the_fallbacks_still_works(
        self, client, settings, api_user, make_client
    ):
        settings.SECRET_KEY = "the-old-key-" + "x" * 40
        settings.SECRET_KEY_FALLBACKS = []
        _, token = make_client(api_user)

        settings.SECRET_KEY = "the-new-key-" + "y" * 40
        settings.SECRET_KEY_FALLBACKS = ["the-old-key-" + "x" * 40]

        assert client.get(INFO, headers=bearer(token)).status_code == 200

    def test_once_the_old_key_is_dropped_its_tokens_stop_working(
        self, client, settings, api_user, make_client
    ):
        settings.SECRET_KEY = "the-old-key-" + "x" * 40
        _, token = make_client(api_user)

        settings.SECRET_KEY = "the-new-key-" + "y" * 40
        settings.SECRET_KEY_FALLBACKS = []

        assert_refused(client.get(INFO, headers=bearer(token)))

    def test_new_tokens_are_stored_under_the_current_key(
        self, client, settings, api_user, make_client
    ):
        settings.SECRET_KEY = "the-new-key-" + "y" * 40
        settings.SECRET_KEY_FALLBACKS = ["the-old-key-" + "x" * 40]
        api_client, token = make_client(api_user)

        assert api_client.token_digest == tokens.digest(token, secret_key=settings.SECRET_KEY)
        assert client.get(INFO, headers=bearer(token)).status_code == 200


class TestQueryCounts:
    """One indexed lookup per token check, one insert per recorded request."""

    def test_an_accepted_request_is_one_select_and_one_insert(
        self, client, api_user, make_client, django_assert_num_queries
    ):
        _, token = make_client(api_user)

        with django_assert_num_queries(2) as captured:
            response = client.get(INFO, headers=bearer(token))

        assert response.status_code == 200
        select, insert = (query["sql"] for query in captured.captured_queries)
        assert select.startswith("SELECT") and ApiClient._meta.db_table in select
        assert "JOIN" in select  # the owner comes with the client
        assert insert.startswith("INSERT") and ApiClientUsage._meta.db_table in insert

    def test_a_refused_known_token_is_one_select_and_one_insert(
        self, client, api_user, make_client, django_assert_num_queries
    ):
        api_client, token = make_client(api_user)
        revoke_api_client(api_client, user=api_user)

        with django_assert_num_queries(2) as captured:
            assert_refused(client.get(INFO, headers=bearer(token)))

        assert captured.captured_queries[1]["sql"].startswith("INSERT")

    def test_an_unknown_well_formed_token_is_one_select(
        self, client, api_user, make_client, django_assert_num_queries
    ):
        make_client(api_user)

        with django_assert_num_queries(1):
            assert_refused(client.get(INFO, headers=bearer(tokens.generate_token())))

    @pytest.mark.parametrize(
        "header",
        ["Bearer rtp_" + "A" * 38, "Bearer rtp_short", "Basic dXNlcjpwYXNz", "", "Bearer é"],
    )
    def test_a_malformed_or_missing_token_costs_no_query(
        self, client, django_assert_num_queries, header
    ):
        with django_assert_num_queries(0):
            assert_refused(client.get(INFO, headers={"Authorization": header}))

    def test_the_lookup_uses_the_unique_digest(self, api_user, make_client):
        # The one query filters on the indexed, unique digest column.
        api_client, token = make_client(api_user)
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, ApiClient._meta.db_table)
        assert any(c["columns"] == ["token_digest"] and c["unique"] for c in constraints.values())


class TestUserModelsWithoutAnIsActiveColumn:
    """Without an is_active column to join, the lookup falls back to the ORM's own join.

    Run in a site of its own (``tests/custom_user``), whose user model keeps
    AbstractBaseUser's constant ``is_active``: the user model is fixed per process.
    """

    def test_tokens_are_checked_and_recorded_through_the_register_api(self):
        root = Path(__file__).resolve().parent.parent
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "custom_user.settings",
            "PYTHONPATH": os.pathsep.join([str(root / "site"), str(root / "tests")]),
        }
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(root / "tests" / "custom_user" / "check_tokens.py")],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        seen = json.loads(result.stdout.splitlines()[-1])
        # Accepted with one query for the token and one insert for its usage record.
        assert seen == {
            "accepted": 200,
            "queries": 2,
            "refused": 401,
            "tokens": ["previous", "current"],
            "recorded": [
                [401, "revoked", "previous"],
                [200, "", "current"],
                [200, "", "previous"],
                [200, "", "current"],
            ],
        }
