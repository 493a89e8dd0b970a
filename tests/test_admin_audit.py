"""The audit trail: every change logged with who and when, shown per client and site-wide.

API-only users see the entries of their own clients only, deleted ones included,
even in Wagtail's site history report.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from helpers import (
    ADD_CHECK_URL,
    ADD_URL,
    SITE_HISTORY_URL,
    add_data,
    hidden_value,
    page_title,
    rename_through_the_admin,
    soup,
    text_of,
    url,
)

from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.services import delete_api_client, rename_api_client, revoke_api_client

pytestmark = pytest.mark.django_db


def history_rows(response):
    """The per-client history: (action, user) pairs, newest first."""
    return [
        tuple(text_of(td) for td in tr.find_all("td")[:2])
        for tr in soup(response).select("table.listing tbody tr")
    ]


def site_history_rows(response):
    """The site history's API client entries: (name, action, user) triples, newest first."""
    found = []
    for tr in soup(response).select("table.listing tbody tr"):
        cells = [text_of(td) for td in tr.find_all("td")]
        if cells[1] == "API client":
            found.append((cells[0], cells[2], cells[3]))
    return found


def site_history_links(response):
    return {text_of(a): a["href"] for a in soup(response).select("table.listing tbody td.title a")}


def add_through_the_admin(client, name):
    client.post(ADD_URL, add_data(name=name))
    check = client.get(ADD_CHECK_URL)
    response = client.post(ADD_CHECK_URL, {"submission": hidden_value(check, "submission")})
    assert response.status_code == 200
    return ApiClient.objects.get(name=name)


