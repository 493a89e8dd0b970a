"""The admin pages of the API clients section and the exact texts the spec gives them."""

import datetime
import re
from unittest import mock

import pytest
from django.utils import timezone
from helpers import (
    INDEX_URL,
    bearer,
    buttons,
    caption,
    expire,
    field_error,
    heading,
    hidden_value,
    links,
    main,
    main_text,
    messages,
    page_title,
    soup,
    squash,
    summary,
    table_headers,
    table_rows,
    text_of,
    unreadable_drafts,
    url,
)

from api_clients.dates import format_date, format_time, today
from api_clients.models import ApiClient, ApiClientLogEntry, ApiClientUsage
from api_clients.services import delete_api_client, revoke_api_client

pytestmark = pytest.mark.django_db


def list_entries(response):
    """The rows of the clients list, as dicts of what each shows."""
    entries = []
    for row in soup(response).select("table.listing tbody tr"):
        cells = row.find_all("td")
        name_cell = cells[0]
        link = name_cell.select_one(".title-wrapper a")
        owner = name_cell.select_one(".w-text-text-meta")
        expiry_note = cells[1].select_one(".w-text-text-meta")
        tag = cells[3].select_one(".w-status")
        entries.append(
            {
                "name": text_of(link),
                "href": link.get("href"),
                "owner": text_of(owner) if owner is not None else None,
                "expiry_date": squash(cells[1].find(string=True)),
                "expires_in": text_of(expiry_note) if expiry_note is not None else None,
                "last_used": text_of(cells[2]),
                "status": text_of(tag),
                "status_class": [c for c in tag["class"] if c.startswith("api-clients-status--")],
            }
        )
    return entries


def names(response):
    return [entry["name"] for entry in list_entries(response)]


def set_created(client, minutes_ago):
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ApiClient.objects.filter(pk=client.pk).update(created_at=created)


def set_expiry(client, date):
    ApiClient.objects.filter(pk=client.pk).update(expiry_date=date)


