#!/usr/bin/env python
"""How the admin pages scale with the volume of usage records and audit entries, on PostgreSQL.

Builds, in a database of its own (created and dropped), bulk-loaded with
``generate_series``:

- usage: a busy client with 1.3 million requests in 30 days, a quiet one with
  300, and 10 million usage rows in all spread over 50 more clients;
- history: 1 million audit entries for the API-only user's two clients.

and prints, as ratios of medians (interleaved rounds, DEBUG off):

1. details page, busy client / quiet client (target 1.5 or less), and the
   chart's old query (a grouped count of the busy client's 30 days of rows)
   beside the new one (its daily counts), as before / after;
2. the history pages (the site-wide report, its results-only URL, a client's
   own history) at 1 M entries / at 100 entries, for a manager and an API-only
   user (target 2 or less), with their query counts;
3. a refusal flood: usage rows written per 1,000 refused requests.

Every size scales with ``--scale`` (0.02 makes 200,000 usage rows and 20,000
entries: a minute or two); ``--part history`` measures only the history. It
prints numbers and never judges them.

With ``--json PATH`` it measures curves instead: the details pages (busiest and
quiet client) and the site history report (manager and API-only user) at sizes
from 10,000 usage rows and 100 entries up to the full ones, adding rows between
measurements, and writes them for ``benchmarks/plots.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/scale.py --scale 0.02
"""