class TestEveryChangeIsLogged:
    def test_create_rename_revoke_and_delete_through_the_admin(self, client, api_user, manager):
        client.force_login(api_user)
        api_client = add_through_the_admin(client, "Old name")
        rename_through_the_admin(client, api_client, "New name")
        client.force_login(manager)
        client.post(url("revoke", api_client))

        history = client.get(url("history", api_client))

        assert history.status_code == 200
        assert page_title(history) == "History: New name"
        assert history_rows(history) == [
            ("API client revoked", "manager"),
            ("Renamed from 'Old name' to 'New name'", "owner"),
            ("API client created", "owner"),
        ]
        client.force_login(api_user)
        assert history_rows(client.get(url("history", api_client))) == history_rows(history)

        client.post(url("delete", api_client))

        # The client's own page has gone with it; its entries have not.
        assert client.get(url("history", api_client)).status_code == 404
        for user in (api_user, manager):
            client.force_login(user)
            assert site_history_rows(client.get(SITE_HISTORY_URL)) == [
                ("New name", "API client deleted", "owner"),
                ("New name", "API client revoked", "manager"),
                ("New name", "Renamed from 'Old name' to 'New name'", "owner"),
                ("Old name", "API client created", "owner"),
            ]
        entries = ApiClientLogEntry.objects.filter(object_id=str(api_client.pk))
        assert list(entries.values_list("action", "user_id", "owner_id")) == [
            ("api_clients.delete", api_user.pk, api_user.pk),
            ("api_clients.revoke", manager.pk, api_user.pk),
            ("api_clients.rename", api_user.pk, api_user.pk),
            ("api_clients.create", api_user.pk, api_user.pk),
        ]
        assert entries.get(action="api_clients.rename").data == {
            "name": {"old": "Old name", "new": "New name"}
        }
        assert all(entry.timestamp is not None for entry in entries)

    def test_nothing_is_logged_for_what_did_not_happen(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Same")
        client.force_login(api_user)
        before = ApiClientLogEntry.objects.count()

        # A rename to the same name, an invalid one, and pages only looked at.
        saved = rename_through_the_admin(client, api_client, "Same")
        assert saved["Location"] == url("inspect", api_client)
        client.post(url("rename", api_client), {"name": ""})
        client.get(url("revoke", api_client))
        client.get(url("delete", api_client))

        assert ApiClientLogEntry.objects.count() == before

    def test_the_history_page_links_back_to_the_client(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Feed")
        client.force_login(api_user)

        history = client.get(url("history", api_client))

        crumbs = soup(history).select("nav[aria-label=Breadcrumb] li a")
        assert url("inspect", api_client) in [a["href"] for a in crumbs]

    def test_deleting_a_user_deletes_their_clients_on_the_record(
        self, client, superuser, api_user, make_client
    ):
        api_client, _ = make_client(api_user, name="Orphan")
        client.force_login(superuser)

        response = client.post(reverse("wagtailusers_users:delete", args=(api_user.pk,)))

        assert response.status_code == 302
        api_client.refresh_from_db()
        assert api_client.deleted_at is not None
        assert site_history_rows(client.get(SITE_HISTORY_URL))[0] == (
            "Orphan",
            "API client deleted",
            "root",
        )


class TestWhoSeesWhichEntries:
    @pytest.fixture
    def logged(self, api_user, other_api_user, manager, make_client):
        """Entries for two owners' clients, one of each since deleted."""
        mine, _ = make_client(api_user, name="Mine")
        mine_gone, _ = make_client(api_user, name="Mine, deleted")
        theirs, _ = make_client(other_api_user, name="Theirs")
        theirs_gone, _ = make_client(other_api_user, name="Theirs, deleted")
        rename_api_client(theirs, name="Theirs renamed", user=manager)
        revoke_api_client(mine, user=manager)
        delete_api_client(mine_gone, user=api_user)
        delete_api_client(theirs_gone, user=manager)
        return {"mine": mine, "mine_gone": mine_gone, "theirs": theirs}

    def names(self, response):
        return sorted({name for name, _, _ in site_history_rows(response)})

    def test_managers_and_superusers_see_every_clients_entries(
        self, client, logged, manager, superuser
    ):
        for user in (manager, superuser):
            client.force_login(user)
            response = client.get(SITE_HISTORY_URL)
            assert self.names(response) == [
                "Mine",
                "Mine, deleted",
                "Theirs",
                "Theirs renamed",
                "Theirs, deleted",
            ]
            assert len(site_history_rows(response)) == 8

    def test_api_users_see_their_own_clients_entries_only_deleted_ones_included(
        self, client, logged, api_user, other_api_user
    ):
        client.force_login(api_user)
        mine = client.get(SITE_HISTORY_URL)
        client.force_login(other_api_user)
        theirs = client.get(SITE_HISTORY_URL)

        assert site_history_rows(mine) == [
            ("Mine, deleted", "API client deleted", "owner"),
            ("Mine", "API client revoked", "manager"),
            ("Mine, deleted", "API client created", "owner"),
            ("Mine", "API client created", "owner"),
        ]
        assert self.names(theirs) == ["Theirs", "Theirs renamed", "Theirs, deleted"]
        for response in (mine, theirs):
            assert len(soup(response).select("table.listing tbody tr")) == len(
                site_history_rows(response)
            )

    def test_no_filter_or_results_url_reaches_other_clients_entries(self, client, logged, api_user):
        client.force_login(api_user)
        site_history_results = reverse("wagtailadmin_reports:site_history_results")
        for path, query in [
            (SITE_HISTORY_URL, {"action": "api_clients.rename"}),
            (SITE_HISTORY_URL, {"action": "api_clients.delete"}),
            (SITE_HISTORY_URL, {"label": "Theirs"}),
            (SITE_HISTORY_URL, {"object_type": ""}),
            (site_history_results, {}),
            (site_history_results, {"action": "api_clients.rename"}),
        ]:
            response = client.get(path, query)
            assert response.status_code == 200
            assert {name for name, _, _ in site_history_rows(response)} <= {
                "Mine",
                "Mine, deleted",
            }, (path, query)

    def test_the_export_holds_their_own_entries_only(self, client, logged, api_user):
        client.force_login(api_user)

        response = client.get(SITE_HISTORY_URL, {"export": "csv"})

        assert response.status_code == 200
        exported = b"".join(response.streaming_content).decode()
        assert "Mine, deleted" in exported
        assert "Theirs" not in exported

    def test_an_admin_user_without_api_client_permissions_sees_none(
        self, client, logged, make_user
    ):
        plain = make_user("plain")
        plain.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(plain)

        response = client.get(SITE_HISTORY_URL)

        assert response.status_code == 200
        assert site_history_rows(response) == []

    def test_another_clients_history_page_is_not_found(
        self, client, logged, api_user, other_api_user
    ):
        client.force_login(other_api_user)

        assert client.get(url("history", logged["mine"])).status_code == 404
        assert client.get(url("history_results", logged["mine"])).status_code == 404

    def test_entries_link_to_live_clients_only(self, client, logged, api_user):
        client.force_login(api_user)

        links = site_history_links(client.get(SITE_HISTORY_URL))

        assert links == {"Mine": url("inspect", logged["mine"])}

    def test_entries_survive_the_clients_deletion(self, client, logged, manager):
        gone = logged["mine_gone"]

        assert ApiClient.objects.get(pk=gone.pk).deleted_at is not None
        entries = ApiClientLogEntry.objects.filter(object_id=str(gone.pk))
        assert sorted(entries.values_list("action", flat=True)) == [
            "api_clients.create",
            "api_clients.delete",
        ]
        assert {entry.label for entry in entries} == {"Mine, deleted"}
