"""What may happen to a client in each state: one answer and one message from every route.

Each change is tried through every entry point that offers it (the service, the
admin page, the management command) on clients in every state.
"""

import datetime
import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from helpers import database_state, expire, messages, url

from api_clients.dates import today
from api_clients.lifecycle import ApiClientError
from api_clients.models import ApiClient
from api_clients.services import (
    delete_api_client,
    rename_api_client,
    renew_api_client,
    revoke_api_client,
)

pytestmark = pytest.mark.django_db

ONLY_ACTIVE = "Only active API clients can be changed."
DELETED = "This API client has been deleted."
ALREADY_DELETED = "This API client has already been deleted."


@pytest.fixture
def client_in(api_user, manager, make_client):
    """A client of ``api_user`` in the named state: active, expired, revoked or deleted."""

    names = (f"Finance feed {number}" for number in itertools.count(1))

    def make(state):
        api_client, _ = make_client(api_user, name=next(names))
        if state == "expired":
            expire(api_client)
        elif state == "revoked":
            revoke_api_client(api_client, user=manager)
        elif state == "deleted":
            delete_api_client(api_client, user=manager)
        return ApiClient.objects.get(pk=api_client.pk)

    return make


def through_service(change, api_client, user):
    services = {
        "rename": lambda: rename_api_client(api_client, name="New name", user=user),
        "revoke": lambda: revoke_api_client(api_client, user=user),
        "delete": lambda: delete_api_client(api_client, user=user),
    }
    try:
        services[change]()
    except ApiClientError as error:
        return str(error)
    return None


def through_command(change, api_client):
    try:
        call_command("api_clients", change, str(api_client.pk), stdout=io.StringIO())
    except CommandError as error:
        return str(error)
    return None


class TestRevoke:
    """Revoke, like rename, is for active clients only: the spec's button shows only then."""

    @pytest.mark.parametrize(
        ("state", "refusal"), [("expired", ONLY_ACTIVE), ("revoked", ONLY_ACTIVE)]
    )
    def test_the_service_refuses_an_inactive_client(self, client_in, manager, state, refusal):
        api_client = client_in(state)
        before = database_state()

        assert through_service("revoke", api_client, manager) == refusal
        assert database_state() == before

    def test_the_service_refuses_a_deleted_client(self, client_in, manager):
        api_client = client_in("deleted")
        before = database_state()

        assert through_service("revoke", api_client, manager) == DELETED
        assert database_state() == before

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    def test_the_command_refuses_an_inactive_client_with_the_same_message(self, client_in, state):
        api_client = client_in(state)
        before = database_state()

        assert through_command("revoke", api_client) == ONLY_ACTIVE
        assert database_state() == before

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_the_admin_refuses_an_inactive_client_with_the_same_message(
        self, client, client_in, api_user, state, method
    ):
        api_client = client_in(state)
        before = database_state()
        client.force_login(api_user)

        response = getattr(client, method)(url("revoke", api_client), follow=True)

        assert response.redirect_chain == [(url("inspect", api_client), 302)]
        assert messages(response) == [("error", ONLY_ACTIVE)]
        assert database_state() == before

    def test_every_route_revokes_an_active_client(self, client, client_in, api_user, manager):
        by_service, by_command, by_admin = (client_in("active") for _ in range(3))
        client.force_login(api_user)

        assert through_service("revoke", by_service, manager) is None
        assert through_command("revoke", by_command) is None
        client.post(url("revoke", by_admin))

        assert ApiClient.objects.filter(revoked_at__isnull=False).count() == 3


class TestRename:
    @pytest.mark.parametrize("state", ["expired", "revoked"])
    def test_the_service_and_the_admin_give_the_same_message(
        self, client, client_in, api_user, state
    ):
        by_service, by_admin = client_in(state), client_in(state)
        client.force_login(api_user)

        refused = client.post(url("rename", by_admin), {"name": "New name"}, follow=True)

        assert through_service("rename", by_service, api_user) == ONLY_ACTIVE
        assert messages(refused) == [("error", ONLY_ACTIVE)]
        assert not ApiClient.objects.filter(name="New name").exists()


class TestRenew:
    """Renew, like rename and revoke, is for active clients only, with the same message."""

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    def test_the_service_the_command_and_the_admin_give_the_same_message(
        self, client, client_in, api_user, state
    ):
        by_service, by_command, by_admin = (client_in(state) for _ in range(3))
        client.force_login(api_user)
        before = database_state()
        expires = (today() + datetime.timedelta(days=60)).isoformat()

        with pytest.raises(ApiClientError) as refused_by_service:
            renew_api_client(
                by_service,
                expiry_date=today() + datetime.timedelta(days=60),
                overlap="0",
                user=api_user,
            )
        with pytest.raises(CommandError) as refused_by_command:
            call_command(
                "api_clients",
                "renew",
                str(by_command.pk),
                "--expires",
                expires,
                stdout=io.StringIO(),
            )
        refused = client.get(url("renew", by_admin), follow=True)

        assert str(refused_by_service.value) == ONLY_ACTIVE
        assert str(refused_by_command.value) == ONLY_ACTIVE
        assert messages(refused) == [("error", ONLY_ACTIVE)]
        assert database_state() == before

    def test_the_service_refuses_a_deleted_client(self, client_in, manager):
        with pytest.raises(ApiClientError, match=DELETED):
            renew_api_client(
                client_in("deleted"),
                expiry_date=today() + datetime.timedelta(days=60),
                overlap="0",
                user=manager,
            )


class TestDelete:
    @pytest.mark.parametrize("state", ["active", "expired", "revoked"])
    def test_any_live_client_can_be_deleted_by_the_service_and_the_command(
        self, client_in, manager, state
    ):
        by_service, by_command = client_in(state), client_in(state)

        assert through_service("delete", by_service, manager) is None
        assert through_command("delete", by_command) is None

        assert not ApiClient.objects.alive().exists()

    def test_deleting_twice_is_refused(self, client_in, manager):
        api_client = client_in("deleted")

        assert through_service("delete", api_client, manager) == ALREADY_DELETED


class TestTheDetailsPageOnlyOffersWhatIsAllowed:
    @pytest.mark.parametrize(
        ("state", "offered"),
        [
            ("active", {"rename", "renew", "revoke", "delete"}),
            ("expired", {"delete"}),
            ("revoked", {"delete"}),
        ],
    )
    def test_links(self, client, client_in, api_user, state, offered):
        api_client = client_in(state)
        client.force_login(api_user)

        page = client.get(url("inspect", api_client)).content.decode()

        shown = {
            change
            for change in ("rename", "renew", "revoke", "delete")
            if url(change, api_client) in page
        }
        assert shown == offered
