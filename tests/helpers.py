"""What the tests share: reading the admin's HTML, and calling the register API.

Pages are read the way a person (or a screen reader) meets them: the page title,
the visible heading, the messages, the rows of a summary list, the cells of a
table, with whitespace collapsed.
"""

import datetime
import json
import pickle
import re

from bs4 import BeautifulSoup
from django.core.cache import caches
from django.db import connection
from django.urls import reverse

from api_clients.dates import add_months, format_date, today
from api_clients.models import (
    ApiClient,
    ApiClientLogEntry,
    ApiClientUsage,
    ApiClientUserObjectPermission,
)

INDEX_URL = reverse("api_clients:index")
ADD_URL = reverse("api_clients:add")
ADD_CHECK_URL = reverse("api_clients:add_check")
SITE_HISTORY_URL = reverse("wagtailadmin_reports:site_history")


def bearer(token):
    """The headers of a register API request with this token."""
    return {"Authorization": f"Bearer {token}"}


def url(name, client=None):
    """The URL of one of the section's pages, for a client where it is about one."""
    args = (client if isinstance(client, int) else client.pk,) if client is not None else ()
    return reverse(f"api_clients:{name}", args=args)


def squash(text):
    return re.sub(r"\s+", " ", text or "").strip()


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def text_of(element):
    return squash(element.get_text(" ")) if element is not None else ""


def page_title(response):
    """The <title>, without Wagtail's " - Wagtail" suffix."""
    title = text_of(soup(response).title)
    return re.sub(r" - Wagtail$", "", title)


def heading(response):
    """The page's visible heading, with its status tag if it has one."""
    return text_of(soup(response).select_one("#page-heading"))


def caption(response):
    """The caption above the page heading (like "Add API client")."""
    element = soup(response).select_one(".api-clients-heading > p")
    return text_of(element)


def main(response):
    return soup(response).select_one("main")


def main_text(response):
    return text_of(main(response))


def messages(response):
    """The admin's messages, as (level, text) pairs."""
    container = soup(response).select_one(".messages [data-w-messages-target='container']")
    if container is None:
        return []
    found = []
    for li in container.find_all("li"):
        for button in li.find_all("button"):
            # Wagtail's hidden "Go to the first error" button on error messages.
            button.decompose()
        found.append((" ".join(li.get("class", [])), text_of(li)))
    return found


def summary(response):
    """A summary list (<dl>) as {label: (value, action)}."""
    rows = {}
    for row in soup(response).select("dl.api-clients-summary .api-clients-summary__row"):
        dds = row.find_all("dd")
        action = row.select_one(".api-clients-summary__action")
        value = next((dd for dd in dds if dd is not action), None)
        rows[text_of(row.dt)] = (text_of(value), action)
    return rows


def table_rows(response, selector="#listing-results table.listing"):
    """The body rows of a listing table, each a list of cell texts."""
    table = soup(response).select_one(selector)
    if table is None:
        return []
    return [[text_of(td) for td in tr.find_all("td")] for tr in table.select("tbody tr")]


def table_headers(response, selector="#listing-results table.listing"):
    table = soup(response).select_one(selector)
    return [text_of(th) for th in table.select("thead th")] if table is not None else []


def links(response, text):
    """The hrefs of the links in <main> whose text is ``text``."""
    return [a.get("href") for a in main(response).find_all("a") if text_of(a) == text]


def buttons(response, text):
    """The <button> elements in <main> whose text is ``text``."""
    return [b for b in main(response).find_all("button") if text_of(b) == text]


def menu_item_names(response):
    """The names of the items in the admin's main menu (the sidebar)."""
    props = json.loads(soup(response).select_one("#wagtail-sidebar-props").string)
    for module in props["modules"]:
        if module["_type"] == "wagtail.sidebar.MainMenuModule":
            return [item["_args"][0]["name"] for item in module["_args"][0]]
    return []


def field_error(response, field_id):
    """The error message shown at a field (the date field's id is its fieldset's)."""
    page = soup(response)
    if field_id == "id_expiry_date":
        wrapper = page.select_one("#id_expiry_date-errors")
    else:
        wrapper = page.select_one(f"#{field_id}").find_parent(attrs={"data-field": True})
    return text_of(wrapper.select_one(".error-message")) if wrapper is not None else ""


