"""History pages cost the same queries for every role, whatever the number of entries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from helpers import soup, url

from api_clients.models import ApiClientLogEntry
from api_clients.services import rename_api_client
from api_clients.views.pagination import CappedCountPaginator

pytestmark = pytest.mark.django_db

SITE_HISTORY = "/admin/reports/site-history/"


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response, [query["sql"] for query in queries.captured_queries]


def entry_links(response):
    from helpers import soup

    return [a["href"] for a in soup(response).select("#listing-results tbody a[href]")]


@pytest.mark.parametrize("who", ["api_user", "manager", "superuser"])
def test_the_site_history_costs_the_same_for_5_and_for_50_rows(
    client, request, api_user, make_client, who
):
    client.force_login(request.getfixturevalue(who))
    for number in range(5):
        make_client(api_user, name=f"Client {number}")
    client.get(SITE_HISTORY)
    few, few_queries = count_queries(client, SITE_HISTORY)
    for number in range(5, 50):
        make_client(api_user, name=f"Client {number}")
    many, many_queries = count_queries(client, SITE_HISTORY)

    assert len(many_queries) == len(few_queries), "\n".join(many_queries)
    # Every entry still links to its client's page: each was checked, in one go.
    links = [link for link in entry_links(many) if "/api-clients/inspect/" in link]
    assert len(links) == 50


def test_the_site_history_of_an_api_only_user_is_within_its_query_budget(
    client, api_user, make_client, make_user
):
    other = make_user("other-owner", group="API users")
    for number in range(50):
        make_client(api_user, name=f"Client {number}")
    make_client(other, name="Not theirs")
    client.force_login(api_user)
    client.get(SITE_HISTORY)

    response, queries = count_queries(client, SITE_HISTORY)

    # Session, user, permissions, the filters, the count, the page, the
    # clients and their permissions in one query each: nothing per row.
    assert len(queries) <= 30, "\n".join(queries)
    assert "Not theirs" not in response.content.decode()


@pytest.mark.parametrize("who", ["api_user", "manager"])
def test_a_client_history_costs_the_same_for_2_and_for_50_entries(
    client, request, api_user, make_client, who
):
    api_client, _ = make_client(api_user, name="Name 0")
    rename_api_client(api_client, name="Name 1", user=api_user)
    client.force_login(request.getfixturevalue(who))
    client.get(url("history", api_client))
    _, few = count_queries(client, url("history", api_client))
    for number in range(2, 50):
        rename_api_client(api_client, name=f"Name {number}", user=api_user)
    _, many = count_queries(client, url("history", api_client))

    assert len(many) == len(few), "\n".join(many)


HISTORY_PAGES = ["site history", "its results", "a client's history"]
# Queries per page, whatever the number of entries, pinned per role: the
# session, the user and their permissions, the filters' choices, the count,
# the page of entries, their users and clients, and their permissions.
PINNED_QUERIES = {
    "api_user": {"site history": 26, "its results": 23, "a client's history": 16},
    "manager": {"site history": 26, "its results": 23, "a client's history": 14},
    "superuser": {"site history": 24, "its results": 20, "a client's history": 12},
}


def log_entries(api_client, user, number):
    for _ in range(number):
        ApiClientLogEntry.objects.log_action(api_client, "wagtail.edit", user=user)


@pytest.mark.parametrize("past_the_limit", [False, True], ids=["counted", "estimated"])
@pytest.mark.parametrize("page", HISTORY_PAGES)
@pytest.mark.parametrize("who", ["api_user", "manager", "superuser"])
def test_history_pages_cost_the_same_queries_for_5_and_for_60_entries(
    client, request, monkeypatch, api_user, make_client, who, page, past_the_limit
):
    if past_the_limit:  # the total is estimated (PostgreSQL) or capped past 3 entries
        monkeypatch.setattr(CappedCountPaginator, "exact_limit", 3)
    api_client, _ = make_client(api_user, name="Client")
    path = {
        "site history": SITE_HISTORY,
        "its results": f"{SITE_HISTORY}results/",
        "a client's history": url("history", api_client),
    }[page]
    client.force_login(request.getfixturevalue(who))
    log_entries(api_client, api_user, 4)
    client.get(path)
    few, few_queries = count_queries(client, path)
    log_entries(api_client, api_user, 55)
    many, many_queries = count_queries(client, path)

    assert len(many_queries) == len(few_queries), "\n".join(many_queries)
    # Past the limit, PostgreSQL is asked for its estimate of the total.
    estimated = past_the_limit and connection.vendor == "postgresql"
    assert len(many_queries) == PINNED_QUERIES[who][page] + estimated, "\n".join(many_queries)
    # A full page, whatever the total.
    assert len(soup(many).select("table.listing tbody tr")) == (20 if "client" in page else 50)