class TestList:
    def test_shows_the_heading_the_add_button_and_the_columns(self, client, manager, make_client):
        make_client(manager)
        client.force_login(manager)

        response = client.get(INDEX_URL)

        assert response.status_code == 200
        assert page_title(response) == "API clients"
        assert text_of(soup(response).select_one("h1")) == "API clients"
        add_button = soup(response).select_one("#w-slim-header-buttons a.button")
        assert text_of(add_button) == "Add API client"
        assert add_button["href"] == url("add")
        assert table_headers(response) == ["Client name", "Expiry date", "Last used", "Status"]

    def test_a_row_links_the_name_to_the_details_page_and_reads_the_date_in_full(
        self, client, manager, api_user, make_client
    ):
        api_client, _ = make_client(api_user, name="Student records system")
        set_expiry(api_client, datetime.date(2027, 11, 26))
        client.force_login(manager)

        [entry] = list_entries(client.get(INDEX_URL))

        assert entry["name"] == "Student records system"
        assert entry["href"] == url("inspect", api_client)
        assert entry["expiry_date"] == "26 November 2027"
        assert entry["status"] == "Active"

    def test_managers_see_who_created_each_client_under_its_name(
        self, client, manager, make_user, make_client
    ):
        ada = make_user("ada", group="API users", first_name="Ada", last_name="Lovelace")
        make_client(ada, name="Analytical engine")
        make_client(manager, name="Manager's own")
        client.force_login(manager)

        entries = {entry["name"]: entry["owner"] for entry in list_entries(client.get(INDEX_URL))}

        # The full name when there is one, else the username.
        assert entries == {"Analytical engine": "Ada Lovelace", "Manager's own": "manager"}

    def test_api_users_see_their_own_clients_without_a_creator_line(
        self, client, api_user, other_api_user, manager, make_client
    ):
        make_client(api_user, name="Mine")
        make_client(other_api_user, name="Someone else's")
        make_client(manager, name="The manager's")
        client.force_login(api_user)

        response = client.get(INDEX_URL)

        [entry] = list_entries(response)
        assert entry["name"] == "Mine"
        assert entry["owner"] is None
        assert "Someone else's" not in main_text(response)
        assert "The manager's" not in main_text(response)

    def test_superusers_and_managers_see_every_client(
        self, client, superuser, manager, api_user, other_api_user, make_client
    ):
        make_client(api_user, name="One")
        make_client(other_api_user, name="Two")
        for user in (superuser, manager):
            client.force_login(user)
            assert sorted(names(client.get(INDEX_URL))) == ["One", "Two"]

    def test_status_tags_read_active_expired_and_revoked(
        self, client, manager, api_user, make_client
    ):
        active, _ = make_client(api_user, name="Active one")
        expired, _ = make_client(api_user, name="Expired one")
        revoked, _ = make_client(api_user, name="Revoked one")
        expire(expired)
        revoke_api_client(revoked, user=manager)
        client.force_login(manager)

        entries = {entry["name"]: entry for entry in list_entries(client.get(INDEX_URL))}

        assert {name: entry["status"] for name, entry in entries.items()} == {
            "Active one": "Active",
            "Expired one": "Expired",
            "Revoked one": "Revoked",
        }
        # Each status its own colour.
        assert {name: entry["status_class"] for name, entry in entries.items()} == {
            "Active one": ["api-clients-status--active"],
            "Expired one": ["api-clients-status--expired"],
            "Revoked one": ["api-clients-status--revoked"],
        }

    def test_fifteen_to_a_page_newest_first(self, client, manager, api_user, make_client):
        for number in range(1, 18):
            api_client, _ = make_client(api_user, name=f"Client {number:02}")
            # Client 17 is the newest, client 01 the oldest.
            set_created(api_client, minutes_ago=100 - number)
        client.force_login(manager)

        first = client.get(INDEX_URL)
        second = client.get(INDEX_URL, {"p": 2})

        assert names(first) == [f"Client {number:02}" for number in range(17, 2, -1)]
        assert names(second) == ["Client 02", "Client 01"]
        pagination = soup(first).select_one("nav.pagination")
        assert "Page 1 of 2" in text_of(pagination)
        assert "17 API clients" in text_of(pagination)
        next_link = pagination.select_one("li.next a")
        assert next_link["href"].endswith("p=2")

    def test_the_newest_first_order_holds_whatever_the_ordering_asked(
        self, client, manager, make_client
    ):
        old, _ = make_client(manager, name="Old")
        new, _ = make_client(manager, name="New")
        set_created(old, minutes_ago=10)
        client.force_login(manager)

        assert names(client.get(INDEX_URL, {"ordering": "name"})) == ["New", "Old"]

    @pytest.mark.parametrize("role", ["manager", "api_user"])
    def test_empty_list_says_there_are_no_api_clients(self, client, request, role):
        user = request.getfixturevalue(role)
        client.force_login(user)

        response = client.get(INDEX_URL)

        assert response.status_code == 200
        listing = soup(response).select_one("#listing-results")
        assert text_of(listing.select_one("p")) == "There are no API clients."
        # A call to action, not a dead end.
        assert text_of(listing.select_one("a.button")) == "Add API client"
        assert listing.select_one("a.button")["href"] == url("add")

    def test_deleted_clients_are_not_listed(self, client, manager, api_user, make_client):
        kept, _ = make_client(api_user, name="Kept")
        gone, _ = make_client(api_user, name="Gone")
        delete_api_client(gone, user=manager)
        for user in (manager, api_user):
            client.force_login(user)
            assert names(client.get(INDEX_URL)) == ["Kept"]

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("active", ["Active one"]),
            ("expired", ["Expired one"]),
            ("revoked", ["Revoked one"]),
            ("", ["Revoked one", "Expired one", "Active one"]),
        ],
    )
    def test_filter_by_status(self, client, manager, api_user, make_client, status, expected):
        active, _ = make_client(api_user, name="Active one")
        expired, _ = make_client(api_user, name="Expired one")
        revoked, _ = make_client(api_user, name="Revoked one")
        for minutes, api_client in enumerate((revoked, expired, active)):
            set_created(api_client, minutes_ago=minutes)
        expire(expired)
        revoke_api_client(revoked, user=manager)
        client.force_login(manager)

        for page in (INDEX_URL, url("index_results")):
            assert names(client.get(page, {"status": status})) == expected

    def test_an_api_users_filter_still_shows_only_their_own_clients(
        self, client, api_user, other_api_user, make_client
    ):
        make_client(api_user, name="Mine")
        make_client(other_api_user, name="Theirs")
        client.force_login(api_user)

        assert names(client.get(INDEX_URL, {"status": "active"})) == ["Mine"]

    def test_search_by_name(self, client, manager, api_user, make_client):
        make_client(api_user, name="Student records system")
        make_client(api_user, name="Finance feed")
        client.force_login(manager)

        response = client.get(INDEX_URL, {"q": "records"})

        assert names(response) == ["Student records system"]
        assert names(client.get(url("index_results"), {"q": "FINANCE"})) == ["Finance feed"]
        nothing = client.get(INDEX_URL, {"q": "payroll"})
        assert names(nothing) == []
        assert "No API clients match your search." in main_text(nothing)

    def test_an_api_users_search_does_not_reach_other_clients(
        self, client, api_user, other_api_user, make_client
    ):
        make_client(api_user, name="Records mine")
        make_client(other_api_user, name="Records theirs")
        client.force_login(api_user)

        assert names(client.get(INDEX_URL, {"q": "records"})) == ["Records mine"]

    def test_an_unknown_status_is_ignored_not_an_error(self, client, manager, make_client):
        make_client(manager, name="Mine")
        client.force_login(manager)

        response = client.get(INDEX_URL, {"status": "bogus"})

        assert response.status_code == 200
        assert names(response) == ["Mine"]