def error_summary(response):
    """The error summary's messages, as (text, link target) pairs."""
    box = soup(response).select_one(".api-clients-error-summary")
    if box is None:
        return []
    return [(text_of(a), a.get("href")) for a in box.select("li a")]


def hidden_value(response, name):
    element = soup(response).select_one(f"input[type=hidden][name={name}]")
    return element.get("value") if element is not None else None


def rename_through_the_admin(client, api_client, name):
    """Both steps, as a person takes them: the form, then the check page's button."""
    client.post(url("rename", api_client), {"name": name})
    check = client.get(url("rename_check", api_client))
    return client.post(
        url("rename_check", api_client), {"submission": hidden_value(check, "submission")}
    )


def in_days(days):
    return today() + datetime.timedelta(days=days)


def horizon():
    return add_months(today(), 12)


def between_message():
    return f"Expiry date must be between {format_date(today())} and {format_date(horizon())}"


def add_data(name="Student records system", expiry_date=None, **parts):
    """The POST data of step 1 of "Add API client"."""
    expiry_date = expiry_date or in_days(30)
    data = {
        "name": name,
        "expiry_date_day": str(expiry_date.day),
        "expiry_date_month": str(expiry_date.month),
        "expiry_date_year": str(expiry_date.year),
    }
    data.update({f"expiry_date_{part}": value for part, value in parts.items()})
    return data


def expire(client, days_ago=1):
    """Make a client expired, as time would: its expiry date passes."""
    ApiClient.objects.filter(pk=client.pk).update(
        expiry_date=today() - datetime.timedelta(days_ago)
    )
    client.refresh_from_db()
    return client


def database_state():
    """Everything an admin action could change, to compare before and after a request."""
    return {
        "clients": list(
            ApiClient.objects.order_by("pk").values(
                "pk",
                "name",
                "expiry_date",
                "owner_id",
                "token_digest",
                "revoked_at",
                "revoked_by_id",
                "deleted_at",
                "deleted_by_id",
            )
        ),
        "log_entries": list(ApiClientLogEntry.objects.order_by("pk").values_list("pk", "action")),
        "usage_records": ApiClientUsage.objects.count(),
        "object_permissions": list(
            ApiClientUserObjectPermission.objects.order_by("pk").values_list(
                "user_id", "permission_id", "content_object_id"
            )
        ),
    }


def unreadable_drafts(good):
    """Session answers a flow cannot read, made from a good set of its answers.

    Each flow keeps its answers with a ``submission`` key between its steps;
    these are what an older release, or a broken session, might leave instead.
    """
    good = {**good, "submission": "a" * 32}
    yield "not a dict"
    yield {}
    yield {key: value for key, value in good.items() if key != "submission"}
    yield {**good, "submission": 5}
    for name in good:
        if name != "submission":
            yield {key: value for key, value in good.items() if key != name}
            yield {**good, name: None}
    if "expiry_date" in good:
        yield {**good, "expiry_date": "2027-02-30"}
        yield {**good, "expiry_date": 20270101}
    if "overlap" in good:
        yield {**good, "overlap": "forever"}
        yield {**good, "overlap": ["24h"]}


def all_database_text():
    """Every value in every table, as text: where a token must never be."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            found.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(found)


def all_cache_text():
    """Every value in the shared cache (local memory or Redis), as text."""
    cache = caches["default"]
    backend = type(cache).__name__
    if backend == "LocMemCache":
        values = [pickle.loads(value) for value in cache._cache.values()]  # noqa: S301
        return repr(values)
    if backend == "RedisCache":
        redis = cache._cache.get_client()
        return repr([redis.get(key) for key in redis.scan_iter()])
    raise AssertionError(f"Cannot read a {backend}")


def all_session_text():
    from django.contrib.sessions.models import Session

    return "\n".join(repr(session.get_decoded()) for session in Session.objects.all())


def assert_kept_nowhere(token, responses, browser, caplog):
    """A token shown once is in no redirect, session, table, cache entry, cookie or log."""
    assert all(token not in response.get("Location", "") for response in responses)
    assert token not in all_session_text()
    assert token not in all_database_text()
    caches["default"].set("probe", "the cache is read")
    assert "the cache is read" in all_cache_text()
    assert token not in all_cache_text()
    assert token not in repr(browser.cookies)
    assert token not in caplog.text
