"""The site history report lists, filters, pages and exports what Wagtail's own report does.

The app serves the report at Wagtail's paths with ``SiteHistoryView``, which reads
each log table's timestamp index instead of sorting every entry. Here both
answer the same requests, Wagtail's own mounted beside it
(``tests/wagtail_report_urls.py``), for every role, filter and page.
"""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import resolve
from django.utils import timezone
from helpers import SITE_HISTORY_URL, soup, text_of
from wagtail.models import ModelLogEntry, Page, PageLogEntry
from wagtail.models.audit_log import LogEntryQuerySet
from wagtail_report_urls import WAGTAIL_REPORT_RESULTS_URL, WAGTAIL_REPORT_URL

from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.views.pagination import CappedCountPaginator
from api_clients.views.site_history import SiteHistoryView

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wagtail_report_urls")]

SITE_HISTORY_RESULTS_URL = f"{SITE_HISTORY_URL}results/"
ROLES = ["superuser", "manager", "api_user"]
ENTRIES = 130  # three pages of fifty


@pytest.fixture
def mixed_log(api_user, other_api_user, manager, superuser, make_client):
    """Entries of all three log models, a minute apart, by several users and the system."""
    mine = [make_client(api_user, name=f"Mine {n}")[0] for n in range(2)]
    theirs = make_client(other_api_user, name="Theirs")[0]
    page = Page.objects.get(depth=2)
    group = Group.objects.get(name="API users")
    users = [api_user, manager, superuser, None]
    start = timezone.now() - datetime.timedelta(days=1)
    for n in range(ENTRIES):
        when = {"timestamp": start - datetime.timedelta(minutes=n), "user": users[n % 4]}
        if n % 3 == 0:
            client = (mine[0], theirs, mine[1])[n % 9 // 3]
            action = ("api_clients.revoke", "wagtail.edit", "api_clients.create")[n % 5 % 3]
            ApiClientLogEntry.objects.log_action(client, action, **when)
        elif n % 3 == 1:
            PageLogEntry.objects.log_action(
                page, ("wagtail.edit", "wagtail.publish")[n % 2], **when
            )
        else:
            ModelLogEntry.objects.log_action(group, "wagtail.edit", **when)
    return start


def rows(response):
    """Every row of the listing: its cells' text, links, and each time's exact moment."""
    found = []
    for tr in soup(response).select("table.listing tbody tr"):
        cells = []
        for td in tr.find_all("td"):
            time = td.find("time")
            cells.append(time["datetime"] if time else text_of(td))
            cells.extend(a["href"] for a in td.find_all("a", href=True))
        found.append(tuple(cells))
    return found


def page_of(client, url, params, number):
    """The rows of one page of the listing, and its page navigation's text.

    The navigation names the entries after the first log model of the report:
    Wagtail's order of its log models, where an API-only user's report has one.
    """
    response = client.get(url, {**params, "p": number})
    assert response.status_code == 200, response.status_code
    nav = text_of(soup(response).select_one("nav.w-pagination, .pagination"))
    return rows(response), re.sub(r"(\d) [A-Za-z ]*log entries", r"\1 log entries", nav)


def pages_of(client, url, params):
    """Every page of the listing, in order, as ``page_of`` gives them."""
    first = page_of(client, url, params, 1)
    found = re.search(r"Page 1 of (\d+)", first[1])
    assert found, first
    last = int(found[1])
    return [first] + [page_of(client, url, params, number) for number in range(2, last + 1)]


def filter_choices(response):
    """What the filter form offers: each field's name with its choices' values."""
    form = soup(response).select_one("form[data-controller~='w-swap'], #filters-drawer form")
    form = form or soup(response)
    choices = set()
    for field in form.select("input[name], select[name] option"):
        name = field.get("name") or field.find_parent("select")["name"]
        if field.name == "option" or field.get("type") in ("checkbox", "radio"):
            choices.add((name, field.get("value")))
    return choices


def filters(api_user, start):
    api_client_type = ContentType.objects.get_for_model(ApiClient).pk
    day = (start - datetime.timedelta(hours=1)).date().isoformat()
    return [
        {},
        {"action": "wagtail.edit"},
        {"action": ["api_clients.revoke", "wagtail.publish"]},
        {"label": "Mine"},
        {"object_type": api_client_type},
        {"timestamp_from": day, "timestamp_to": day},
        {"user": api_user.pk},
        {"action": "api_clients.create", "label": "1"},
    ]


@pytest.mark.parametrize("who", ROLES)
def test_every_page_lists_the_entries_wagtails_report_lists_in_its_order(
    client, request, mixed_log, api_user, who
):
    client.force_login(request.getfixturevalue(who))
    for params in filters(api_user, mixed_log):
        ours = pages_of(client, SITE_HISTORY_URL, params)
        assert ours == pages_of(client, WAGTAIL_REPORT_URL, params), (who, params)
        if not params:
            listed = [row for page_rows, _nav in ours for row in page_rows]
            assert (
                len(listed)
                == len(set(listed))
                == {
                    "superuser": ENTRIES + 3,  # every model's entries, each once
                    "manager": ENTRIES // 3 + 1 + 3,
                    "api_user": 31,
                }[who]
            )
    # The results alone, which the filters fetch, as Wagtail's.
    for params in ({}, {"action": "wagtail.edit"}):
        assert page_of(client, SITE_HISTORY_RESULTS_URL, params, 2) == page_of(
            client, WAGTAIL_REPORT_RESULTS_URL, params, 2
        )


@pytest.mark.parametrize("who", ROLES)
def test_the_filters_offer_what_wagtails_report_offers(client, request, mixed_log, who):
    client.force_login(request.getfixturevalue(who))

    ours = filter_choices(client.get(SITE_HISTORY_URL))

    assert ours == filter_choices(client.get(WAGTAIL_REPORT_URL))
    assert ("action", "wagtail.edit") in ours


@pytest.mark.parametrize("who", ROLES)
def test_the_exports_hold_what_wagtails_report_exports(client, request, mixed_log, api_user, who):
    client.force_login(request.getfixturevalue(who))
    for params in filters(api_user, mixed_log)[:5]:
        ours = client.get(SITE_HISTORY_URL, {**params, "export": "csv"})
        wagtails = client.get(WAGTAIL_REPORT_URL, {**params, "export": "csv"})
        assert ours.status_code == wagtails.status_code == 200
        ours_rows = list(csv.reader(io.StringIO(ours.getvalue().decode())))
        assert ours_rows == list(csv.reader(io.StringIO(wagtails.getvalue().decode())))
        assert len(ours_rows) > 1

    ours = client.get(SITE_HISTORY_URL, {"export": "xlsx"})
    wagtails = client.get(WAGTAIL_REPORT_URL, {"export": "xlsx"})
    assert sheet_values(ours) == sheet_values(wagtails)


def sheet_values(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_an_api_only_user_gets_their_own_clients_entries_only(client, mixed_log, api_user):
    client.force_login(api_user)

    listed = [row for rows_, _nav in pages_of(client, SITE_HISTORY_URL, {}) for row in rows_]

    assert {row[2] for row in listed} == {"API client"}  # name, its link, type, …
    assert {row[0] for row in listed} == {"Mine 0", "Mine 1"}
    expected = ApiClientLogEntry.objects.filter(owner=api_user).count()
    assert len(listed) == expected


def test_entries_of_one_moment_are_each_listed_once_across_pages(client, superuser, api_user):
    api_client = ApiClient.objects.create(
        name="Tied", owner=api_user, expiry_date=datetime.date.today() + datetime.timedelta(days=9)
    )
    moment = timezone.now() - datetime.timedelta(days=2)
    for n in range(60):
        ApiClientLogEntry.objects.log_action(
            api_client, "wagtail.edit", timestamp=moment, title=f"Entry {n}"
        )
        PageLogEntry.objects.log_action(
            Page.objects.get(depth=2), "wagtail.edit", timestamp=moment, title=f"Page {n}"
        )
    client.force_login(superuser)

    first, second, third = (page_of(client, SITE_HISTORY_URL, {}, n)[0] for n in (1, 2, 3))

    names = [row[0] for row in first + second + third]
    assert len(names) == len(set(names)) == 120


def test_pages_past_the_counted_limit_are_wagtails_pages(client, monkeypatch, mixed_log, superuser):
    # Past the limit the total is estimated (or capped), and the pages stay right.
    monkeypatch.setattr(CappedCountPaginator, "exact_limit", 60)
    client.force_login(superuser)

    for number in (1, 2, 3):
        ours, nav = page_of(client, SITE_HISTORY_URL, {}, number)
        assert ours == page_of(client, WAGTAIL_REPORT_URL, {}, number)[0]
        assert len(ours) == (50, 50, ENTRIES + 3 - 100)[number - 1]


@pytest.mark.parametrize("who", ["manager", "api_user"])
def test_a_clients_filter_choices_are_wagtails(mixed_log, api_user, who, request):
    """The EXISTS probes answer what Wagtail's SELECT DISTINCT answers, for any queryset."""
    user = request.getfixturevalue(who)
    api_client = ApiClient.objects.get(name="Mine 0")
    of_client = ApiClientLogEntry.objects.for_instance(api_client)
    if hasattr(of_client, "latest_by_uuid_and_action"):  # Wagtail 8: as its history page asks
        of_client = of_client.latest_by_uuid_and_action()
    querysets = [
        ApiClientLogEntry.objects.viewable_by_user(user),
        of_client,
        ApiClientLogEntry.objects.filter(action="api_clients.revoke"),
        ApiClientLogEntry.objects.none(),
    ]
    for queryset in querysets:
        assert queryset.get_actions() == LogEntryQuerySet.get_actions(queryset)
        assert queryset.get_content_type_ids() == LogEntryQuerySet.get_content_type_ids(queryset)
        assert queryset.get_user_ids() == LogEntryQuerySet.get_user_ids(queryset) - {None}
        assert list(queryset.get_users()) == list(LogEntryQuerySet.get_users(queryset))


def test_the_reports_paths_are_the_apps(client):
    for path in (SITE_HISTORY_URL, SITE_HISTORY_RESULTS_URL):
        assert issubclass(resolve(path).func.view_class, SiteHistoryView)