class TestDetails:
    def test_an_active_clients_page(self, client, api_user, make_user, make_client):
        owner = make_user("ada", group="API users", first_name="Ada", last_name="Lovelace")
        api_client, token = make_client(owner, name="Analytical engine")
        set_expiry(api_client, datetime.date(2027, 11, 26))
        client.force_login(owner)

        response = client.get(url("inspect", api_client))

        assert response.status_code == 200
        assert page_title(response) == "Analytical engine"
        assert heading(response) == "Analytical engine Active"
        rows = summary(response)
        assert list(rows)[:5] == [
            "Client name",
            "Expiry date",
            "Created by",
            "Created",
            "Last used",
        ]
        assert rows["Client name"][0] == "Analytical engine"
        assert rows["Expiry date"][0] == "26 November 2027"
        assert rows["Created by"][0] == "Ada Lovelace"
        assert rows["Created"][0].startswith(format_date(today()))
        assert rows["Last used"][0] == "Never"
        change = rows["Client name"][1].find("a")
        assert text_of(change) == "Change client name"
        assert change["href"] == url("rename", api_client)
        # Only the client name can change.
        assert [label for label, (_, action) in rows.items() if action.find("a")] == ["Client name"]
        assert links(response, "Revoke API client") == [url("revoke", api_client)]
        assert links(response, "Delete API client") == [url("delete", api_client)]
        assert token not in response.content.decode()

    def test_the_heading_tag_is_the_status(self, client, manager, api_user, make_client):
        expired, _ = make_client(api_user, name="Old feed")
        revoked, _ = make_client(api_user, name="Dead feed")
        expire(expired)
        revoke_api_client(revoked, user=manager)
        client.force_login(api_user)

        assert heading(client.get(url("inspect", expired))) == "Old feed Expired"
        assert heading(client.get(url("inspect", revoked))) == "Dead feed Revoked"

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    def test_no_change_or_revoke_once_not_active_but_delete_stays(
        self, client, manager, api_user, make_client, state
    ):
        api_client, _ = make_client(api_user)
        if state == "expired":
            expire(api_client)
        else:
            revoke_api_client(api_client, user=manager)
        client.force_login(api_user)

        response = client.get(url("inspect", api_client))

        assert summary(response)["Client name"][1].find("a") is None
        assert links(response, "Change client name") == []
        assert links(response, "Revoke API client") == []
        assert "Revoke API client" not in main_text(response)
        assert links(response, "Delete API client") == [url("delete", api_client)]

    def test_a_revoked_client_says_when_and_by_whom(self, client, manager, api_user, make_client):
        api_client, _ = make_client(api_user)
        revoke_api_client(api_client, user=manager)
        client.force_login(api_user)

        rows = summary(client.get(url("inspect", api_client)))

        assert rows["Revoked"][0].startswith(format_date(today()))
        assert rows["Revoked"][0].endswith("by manager")

    def test_created_by_a_deleted_user(self, client, manager, api_user, make_client):
        api_client, _ = make_client(api_user)
        ApiClient.objects.filter(pk=api_client.pk).update(owner=None)
        client.force_login(manager)

        assert summary(client.get(url("inspect", api_client)))["Created by"][0] == "Deleted user"

    def test_last_used_appears_once_a_request_is_recorded(self, client, api_user, make_client):
        api_client, token = make_client(api_user)
        client.force_login(api_user)
        assert summary(client.get(url("inspect", api_client)))["Last used"][0] == "Never"

        assert client.get("/api/v1/info", headers=bearer(token)).status_code == 200

        last_used = summary(client.get(url("inspect", api_client)))["Last used"][0]
        assert last_used.startswith(format_date(today()))

    def test_usage_shows_a_chart_with_a_text_alternative_and_recent_requests(
        self, client, manager, api_user, make_client
    ):
        api_client, token = make_client(api_user)
        client.get("/api/v1/info", headers=bearer(token))
        client.get("/api/v1/providers?page=1&page_size=5", headers=bearer(token))
        revoke_api_client(api_client, user=manager)
        assert client.get("/api/v1/info", headers=bearer(token)).status_code == 401
        client.force_login(api_user)

        response = client.get(url("inspect", api_client))

        page = soup(response)
        chart = page.select_one("svg.api-clients-chart__svg")
        assert chart["role"] == "img"
        caption_element = page.select_one(f"#{chart['aria-labelledby']}")
        assert text_of(caption_element).startswith("3 requests in the last 30 days. 1 was refused.")
        # One bar a day, each with its own text.
        assert len(chart.select("g > title")) == 30
        # The busiest day's bar is the chart's full height, standing on the axis.
        _, _, width, height = (float(n) for n in chart["viewbox"].split())
        tallest = max(float(rect["height"]) for rect in chart.select("rect"))
        axis = chart.select_one("line")
        assert float(axis["y1"]) == float(axis["y2"]) == tallest + 0.5 == height - 0.5
        assert float(axis["x2"]) == width == 30 * 10
        assert f"{format_date(today())}: 3" in [text_of(t) for t in chart.select("g > title")]
        per_day = page.select("details table tbody tr")
        assert len(per_day) == 30
        assert [text_of(td) for td in per_day[0].find_all("td")] == [format_date(today()), "3", "1"]

        recent = page.select_one("#usage-section h3 + table")
        assert [text_of(th) for th in recent.select("thead th")] == [
            "Time",
            "Method",
            "Path",
            "Status",
        ]
        rows = [[text_of(td) for td in tr.find_all("td")] for tr in recent.select("tbody tr")]
        assert [row[1:] for row in rows] == [
            ["GET", "/api/v1/info", "401 (Revoked token)"],
            ["GET", "/api/v1/providers?page=1&page_size=5", "200"],
            ["GET", "/api/v1/info", "200"],
        ]
        recorded = ApiClientUsage.objects.order_by("-requested_at", "-id")
        assert [row[0] for row in rows] == [format_time(r.requested_at) for r in recorded]

    def test_usage_before_any_request(self, client, api_user, make_client):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)

        response = client.get(url("inspect", api_client))

        text = main_text(response)
        assert "No requests in the last 30 days." in text
        assert "This API client has not made any requests." in text
        # The empty chart still shows its axis and the days it covers.
        chart = soup(response).select_one(".api-clients-chart")
        assert chart.select_one("line.api-clients-chart__axis") is not None
        dates = [text_of(span) for span in chart.select(".api-clients-chart__dates span")]
        assert dates == [
            format_date(today() - datetime.timedelta(days=29)),
            format_date(today()),
        ]

    def test_links_to_the_history_and_every_request(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Feed")
        client.force_login(api_user)

        response = client.get(url("inspect", api_client))

        assert url("history", api_client) in [
            a["href"] for a in main(response).find_all("a") if "View history" in text_of(a)
        ]
        assert links(response, "View all requests") == [url("requests", api_client)]
        assert client.get(url("history", api_client)).status_code == 200

    def test_the_requests_page_lists_every_request_with_the_refusal_reason(
        self, client, manager, api_user, make_client
    ):
        api_client, token = make_client(api_user)
        client.get("/api/v1/info", headers=bearer(token))
        expire(api_client)
        client.get("/api/v1/info", headers=bearer(token))
        client.force_login(api_user)

        response = client.get(url("requests", api_client))

        assert response.status_code == 200
        assert table_headers(response) == ["Time", "Method", "Path", "Status", "Time taken (ms)"]
        rows = table_rows(response)
        assert [row[1:4] for row in rows] == [
            ["GET", "/api/v1/info", "401 (Expired token)"],
            ["GET", "/api/v1/info", "200"],
        ]
        # Times read as everywhere in the section.
        recorded = ApiClientUsage.objects.filter(client=api_client).order_by("-requested_at")
        assert [row[0] for row in rows] == [format_time(r.requested_at) for r in recorded]
        assert all(row[4].isdigit() for row in rows)
        assert ApiClientUsage.objects.filter(client=api_client).count() == 2


class TestRename:
    def test_the_rename_pages_and_their_texts(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Old name")
        set_expiry(api_client, datetime.date(2027, 11, 26))
        client.force_login(api_user)

        form_page = client.get(url("rename", api_client))

        assert form_page.status_code == 200
        assert page_title(form_page) == "Change client name"
        assert heading(form_page) == "Change client name"
        page = soup(form_page)
        assert page.select_one("input#id_name")["value"] == "Old name"
        assert text_of(page.select_one("label[for=id_name]")).startswith("Client name")
        # The expiry date is shown, not offered for change.
        assert summary(form_page)["Expiry date"][0] == "26 November 2027"
        assert page.select("input[name^=expiry_date]") == []
        assert [text_of(b) for b in page.select("main form button")] == ["Continue"]
        assert links(form_page, "Cancel") == [url("inspect", api_client)]

        check = client.post(url("rename", api_client), {"name": "New name"}, follow=True)

        assert check.redirect_chain == [(url("rename_check", api_client), 302)]
        assert page_title(check) == "Check your answers"
        assert heading(check) == "Check your answers"
        rows = summary(check)
        assert rows["Client name"][0] == "New name"
        assert text_of(rows["Client name"][1].find("a")) == "Change client name"
        assert rows["Expiry date"][0] == "26 November 2027"
        assert rows["Expiry date"][1].find("a") is None
        assert [text_of(b) for b in buttons(check, "Save API client")] == ["Save API client"]
        assert links(check, "Cancel") == [url("inspect", api_client)]
        # Nothing changes before the answers are confirmed.
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"

        done = client.post(
            url("rename_check", api_client),
            {"submission": hidden_value(check, "submission")},
            follow=True,
        )

        assert done.redirect_chain == [(url("inspect", api_client), 302)]
        assert messages(done) == [("success", "API client updated")]
        assert heading(done) == "New name Active"
        assert ApiClient.objects.get(pk=api_client.pk).name == "New name"

    def test_change_from_the_check_page_keeps_the_new_name(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Old name")
        client.force_login(api_user)
        client.post(url("rename", api_client), {"name": "New name"})

        check = client.get(url("rename_check", api_client))
        change_url = summary(check)["Client name"][1].find("a")["href"]
        form_page = client.get(change_url)

        assert soup(form_page).select_one("input#id_name")["value"] == "New name"
        again = client.post(url("rename", api_client), {"name": "Newer name"}, follow=True)
        assert again.redirect_chain == [(url("rename_check", api_client), 302)]
        assert summary(again)["Client name"][0] == "Newer name"

    def test_a_fresh_visit_starts_from_the_current_name(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Old name")
        client.force_login(api_user)
        client.post(url("rename", api_client), {"name": "Abandoned"})

        form_page = client.get(url("rename", api_client))

        assert soup(form_page).select_one("input#id_name")["value"] == "Old name"
        # The abandoned answer is forgotten: the check page sends back to the form.
        assert client.get(url("rename_check", api_client))["Location"] == url("rename", api_client)

    def test_losing_a_race_for_the_name_shows_the_form_with_its_message(
        self, client, api_user, make_client
    ):
        api_client, _ = make_client(api_user, name="Old name")
        make_client(api_user, name="Taken")
        client.force_login(api_user)
        client.post(url("rename", api_client), {"name": "New name"})
        check = client.get(url("rename_check", api_client))

        # Another request took the name after this one's checks passed: only the
        # database's constraint sees it.
        with mock.patch("api_clients.services.validate_name", return_value="Taken"):
            response = client.post(
                url("rename_check", api_client), {"submission": hidden_value(check, "submission")}
            )

        assert response.status_code == 200
        assert page_title(response) == "Error: Change client name"
        assert field_error(response, "id_name") == "You already have an API client with this name"
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"
        assert not ApiClientLogEntry.objects.filter(action="api_clients.rename").exists()

    def test_a_check_page_from_another_tab_saves_nothing(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Old name")
        client.force_login(api_user)
        # Two tabs: each asks for a name, the second's answers replace the first's.
        client.post(url("rename", api_client), {"name": "First tab"})
        first = client.get(url("rename_check", api_client))
        client.post(url("rename", api_client), {"name": "Second tab"})

        stale = client.post(
            url("rename_check", api_client),
            {"submission": hidden_value(first, "submission")},
            follow=True,
        )

        # Not the name the first tab did not show: the answers to check again.
        assert stale.redirect_chain == [(url("rename_check", api_client), 302)]
        assert messages(stale) == [("warning", "Check your answers again before you continue.")]
        assert summary(stale)["Client name"][0] == "Second tab"
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"
        assert not ApiClientLogEntry.objects.filter(action="api_clients.rename").exists()
        # Nor does a POST without the page's key.
        assert client.post(url("rename_check", api_client))["Location"] == url(
            "rename_check", api_client
        )
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"

    @pytest.mark.parametrize(
        "draft", ["Bare name", *unreadable_drafts({"name": "Example"})], ids=repr
    )
    def test_answers_it_cannot_read_send_it_back_to_the_form(
        self, client, api_user, make_client, draft
    ):
        api_client, _ = make_client(api_user, name="Old name")
        client.force_login(api_user)
        session = client.session
        # A bare name is what an older release kept.
        session[f"api_clients:rename:{api_client.pk}"] = draft
        session.save()

        assert client.get(url("rename_check", api_client))["Location"] == url("rename", api_client)
        response = client.post(url("rename_check", api_client), {"submission": "a" * 32})
        assert response["Location"] == url("rename", api_client)
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    @pytest.mark.parametrize(
        ("page", "method", "data"),
        [
            ("rename", "get", {}),
            ("rename", "post", {"name": "Sneaky"}),
            ("rename_check", "get", {}),
            ("rename_check", "post", {}),
        ],
    )
    def test_an_inactive_client_cannot_be_renamed_by_any_route(
        self, client, manager, api_user, make_client, state, page, method, data
    ):
        api_client, _ = make_client(api_user, name="Old name")
        client.force_login(api_user)
        # An answer given while it was still active.
        client.post(url("rename", api_client), {"name": "Sneaky"})
        if state == "expired":
            expire(api_client)
        else:
            revoke_api_client(api_client, user=manager)

        response = getattr(client, method)(url(page, api_client), data, follow=True)

        assert response.redirect_chain == [(url("inspect", api_client), 302)]
        assert messages(response) == [("error", "Only active API clients can be changed.")]
        assert ApiClient.objects.get(pk=api_client.pk).name == "Old name"


class TestRevoke:
    def test_the_confirmation_page_then_the_revoked_client(self, client, api_user, make_client):
        api_client, token = make_client(api_user, name="Finance feed")
        client.force_login(api_user)

        confirm = client.get(url("revoke", api_client))

        assert confirm.status_code == 200
        assert page_title(confirm) == "Confirm you want to revoke Finance feed"
        assert heading(confirm) == "Confirm you want to revoke Finance feed"
        assert caption(confirm) == "Revoke API client"
        assert "Revoking an API client cannot be undone." in main_text(confirm)
        [button] = buttons(confirm, "Revoke API client")
        assert "serious" in button["class"]
        assert button.find_parent("form")["action"] == url("revoke", api_client)
        assert button.find_parent("form")["method"].upper() == "POST"
        assert links(confirm, "Cancel") == [url("inspect", api_client)]
        assert ApiClient.objects.get(pk=api_client.pk).revoked_at is None

        done = client.post(url("revoke", api_client), follow=True)

        assert done.redirect_chain == [(url("inspect", api_client), 302)]
        assert messages(done) == [("success", "API client revoked")]
        assert heading(done) == "Finance feed Revoked"
        assert summary(done)["Client name"][1].find("a") is None
        assert links(done, "Revoke API client") == []
        assert main(done).find("a", href=url("rename", api_client)) is None
        revoked = ApiClient.objects.get(pk=api_client.pk)
        assert revoked.revoked_at is not None
        assert revoked.revoked_by == api_user
        assert client.get("/api/v1/info", headers=bearer(token)).status_code == 401


class TestDelete:
    @pytest.mark.parametrize("state", ["active", "expired", "revoked"])
    def test_the_confirmation_page_then_the_list(
        self, client, manager, api_user, make_client, state
    ):
        api_client, token = make_client(api_user, name="Finance feed")
        make_client(api_user, name="Another feed")
        if state == "expired":
            expire(api_client)
        elif state == "revoked":
            revoke_api_client(api_client, user=manager)
        client.force_login(api_user)

        confirm = client.get(url("delete", api_client))

        assert confirm.status_code == 200
        assert page_title(confirm) == "Confirm you want to delete Finance feed"
        assert heading(confirm) == "Confirm you want to delete Finance feed"
        assert caption(confirm) == "Delete API client"
        assert "Deleting an API client cannot be undone." in main_text(confirm)
        [button] = buttons(confirm, "Delete API client")
        assert "serious" in button["class"]
        assert button.find_parent("form")["action"] == url("delete", api_client)
        assert links(confirm, "Cancel") == [url("inspect", api_client)]
        assert ApiClient.objects.get(pk=api_client.pk).deleted_at is None

        done = client.post(url("delete", api_client), follow=True)

        assert done.redirect_chain == [(INDEX_URL, 302)]
        assert messages(done) == [("success", "API client deleted")]
        rows = [text_of(a) for a in soup(done).select("#listing-results td.title a")]
        assert rows == ["Another feed"]
        deleted = ApiClient.objects.get(pk=api_client.pk)
        assert deleted.deleted_at is not None
        assert deleted.deleted_by == api_user
        assert client.get(url("inspect", api_client)).status_code == 404
        assert client.get("/api/v1/info", headers=bearer(token)).status_code == 401

    def test_a_deleted_clients_name_can_be_used_again(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Finance feed")
        client.force_login(api_user)
        client.post(url("delete", api_client))

        response = client.post(
            url("add"),
            {
                "name": "finance FEED",
                "expiry_date_day": "1",
                "expiry_date_month": "1",
                "expiry_date_year": str(today().year + 1),
            },
        )

        assert response.status_code == 302
        assert response["Location"] == url("add_check")


class TestPageChrome:
    @pytest.mark.parametrize(
        ("page", "crumbs"),
        [
            ("inspect", ["Home", "API clients", "Feed"]),
            ("rename", ["Home", "API clients", "Feed", "Change client name"]),
            ("revoke", ["Home", "API clients", "Feed", "Revoke API client"]),
            ("delete", ["Home", "API clients", "Feed", "Delete API client"]),
        ],
    )
    def test_breadcrumbs_lead_back_to_the_list(self, client, api_user, make_client, page, crumbs):
        api_client, _ = make_client(api_user, name="Feed")
        client.force_login(api_user)

        response = client.get(url(page, api_client))

        items = soup(response).select("nav[aria-label=Breadcrumb] li")
        assert [text_of(item) for item in items] == crumbs
        assert items[1].find("a")["href"] == INDEX_URL

    def test_the_add_page_title_and_heading(self, client, api_user):
        client.force_login(api_user)

        response = client.get(url("add"))

        assert page_title(response) == "Add API client"
        assert heading(response) == "Add API client"
        assert re.search(r"Add API client", text_of(soup(response).select_one("nav ol")))


def test_a_client_of_a_deactivated_owner_says_its_token_does_not_work(
    client, manager, api_user, make_client
):
    api_client, _ = make_client(api_user)
    note = "The user who created this API client has been deactivated, so its token does not work."
    client.force_login(manager)
    assert note not in client.get(url("inspect", api_client)).content.decode()

    api_user.is_active = False
    api_user.save()

    assert note in client.get(url("inspect", api_client)).content.decode()