import argparse
import os
import statistics
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from admin_list import logged_in
from common import (
    Curves,
    lift_statement_timeout,
    postgres_database,
    set_up_django,
    sweep_sizes,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def median_ms(call, *, rounds, warmup=3):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def interleaved(variants, *, rounds, warmup=3):
    """Medians in ms of each variant, run in turn so drift hits them alike."""
    for call in variants.values():
        for _ in range(warmup):
            call()
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, call in variants.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def sql(statement, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        # Bulk loads run past the site's own statement timeout.
        lift_statement_timeout(cursor)
        cursor.execute(statement, params)


def load_usage(client_id, rows, days=30):
    """``rows`` usage rows for one client spread evenly over the last ``days`` days."""
    sql(
        "INSERT INTO api_clients_apiclientusage (client_id, requested_at, method, path, "
        "query_string, status_code, duration_ms, refusal_reason, token) "
        "SELECT %s, now() - (n * %s::float / %s) * interval '1 day', 'GET', "
        "'/api/v1/providers', '', CASE WHEN n %% 20 = 0 THEN 429 ELSE 200 END, n %% 40, "
        "CASE WHEN n %% 20 = 0 THEN 'rate_limited' ELSE '' END, 'current' "
        "FROM generate_series(1, %s) AS n",
        [client_id, days, rows, rows],
    )


def load_history(user_id, entries, content_type_id, client_ids):
    """``entries`` audit entries, one an hour back in time, over the given clients."""
    sql(
        "INSERT INTO api_clients_apiclientlogentry (content_type_id, label, action, data, "
        "timestamp, uuid, user_id, revision_id, content_changed, deleted, object_id, owner_id) "
        "SELECT %s, 'Client ' || n, 'wagtail.edit', '{}'::jsonb, "
        "now() - n * interval '1 minute', NULL, %s, NULL, false, false, "
        "(%s::bigint[])[1 + n %% %s]::text, %s "
        "FROM generate_series(1, %s) AS n",
        [content_type_id, user_id, client_ids, len(client_ids), user_id, entries],
    )


PARTS = ("usage", "history", "flood")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full sizes above")
    parser.add_argument("--rounds", type=int, default=15, help="timed requests per variant")
    parser.add_argument(
        "--part",
        choices=PARTS,
        action="append",
        help="measure only this part (repeatable; default: all three)",
    )
    parser.add_argument("--keep-database", action="store_true")
    add_sweep_arguments(parser)
    args = parser.parse_args()
    parts = args.part or PARTS
    url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    if args.json:
        return sweep(args, url)

    with postgres_database(url, "register_scale_bench", keep=args.keep_database):
        set_up_django()
        manager, api_user, quiet, busy, others = make_clients()

        if "usage" in parts:
            measure_usage(api_user, quiet, busy, others, scale=args.scale, rounds=args.rounds)
        if "history" in parts:
            measure_history(
                manager,
                api_user,
                [quiet, busy],
                entries=int(1_000_000 * args.scale),
                rounds=args.rounds,
            )
        if "flood" in parts:
            measure_flood(api_user, quiet.expiry_date)


def details_page(browser, client):
    """A request for the client's details page, as ``browser``, to time."""
    from django.urls import reverse

    def get():
        response = browser.get(reverse("api_clients:inspect", args=[client.pk]))
        assert response.status_code == 200, response.status_code

    return get


def measure_usage(api_user, quiet, busy, others, *, scale, rounds):
    """1. The details page of a busy client beside a quiet one's."""
    from django.db import connection
    from django.db.models import Count, Q
    from django.db.models.functions import TruncDate
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from api_clients.dates import today
    from api_clients.models import ApiClientDailyUsage, ApiClientUsage

    busy_rows = int(1_300_000 * scale)
    total_rows = int(10_000_000 * scale)
    started = time.perf_counter()
    load_usage(quiet.pk, 300)
    load_usage(busy.pk, busy_rows)
    for client in others:
        load_usage(client.pk, (total_rows - busy_rows) // len(others), days=90)
    sql("VACUUM ANALYZE api_clients_apiclientusage")
    print(
        f"Loaded {ApiClientUsage.objects.count():,} usage rows "
        f"({busy_rows:,} of the busy client) in {time.perf_counter() - started:.1f} s"
    )
    as_owner = logged_in(api_user)

    def details(client):
        return details_page(as_owner, client)

    def old_chart_query(client):
        # The chart's query before daily counts: a grouped count of the raw rows.
        def run():
            start = timezone.now() - timezone.timedelta(days=30)
            list(
                ApiClientUsage.objects.filter(client=client, requested_at__gte=start)
                .annotate(day=TruncDate("requested_at"))
                .values("day")
                .annotate(requests=Count("id"), refused=Count("id", filter=~Q(refusal_reason="")))
                .order_by()
            )

        return run

    def new_chart_query(client):
        # The chart's finished days now: at most a row a day and reason.
        def run():
            first = today() - timezone.timedelta(days=29)
            list(ApiClientDailyUsage.objects.filter(client=client, date__gte=first))

        return run

    first_busy = median_ms(details(busy), rounds=1, warmup=0)
    pages = interleaved({"quiet": details(quiet), "busy": details(busy)}, rounds=rounds)
    before = median_ms(old_chart_query(busy), rounds=max(3, rounds // 3), warmup=1)
    after = median_ms(new_chart_query(busy), rounds=rounds)
    with CaptureQueriesContext(connection) as captured:
        details(busy)()
    print("\n1. Details page (ms, medians)")
    print(
        f"   quiet {pages['quiet']:.1f}, busy {pages['busy']:.1f}, "
        f"first view of the busy client (rolls up 29 days) {first_busy:.1f}"
    )
    print(f"   ratio busy / quiet: {pages['busy'] / pages['quiet']:.2f} (target <= 1.5)")
    print(
        f"   chart query before (raw rows of 30 days): {before:.1f} ms; "
        f"after (daily counts): {after:.2f} ms; before / after: {before / after:.0f}"
    )
    print(f"   queries on the busy client's page: {len(captured.captured_queries)}")


def measure_history(manager, api_user, clients, *, entries, rounds):
    """2. The history pages at 100 audit entries and at ``entries``, for each role.

    The site-wide report (its page and its results-only URL, which the filters
    fetch) and one client's own history page, each as a manager and as the
    API-only user who owns the clients (and so sees every entry). The 100
    entries are copied into a database of their own, so that every round asks
    the small and the large database in turn and drift hits both alike.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from api_clients.models import ApiClient

    content_type = ContentType.objects.get_for_model(ApiClient)
    client_ids = [client.pk for client in clients]
    viewers = {"manager": logged_in(manager), "API user": logged_in(api_user)}
    pages = {
        "site history": reverse("wagtailadmin_reports:site_history"),
        "its results": reverse("wagtailadmin_reports:site_history_results"),
        "a client's history": reverse("api_clients:history", args=[client_ids[-1]]),
    }

    load_history(api_user.pk, 100, content_type.pk, client_ids)
    sql("VACUUM ANALYZE api_clients_apiclientlogentry")
    large_db = connections["default"]
    with copied_database(large_db) as small_db:
        started = time.perf_counter()
        load_history(api_user.pk, entries - 100, content_type.pk, client_ids)
        sql("VACUUM ANALYZE api_clients_apiclientlogentry")
        print(f"\nLoaded {entries:,} audit entries in {time.perf_counter() - started:.1f} s")

        def get(database, client, path):
            def run():
                connections["default"] = database
                response = client.get(path)
                assert response.status_code == 200, response.status_code

            return run

        variants = {
            (size, who, page): get(database, client, path)
            for size, database in (("small", small_db), ("large", large_db))
            for who, client in viewers.items()
            for page, path in pages.items()
        }
        times = interleaved(variants, rounds=rounds)
        counts = {}
        for key, call in variants.items():
            connections["default"] = small_db if key[0] == "small" else large_db
            with CaptureQueriesContext(connections["default"]) as captured:
                call()
            counts[key] = len(captured.captured_queries)
        deep = {
            who: median_ms(get(large_db, client, f"{pages['site history']}?p=200"), rounds=3)
            for who, client in viewers.items()
        }
        connections["default"] = large_db
    print(f"\n2. History, 100 entries and {entries:,} (ms, medians; target ratio <= 2)")
    for who in viewers:
        for page in pages:
            small, large = times["small", who, page], times["large", who, page]
            print(
                f"   {who}, {page}: {small:.1f} -> {large:.1f}, ratio {large / small:.2f}; "
                f"queries {counts['small', who, page]} -> {counts['large', who, page]}"
            )
    for who, ms in deep.items():
        print(f"   {who}, site history page 200 (entries 9,951-10,000): {ms:.1f}")


@contextmanager
def copied_database(connection):
    """A connection to a copy of ``connection``'s database as it is now; dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_copy"
    connection.close()  # PostgreSQL copies a database nobody is connected to
    server = connection.__class__({**settings_dict, "NAME": "postgres"}, "server")
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings_dict["NAME"]}"')
    copy = connection.__class__({**settings_dict, "NAME": name}, connection.alias)
    try:
        yield copy
    finally:
        copy.close()
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def measure_flood(api_user, expiry):
    """3. A refusal flood: 1,000 requests past a limit of 10 a minute."""
    from django.conf import settings
    from django.test import Client

    from api_clients.models import ApiClientUsage
    from api_clients.services import create_api_client

    settings.API_CLIENTS = {**settings.API_CLIENTS, "CLIENT_RATE_LIMIT": "10/min"}
    flooder, token = create_api_client(owner=api_user, name="Flood", expiry_date=expiry)
    caller = Client()
    statuses = [
        caller.get("/api/v1/info", headers={"Authorization": f"Bearer {token}"}).status_code
        for _ in range(1000)
    ]
    rows = ApiClientUsage.objects.filter(client=flooder).count()
    print("\n3. Refusal flood, 1,000 requests at 10 a minute")
    print(
        f"   refused {statuses.count(429)}, usage rows written {rows} "
        f"(before: one per request, {len(statuses)})"
    )


# Curves: the same pages measured at growing sizes, for benchmarks/plots.py.

DETAILS_MS = "details page (ms, median)"
HISTORY_MS = "site history report (ms, median)"


def add_sweep_arguments(parser):
    parser.add_argument(
        "--json", metavar="PATH", help="measure the curves over sizes and write them here"
    )


def make_clients():
    """A manager, an API-only user owning a quiet and a busy client, and 50 other clients."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from api_clients.dates import today
    from api_clients.models import ApiClient
    from api_clients.services import create_api_client

    call_command("migrate", verbosity=0, interactive=False)
    users = get_user_model()
    manager = users.objects.create_user("bench-manager", password="not-used-1")
    manager.groups.add(Group.objects.get(name="API client managers"))
    api_user = users.objects.create_user("bench-api-user", password="not-used-1")
    api_user.groups.add(Group.objects.get(name="API users"))
    expiry = today() + timezone.timedelta(days=300)
    quiet, _ = create_api_client(owner=api_user, name="Quiet", expiry_date=expiry)
    busy, _ = create_api_client(owner=api_user, name="Busy", expiry_date=expiry)
    others = [
        create_api_client(owner=manager, name=f"Other {n}", expiry_date=expiry)[0]
        for n in range(50)
    ]
    # As if made before the 30 days.
    ApiClient.objects.update(created_at=timezone.now() - timezone.timedelta(days=60))
    return manager, api_user, quiet, busy, others


def sweep_details(curves, *, api_user, quiet, busy, others, total_rows, rounds):
    """Details pages of the busiest and a quiet client as usage rows are added.

    The busy client keeps 13 % of all rows (1.3 M of 10 M at full size), the quiet
    one 300; the rest is spread over the other clients and 90 days.
    """

    from api_clients.models import ApiClientDailyUsage

    as_owner = logged_in(api_user)

    def details(client):
        return details_page(as_owner, client)

    load_usage(quiet.pk, 300)
    loaded = 300
    for _ in range(10):  # the first views of a process load templates and warm caches
        details(quiet)()
    print(f"\n{DETAILS_MS} by usage rows")
    for size in sweep_sizes(min(10_000, total_rows), total_rows):
        added = size - loaded
        busy_rows = int(added * 0.13)
        load_usage(busy.pk, busy_rows)
        for client in others:
            load_usage(client.pk, (added - busy_rows) // len(others), days=90)
        loaded = size
        sql("VACUUM ANALYZE api_clients_apiclientusage")
        # Past days are counted again, with the new rows, on the first (untimed) view.
        ApiClientDailyUsage.objects.all().delete()
        pages = interleaved({"quiet": details(quiet), "busy": details(busy)}, rounds=rounds)
        curves.add("busiest client", size, "usage rows in the table", pages["busy"], DETAILS_MS)
        curves.add("quiet client", size, "usage rows in the table", pages["quiet"], DETAILS_MS)
        print(f"   {size:>12,}: busiest {pages['busy']:.1f}, quiet {pages['quiet']:.1f}")


def sweep_history(curves, *, manager, api_user, client_ids, entries, rounds):
    """The site history report for a manager and an API-only user as entries are added."""
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from api_clients.models import ApiClient

    content_type = ContentType.objects.get_for_model(ApiClient)
    history = reverse("wagtailadmin_reports:site_history")
    viewers = {"manager": logged_in(manager), "API-only user": logged_in(api_user)}

    def report(client):
        def get():
            response = client.get(history)
            assert response.status_code == 200, response.status_code

        return get

    loaded = 0
    for _ in range(10):  # the report's first views load its templates
        for client in viewers.values():
            report(client)()
    print(f"\n{HISTORY_MS} by audit entries")
    for size in sweep_sizes(min(100, entries), entries):
        load_history(api_user.pk, size - loaded, content_type.pk, client_ids)
        loaded = size
        sql("VACUUM ANALYZE api_clients_apiclientlogentry")
        times = interleaved({who: report(c) for who, c in viewers.items()}, rounds=rounds)
        for who, ms in times.items():
            curves.add(who, size, "audit entries", ms, HISTORY_MS)
        print(f"   {size:>12,}: " + ", ".join(f"{who} {ms:.1f}" for who, ms in times.items()))


def sweep(args, url):
    curves = Curves("scale")
    with postgres_database(url, "register_scale_bench", keep=args.keep_database):
        set_up_django()
        manager, api_user, quiet, busy, others = make_clients()
        sweep_details(
            curves,
            api_user=api_user,
            quiet=quiet,
            busy=busy,
            others=others,
            total_rows=int(10_000_000 * args.scale),
            rounds=args.rounds,
        )
        sweep_history(
            curves,
            manager=manager,
            api_user=api_user,
            client_ids=[quiet.pk, busy.pk],
            entries=int(1_000_000 * args.scale),
            rounds=args.rounds,
        )
        curves.write(args.json)


if __name__ == "__main__":
    main()
