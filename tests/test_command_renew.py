"""``manage.py api_clients renew``: a new token for an active client, printed once."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from api_clients import tokens
from api_clients.dates import format_date, format_time, today
from api_clients.lifecycle import token_expires_at
from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.services import delete_api_client, revoke_api_client

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("api_clients", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def in_days(days):
    return today() + datetime.timedelta(days=days)


def works(token):
    response = Client().get("/api/v1/info", headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


@pytest.fixture
def feed(api_user, make_client):
    return make_client(api_user, name="Feed", expiry_date=in_days(10))


def test_prints_the_new_token_once(feed, manager):
    api_client, old_token = feed
    output = run(
        "renew",
        str(api_client.pk),
        "--expires",
        in_days(100).isoformat(),
        "--overlap",
        "1h",
        "--by",
        "manager",
    )

    renewed = ApiClient.objects.get()
    [token] = [line for line in output.splitlines() if line.startswith(tokens.TOKEN_PREFIX)]
    assert output.count(token) == 1
    assert renewed.token_digest == tokens.digest(token)
    assert renewed.expiry_date == in_days(100)
    assert f"Generated a new token for API client {api_client.pk} 'Feed', expires " in output
    assert format_date(in_days(100)) in output
    assert (
        f"The previous token stops working on {format_time(renewed.previous_token_expires_at)}."
        in output
    )
    assert works(token) and works(old_token)
    entry = ApiClientLogEntry.objects.get(action="api_clients.renew")
    assert entry.user == manager


def test_without_an_overlap_the_previous_token_stops_at_once(feed):
    api_client, old_token = feed
    output = run("renew", str(api_client.pk), "--expires", in_days(100).isoformat())

    assert "The previous token no longer works." in output
    assert not works(old_token)


def test_json_for_scripts(api_user, make_client):
    api_client, _ = make_client(api_user, name="Soon", expiry_date=in_days(2))
    output = run(
        "renew",
        str(api_client.pk),
        "--expires",
        in_days(50).isoformat(),
        "--overlap",
        "7d",
        "--json",
    )
    data = json.loads(output)
    renewed = ApiClient.objects.get()
    assert data["id"] == api_client.pk
    assert data["expiry_date"] == in_days(50).isoformat()
    # Never past the end of the current expiry date, two days away.
    assert data["previous_token_stops_at"] == renewed.previous_token_expires_at.isoformat()
    assert renewed.previous_token_expires_at == token_expires_at(in_days(2))
    assert tokens.digest(data["token"]) == renewed.token_digest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires", "2027-02-30"], "--expires must be a real date, like 2027-03-27."),
        (["--expires", "tomorrow"], "--expires must be a real date, like 2027-03-27."),
        (["--expires", "2001-01-01"], "Expiry date must be between"),
    ],
)
def test_bad_dates_change_nothing(feed, args, message):
    api_client, old_token = feed
    with pytest.raises(CommandError, match=message):
        run("renew", str(api_client.pk), *args)
    assert ApiClient.objects.get().token_digest == api_client.token_digest
    assert works(old_token)


def test_an_overlap_not_offered(feed):
    with pytest.raises(CommandError, match="invalid choice"):
        run("renew", str(feed[0].pk), "--expires", in_days(30).isoformat(), "--overlap", "2d")


@pytest.mark.parametrize("state", ["revoked", "expired", "deleted", "unknown"])
def test_only_active_clients(feed, api_user, state):
    api_client, _ = feed
    client_id = api_client.pk
    if state == "revoked":
        revoke_api_client(api_client, user=api_user)
        message = "Only active API clients can be changed."
    elif state == "expired":
        ApiClient.objects.filter(pk=client_id).update(expiry_date=in_days(-1))
        message = "Only active API clients can be changed."
    elif state == "deleted":
        delete_api_client(api_client, user=api_user)
        message = f"No API client has the id {client_id}."
    else:
        client_id = 987654
        message = "No API client has the id 987654."
    with pytest.raises(CommandError, match=message):
        run("renew", str(client_id), "--expires", in_days(30).isoformat())
    assert not ApiClientLogEntry.objects.filter(action="api_clients.renew").exists()
