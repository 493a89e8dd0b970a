"""The overview managers need: the list's columns, sorting, filters and search, the
dashboard panel, refused requests, and how times read."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from helpers import INDEX_URL, soup, squash, table_headers, text_of, url
from test_admin_queries import bulk_clients, bulk_usage

from api_clients.dates import format_time, today
from api_clients.models import ApiClient, ApiClientDailyUsage, ApiClientUsage, RefusalReason
from api_clients.services import delete_api_client, revoke_api_client
from api_clients.views.index import OWNER_CHOICES_LIMIT

pytestmark = pytest.mark.django_db

DASHBOARD_URL = "/admin/"


def rows(response):
    """Each row of the list: name, expiry date, its note, last used, status."""
    found = []
    for row in soup(response).select("#listing-results table.listing tbody tr"):
        cells = row.find_all("td")
        note = cells[1].select_one(".w-text-text-meta")
        found.append(
            {
                "name": text_of(cells[0].select_one(".title-wrapper a")),
                "expiry_date": squash(cells[1].find(string=True)),
                "expires_in": text_of(note) if note is not None else None,
                "last_used": text_of(cells[2]),
                "status": text_of(cells[3]),
            }
        )
    return found


def names(response):
    return [row["name"] for row in rows(response)]


def use(api_client, *, at, refused=""):
    ApiClientUsage.objects.create(
        client=api_client,
        requested_at=at,
        method="GET",
        path="/api/v1/info",
        status_code=401 if refused else 200,
        duration_ms=3,
        refusal_reason=refused,
    )


def in_days(days):
    return today() + datetime.timedelta(days=days)


@pytest.fixture
def priya(make_user):
    return make_user(
        "ppatel",
        group="API users",
        first_name="Priya",
        last_name="Patel",
        email="priya.patel@example.org",
    )


class TestColumns:
    def test_the_four_columns(self, client, manager, make_client):
        make_client(manager)
        client.force_login(manager)

        response = client.get(INDEX_URL)

        assert table_headers(response) == ["Client name", "Expiry date", "Last used", "Status"]

    def test_last_used_is_the_latest_request_or_never(self, client, manager, api_user, make_client):
        used, _ = make_client(api_user, name="Used")
        make_client(api_user, name="Unused")
        london = zoneinfo.ZoneInfo("Europe/London")
        use(used, at=datetime.datetime(2026, 11, 1, 9, 5, tzinfo=london))
        latest = datetime.datetime(2026, 11, 29, 14, 39, tzinfo=london)
        use(used, at=latest, refused=RefusalReason.RATE_LIMITED)
        client.force_login(manager)

        found = {row["name"]: row["last_used"] for row in rows(client.get(INDEX_URL))}

        assert found == {"Used": "29 November 2026, 2:39pm", "Unused": "Never"}

    @pytest.mark.parametrize(
        ("days", "note"),
        [
            (0, "Expires today"),
            (1, "Expires tomorrow"),
            (2, "Expires in 2 days"),
            (30, "Expires in 30 days"),
            (31, None),
        ],
    )
    def test_active_clients_within_30_days_say_when_they_expire(
        self, client, manager, api_user, make_client, days, note
    ):
        make_client(api_user, expiry_date=in_days(days))
        client.force_login(manager)

        [row] = rows(client.get(INDEX_URL))

        assert row["expires_in"] == note

    def test_no_note_unless_active(self, client, manager, api_user, make_user, make_client):
        revoked, _ = make_client(api_user, name="Revoked", expiry_date=in_days(3))
        revoke_api_client(revoked, user=manager)
        gone = make_user("gone", group="API users")
        make_client(gone, name="Owner gone", expiry_date=in_days(3))
        gone.is_active = False
        gone.save()
        client.force_login(manager)

        found = {
            row["name"]: (row["expires_in"], row["status"]) for row in rows(client.get(INDEX_URL))
        }

        assert found == {"Revoked": (None, "Revoked"), "Owner gone": (None, "Owner deactivated")}


class TestSorting:
    @pytest.fixture
    def three(self, api_user, make_client):
        soon, _ = make_client(api_user, name="Soon", expiry_date=in_days(5))
        later, _ = make_client(api_user, name="Later", expiry_date=in_days(200))
        never, _ = make_client(api_user, name="Never used", expiry_date=in_days(100))
        now = timezone.now()
        use(soon, at=now - datetime.timedelta(days=3))
        use(later, at=now - datetime.timedelta(hours=1))
        return soon, later, never

    @pytest.mark.parametrize(
        ("ordering", "expected"),
        [
            ("expiry_date", ["Soon", "Never used", "Later"]),
            ("-expiry_date", ["Later", "Never used", "Soon"]),
            # Never used sorts last both ways.
            ("last_used_at", ["Soon", "Later", "Never used"]),
            ("-last_used_at", ["Later", "Soon", "Never used"]),
            # Unknown orderings fall back to newest first.
            ("name; DROP TABLE", ["Never used", "Later", "Soon"]),
            ("token_digest", ["Never used", "Later", "Soon"]),
        ],
    )
    def test_by_expiry_date_and_last_used(self, client, manager, three, ordering, expected):
        client.force_login(manager)

        assert names(client.get(INDEX_URL, {"ordering": ordering})) == expected

    def test_the_two_columns_offer_sorting(self, client, manager, three):
        client.force_login(manager)

        page = soup(client.get(INDEX_URL))

        sortable = {
            text_of(link) for link in page.select("#listing-results thead th a[href*='ordering=']")
        }
        assert sortable == {"Expiry date", "Last used"}


class TestStatusFilter:
    @pytest.fixture
    def every_status(self, api_user, manager, make_user, make_client):
        make_client(api_user, name="Active far", expiry_date=in_days(90))
        make_client(api_user, name="Active soon", expiry_date=in_days(30))
        expired, _ = make_client(api_user, name="Expired")
        ApiClient.objects.filter(pk=expired.pk).update(expiry_date=in_days(-1))
        revoked, _ = make_client(api_user, name="Revoked", expiry_date=in_days(2))
        revoke_api_client(revoked, user=manager)
        gone = make_user("gone", group="API users")
        make_client(gone, name="Owner gone", expiry_date=in_days(3))
        gone.is_active = False
        gone.save()

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("active", {"Active far", "Active soon"}),
            ("expiring_soon", {"Active soon"}),
            ("expired", {"Expired"}),
            ("revoked", {"Revoked"}),
            ("owner_deactivated", {"Owner gone"}),
            ("", {"Active far", "Active soon", "Expired", "Revoked", "Owner gone"}),
        ],
    )
    def test_each_choice(self, client, manager, every_status, status, expected):
        client.force_login(manager)

        assert set(names(client.get(INDEX_URL, {"status": status}))) == expected

    def test_the_choices_in_order(self, client, manager, every_status):
        client.force_login(manager)

        options = soup(client.get(INDEX_URL)).select("select[name=status] option")

        assert [text_of(option) for option in options] == [
            "Any",
            "Active",
            "Expires within 30 days",
            "Expired",
            "Revoked",
            "Owner deactivated",
        ]

    @pytest.mark.parametrize("value", ["bogus", "'; DROP TABLE x", "\x00", "a" * 5000])
    def test_hostile_values_are_ignored_not_an_error(self, client, manager, every_status, value):
        client.force_login(manager)

        response = client.get(INDEX_URL, {"status": value, "owner": value})

        assert response.status_code == 200


class TestOwnerFilterAndSearch:
    def test_managers_filter_by_owner(self, client, manager, api_user, priya, make_client):
        make_client(api_user, name="Theirs")
        make_client(priya, name="Hers")
        client.force_login(manager)

        response = client.get(INDEX_URL, {"owner": priya.pk})

        assert names(response) == ["Hers"]
        options = [text_of(o) for o in soup(response).select("select[name=owner] option")]
        assert "Priya Patel" in options and "owner" in options

    def test_past_a_hundred_owners_the_owner_is_typed_not_picked(
        self, client, manager, api_user, priya, make_client, django_assert_num_queries
    ):
        many = get_user_model().objects.bulk_create(
            get_user_model()(username=f"owner-{n:03}", email=f"owner-{n:03}@example.com")
            for n in range(OWNER_CHOICES_LIMIT)
        )
        bulk_clients(many, OWNER_CHOICES_LIMIT)
        client.force_login(manager)
        client.get(INDEX_URL)  # Warm up: content types, the session.
        with django_assert_num_queries(11):
            response = client.get(INDEX_URL)
        assert soup(response).select("select[name=owner] option")  # 100 owners: a list

        make_client(priya, name="Hers")
        with django_assert_num_queries(11):
            response = client.get(INDEX_URL, {"owner": "Priya Pat"})

        assert soup(response).select("select[name=owner]") == []
        box = soup(response).select_one("input[name=owner]")
        assert box["value"] == "Priya Pat"
        assert names(response) == ["Hers"]
        response = client.get(INDEX_URL, {"owner": "owner-042@example"})
        assert names(response) == [f"Bulk client {42}"]

    @pytest.mark.parametrize(
        ("value", "matches_hers"),
        [
            ("%", False),  # matched as text, not as a pattern
            ("_", False),
            (" ", True),  # nothing typed: every owner
            ("\x00", True),  # not text a form takes: ignored, like a bad choice
            ("a" * 5000, True),
        ],
    )
    def test_a_typed_owner_takes_any_text(
        self, client, manager, priya, make_client, value, matches_hers
    ):
        many = get_user_model().objects.bulk_create(
            get_user_model()(username=f"owner-{n:03}") for n in range(OWNER_CHOICES_LIMIT + 1)
        )
        bulk_clients(many, OWNER_CHOICES_LIMIT + 1)
        make_client(priya, name="Hers")
        client.force_login(manager)

        response = client.get(INDEX_URL, {"owner": value})

        assert response.status_code == 200
        assert ("Hers" in names(response)) is matches_hers

    def test_api_users_have_no_owner_filter(self, client, api_user, priya, make_client):
        make_client(api_user, name="Mine")
        make_client(priya, name="Hers")
        client.force_login(api_user)

        response = client.get(INDEX_URL, {"owner": priya.pk})

        assert soup(response).select("select[name=owner]") == []
        assert names(response) == ["Mine"]

    @pytest.mark.parametrize(
        "query", ["Patel", "priya", "Priya Patel", "ppatel", "priya.patel@example", "Hers"]
    )
    def test_managers_search_the_owners_name_username_and_email(
        self, client, manager, api_user, priya, make_client, query
    ):
        make_client(api_user, name="Theirs")
        make_client(priya, name="Hers")
        client.force_login(manager)

        assert names(client.get(INDEX_URL, {"q": query})) == ["Hers"]

    def test_an_api_user_searches_only_their_own_clients_by_name(
        self, client, api_user, priya, make_client
    ):
        make_client(api_user, name="Mine")
        make_client(priya, name="Hers")
        client.force_login(api_user)

        assert names(client.get(INDEX_URL, {"q": "Patel"})) == []
        assert names(client.get(INDEX_URL, {"q": "Hers"})) == []
        assert names(client.get(INDEX_URL, {"q": "mine"})) == ["Mine"]


class TestListQueries:
    """The same queries on a small and a large table, sorted, filtered or searched."""

    @pytest.fixture
    def owners(self, make_user, api_user):
        return [api_user] + [make_user(f"owner-{n}", group="API users") for n in range(4)]

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "?ordering=-last_used_at",
            "?ordering=expiry_date&status=expiring_soon",
            "?q=client&status=active",
        ],
    )
    # An API-only user's request also asks whether they belong to the API users group.
    @pytest.mark.parametrize(("who", "expected"), [("manager", 11), ("api_user", 11)])
    def test_a_fixed_number_of_queries_at_two_sizes(
        self, client, request, owners, django_assert_num_queries, query, who, expected
    ):
        user = request.getfixturevalue(who)
        client.force_login(user)
        for api_client in bulk_clients(owners, 20):
            bulk_usage(api_client, 3)
        client.get(INDEX_URL + query)  # Warm up: content types, the session.

        with django_assert_num_queries(expected):
            small = client.get(INDEX_URL + query)
        for api_client in bulk_clients(owners, 300, start=20):
            bulk_usage(api_client, 3)
        with django_assert_num_queries(expected):
            large = client.get(INDEX_URL + query)

        assert small.status_code == large.status_code == 200
        assert len(rows(large)) >= len(rows(small)) > 0


class TestDashboard:
    def panel(self, response):
        return soup(response).select_one("#api-clients-overview-section")

    def test_managers_see_the_three_numbers_each_linking_to_its_list(
        self, client, manager, api_user, make_user, make_client
    ):
        make_client(api_user, name="Far", expiry_date=in_days(90))
        soon, _ = make_client(api_user, name="Soon", expiry_date=in_days(10))
        revoked, _ = make_client(api_user, name="Revoked", expiry_date=in_days(10))
        revoke_api_client(revoked, user=manager)
        now = timezone.now()
        use(revoked, at=now - datetime.timedelta(hours=1), refused=RefusalReason.REVOKED)
        use(revoked, at=now - datetime.timedelta(hours=2), refused=RefusalReason.REVOKED)
        use(soon, at=now - datetime.timedelta(hours=3), refused=RefusalReason.RATE_LIMITED)
        use(soon, at=now - datetime.timedelta(hours=25), refused=RefusalReason.RATE_LIMITED)
        use(soon, at=now - datetime.timedelta(hours=1))
        client.force_login(manager)

        panel = self.panel(client.get(DASHBOARD_URL))

        assert "API clients" in text_of(panel)
        items = [
            (
                text_of(a.select_one(".api-clients-overview__count")),
                text_of(a.select_one(".api-clients-overview__label")),
                a["href"],
            )
            for a in panel.select("a.api-clients-overview__link")
        ]
        assert items == [
            ("2", "Active clients", f"{INDEX_URL}?status=active"),
            ("1", "Expiring within 30 days", f"{INDEX_URL}?status=expiring_soon"),
            ("3", "Refused requests in the last 24 hours", url("refused_requests")),
        ]
        # Each link leads to a list of what it counted.
        assert names(client.get(items[0][2])) == ["Soon", "Far"]
        assert names(client.get(items[1][2])) == ["Soon"]
        refused = client.get(items[2][2])
        assert len(soup(refused).select("#listing-results tbody tr")) == 3

    def test_refusals_counted_past_a_rate_limit_are_in_the_refused_number(
        self, client, manager, api_user, make_client
    ):
        flooded, _ = make_client(api_user, name="Flooded")
        now = timezone.now()
        # The flood's first refusal is a row; the rest are only counted.
        use(flooded, at=now - datetime.timedelta(minutes=5), refused=RefusalReason.RATE_LIMITED)
        for date, count in [(today(), 1200), (today() - datetime.timedelta(days=3), 999)]:
            ApiClientDailyUsage.objects.create(
                client=flooded, date=date, reason=RefusalReason.RATE_LIMITED, unrecorded=count
            )
        client.force_login(manager)

        panel = self.panel(client.get(DASHBOARD_URL))

        refused = panel.select("a.api-clients-overview__link")[2]
        assert text_of(refused.select_one(".api-clients-overview__count")) == "1201"
        # What the number links to shows the same: one listed, 1,200 counted.
        page = client.get(refused["href"])
        assert len(soup(page).select("#listing-results tbody tr")) == 1
        note = soup(page).select_one("[aria-labelledby=counted-refusals-title]")
        assert [squash(item.get_text()) for item in note.select("li")] == [
            "Flooded: 1,200 requests"
        ]

    def test_the_panel_costs_the_same_queries_at_two_sizes(
        self, client, manager, api_user, django_assert_num_queries
    ):
        client.force_login(manager)
        client.get(DASHBOARD_URL)
        bulk_clients([api_user], 5)
        with CaptureQueriesContext(connection) as small:
            client.get(DASHBOARD_URL)
        for api_client in bulk_clients([api_user], 200, start=5):
            bulk_usage(api_client, 5)
        with django_assert_num_queries(len(small.captured_queries)):
            client.get(DASHBOARD_URL)

    def test_admin_users_without_api_client_permissions_get_no_panel(self, client, make_user):
        editor = make_user("editor")
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(editor)

        assert self.panel(client.get(DASHBOARD_URL)) is None

    def test_a_manager_without_pages_searches_api_clients_not_pages(self, client, manager):
        client.force_login(manager)

        page = soup(client.get(DASHBOARD_URL))

        form = page.select_one("form[role=search]")
        assert form["action"] == INDEX_URL
        assert form.select_one("input[name=q]")["placeholder"] == "Search API clients…"
        assert "Search all pages" not in page.decode()

    def test_a_superuser_keeps_the_page_search(self, client, superuser):
        client.force_login(superuser)

        form = soup(client.get(DASHBOARD_URL)).select_one("form[role=search]")

        assert form.select_one("input[name=q]")["placeholder"] == "Search all pages…"
        assert form["action"] != INDEX_URL

    def test_the_admin_search_box_offers_api_clients_after_pages(self, rf, manager, superuser):
        from wagtail.admin.search import admin_search_areas

        request = rf.get("/admin/")
        request.user = manager
        assert [a.name for a in admin_search_areas.search_items_for_request(request)][:1] == [
            "api-clients"
        ]
        request.user = superuser
        shown = [a.name for a in admin_search_areas.search_items_for_request(request)]
        assert shown.index("pages") < shown.index("api-clients")


class TestRefusedRequests:
    def test_lists_the_last_24_hours_refusals_with_their_clients(
        self, client, manager, api_user, make_client
    ):
        live, _ = make_client(api_user, name="Live")
        gone, _ = make_client(api_user, name="Gone")
        now = timezone.now()
        use(live, at=now - datetime.timedelta(hours=1), refused=RefusalReason.RATE_LIMITED)
        use(live, at=now - datetime.timedelta(hours=2))
        use(live, at=now - datetime.timedelta(hours=30), refused=RefusalReason.RATE_LIMITED)
        use(gone, at=now - datetime.timedelta(hours=3), refused=RefusalReason.DELETED)
        delete_api_client(gone, user=manager)
        client.force_login(manager)

        response = client.get(url("refused_requests"))

        assert table_headers(response)[:2] == ["Time", "Client name"]
        table = soup(response).select("#listing-results tbody tr")
        assert [text_of(row.find_all("td")[1]) for row in table] == ["Live", "Gone"]
        # A deleted client's name, without a link to a page that is gone.
        assert table[0].find_all("td")[1].a["href"] == url("inspect", live)
        assert table[1].find_all("td")[1].a is None

    def test_refusals_counted_past_a_rate_limit_are_shown_by_client(
        self, client, manager, api_user, make_client
    ):
        busy, _ = make_client(api_user, name="Busy")
        quiet, _ = make_client(api_user, name="Quiet")
        gone, _ = make_client(api_user, name="Gone")
        day = today()
        old = day - datetime.timedelta(days=3)
        for api_client, date, reason, count in [
            (busy, day, RefusalReason.RATE_LIMITED, 1200),
            (busy, day, RefusalReason.EXPIRED, 30),
            (quiet, day, RefusalReason.RATE_LIMITED, 1),
            (gone, day, RefusalReason.RATE_LIMITED, 5),
            (quiet, old, RefusalReason.RATE_LIMITED, 999),  # before the last 24 hours
        ]:
            ApiClientDailyUsage.objects.create(
                client=api_client, date=date, reason=reason, unrecorded=count
            )
        delete_api_client(gone, user=manager)
        client.force_login(manager)

        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("refused_requests"))

        note = soup(response).select_one("[aria-labelledby=counted-refusals-title]")
        assert text_of(note.h2) == "Counted, not listed"
        assert [squash(item.get_text()) for item in note.select("li")] == [
            "Busy: 1,230 requests",
            "Gone: 5 requests",
            "Quiet: 1 request",
        ]
        assert [a["href"] for a in note.select("li a")] == [
            url("inspect", busy),
            url("inspect", quiet),
        ]
        ApiClientDailyUsage.objects.all().delete()
        with CaptureQueriesContext(connection) as without:
            response = client.get(url("refused_requests"))
        # One query for the counted refusals, however many there are.
        assert len(queries) == len(without)
        assert "Counted, not listed" not in text_of(soup(response))

    def test_says_so_when_there_are_none(self, client, manager):
        client.force_login(manager)

        response = client.get(url("refused_requests"))

        assert "No requests were refused in the last 24 hours." in text_of(soup(response))


class TestTimes:
    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (datetime.datetime(2026, 11, 29, 14, 39, 30), "29 November 2026, 2:39pm"),
            (datetime.datetime(2026, 11, 29, 0, 5), "29 November 2026, 12:05am"),
            (datetime.datetime(2026, 7, 1, 12, 0), "1 July 2026, 12:00pm"),
        ],
    )
    def test_one_format(self, moment, expected):
        aware = moment.replace(tzinfo=zoneinfo.ZoneInfo("Europe/London"))
        with timezone.override("Europe/London"):
            assert format_time(aware) == expected

    def test_the_history_page_reads_times_the_same_way(self, client, api_user, make_client):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)

        response = client.get(reverse("api_clients:history", args=(api_client.pk,)))

        text = text_of(soup(response).select_one("#listing-results"))
        assert "ago" not in text and "Just now" not in text
        assert format_time(ApiClient.objects.get().created_at) in text


class TestPageFixes:
    """What the pages lacked: each fixed, each checked through a real request."""

    @pytest.mark.parametrize("page", ["add", "rename"])
    def test_one_h1_on_form_pages_and_the_errors_the_field_names_exist(
        self, client, api_user, make_client, page
    ):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)
        target = url("add") if page == "add" else url("rename", api_client)
        data = {"name": " "}
        if page == "add":
            data.update(expiry_date_day="", expiry_date_month="", expiry_date_year="")

        response = client.post(target, data)

        html = soup(response)
        assert len(html.select("h1")) == 1
        name = html.select_one("#id_name")
        described = name["aria-describedby"].split()
        assert described
        for element_id in described:
            assert html.find(id=element_id) is not None, element_id
        assert "Enter client name" in text_of(html.find(id="id_name_error"))

    def test_the_token_page_says_how_to_use_it_and_links_to_the_docs(self, client, api_user):
        from test_admin_add import create

        client.force_login(api_user)
        _, response = create(client, name="Docs reader")

        html = soup(response)
        assert len(html.select("h1")) == 1
        assert "Authorization: Bearer <token>" in text_of(html.select_one("main"))
        [docs] = [a for a in html.select("main a") if text_of(a) == "Read the API documentation"]
        assert docs["href"] == "/api/v1/docs"

    def test_without_a_docs_url_the_token_page_has_no_docs_link(self, client, api_user, settings):
        from test_admin_add import create

        settings.API_CLIENTS = {**settings.API_CLIENTS, "API_DOCS_URL": ""}
        client.force_login(api_user)
        _, response = create(client, name="Docs reader")

        assert "Read the API documentation" not in response.content.decode()

    def test_the_requests_page_header_names_the_client(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="Student records system")
        client.force_login(api_user)

        response = client.get(url("requests", api_client))

        header = soup(response).select_one("header")
        assert "Student records system" in text_of(header.select_one("h1"))
        assert "Student records system" in text_of(header.select_one(".w-breadcrumbs__sublabel"))


class TestHistoryFilter:
    def test_the_date_filter_needs_no_inline_script_and_still_filters(
        self, client, api_user, make_client
    ):
        api_client, _ = make_client(api_user)
        client.force_login(api_user)
        history = reverse("api_clients:history", args=(api_client.pk,))

        page = soup(client.get(history))
        inline = [
            s for s in page.select("script:not([src])") if s.get("type") != "application/json"
        ]
        later = today() + datetime.timedelta(days=2)
        none = client.get(history, {"timestamp_from": later.isoformat()})
        some = client.get(history, {"timestamp_to": later.isoformat()})

        assert inline == []
        assert [i["type"] for i in page.select("input[name^=timestamp_]")] == ["date", "date"]
        assert len(soup(none).select("#listing-results tbody tr")) == 0
        assert len(soup(some).select("#listing-results tbody tr")) == 1
