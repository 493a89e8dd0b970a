#!/usr/bin/env python
"""How the admin's list of API clients scales, on PostgreSQL.

Times ``GET /admin/api-clients/`` (the first page of 15) through Django's whole
request cycle with the test client, and prints two ratios of medians:

1. a manager with 100,000 clients / the same manager with 15 clients
   (target: 1.5 or less): the page must not grow with the table;
2. an API-only user who owns 20 of the 100,000 / the manager with 100,000
   (target: 1.5 or less): finding one's own clients through the object
   permissions must not cost more than listing everything.

The 100,000 clients belong to 1,000 owners of the "API users" group, each with
the object permissions the create service grants (300,000 guardian rows); one
of them, the measured API-only user, owns exactly 20, spread over the years.
Some clients are revoked and some expired. Statistics are refreshed after
loading (``VACUUM ANALYZE``), as autovacuum would do on a live database.

It prints the numbers and the plans of the list's queries; it never judges them.

With ``--json PATH`` it measures a curve instead: the list for the manager and
the API-only user at sizes from 15 clients up to ``--clients``, adding clients
between measurements, and writes it for ``benchmarks/plots.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/admin_list.py

The script creates a database of its own on that server
(``register_admin_bench_<pid>``) and drops it afterwards; the named database is
only used to connect. Without ``DATABASE_URL`` it uses
``postgres://postgres@127.0.0.1:5432/postgres``.
"""

import argparse
import os
import re
import statistics
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from common import (
    Curves,
    lift_statement_timeout,
    postgres_database,
    set_up_django,
    sweep_sizes,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
PAGE_SIZE = 15


@contextmanager
def own_database(keep=False):
    """A PostgreSQL database made for this run, dropped afterwards unless kept."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    with postgres_database(url, "register_admin_bench", keep=keep) as name:
        yield name


def make_users(owner_count):
    """A manager, the measured API-only user and the other owners."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    managers = Group.objects.get(name="API client managers")
    api_users = Group.objects.get(name="API users")
    manager = user_model.objects.create_user("bench-manager", password="not-used-1")
    manager.groups.add(managers)
    api_user = user_model.objects.create_user("bench-api-user", password="not-used-1")
    api_user.groups.add(api_users)
    others = user_model.objects.bulk_create(
        user_model(username=f"bench-owner-{number:04d}", password="!")
        for number in range(owner_count - 1)
    )
    if not all(user.pk for user in others):
        others = list(user_model.objects.filter(username__startswith="bench-owner-"))
    user_model.groups.through.objects.bulk_create(
        user_model.groups.through(user_id=user.pk, group_id=api_users.pk) for user in others
    )
    return manager, api_user, others


def add_clients(owners_for, count, *, start, batch=5000):
    """``count`` clients, the n-th owned by ``owners_for(n)``, with their guardian rows."""
    import datetime
    import secrets

    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from api_clients.dates import today
    from api_clients.models import ApiClient, ApiClientUserObjectPermission
    from api_clients.policies import OWNER_PERMISSIONS

    permissions = list(
        Permission.objects.filter(
            content_type__app_label="api_clients", codename__in=OWNER_PERMISSIONS
        )
    )
    now = timezone.now()
    for offset in range(0, count, batch):
        numbers = range(start + offset, start + min(offset + batch, count))
        clients = ApiClient.objects.bulk_create(
            ApiClient(
                name=f"Client {number}",
                # About one in six expired, the rest spread over the coming year.
                expiry_date=today() + datetime.timedelta(days=number % 420 - 60),
                owner=owners_for(number),
                token_digest=secrets.token_hex(32),
                token_hint="rtp_bnch",
                revoked_at=now if number % 11 == 0 else None,
            )
            for number in numbers
        )
        ApiClientUserObjectPermission.objects.bulk_create(
            ApiClientUserObjectPermission(
                user_id=client.owner_id, permission=permission, content_object=client
            )
            for client in clients
            for permission in permissions
        )


def spread_creation_times():
    """Creation times over the past years, newest last created (bulk_create stamps "now")."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE api_clients_apiclient SET created_at = now() - "
            "((SELECT max(id) FROM api_clients_apiclient) - id) * interval '17 minutes'"
        )


def refresh_statistics():
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "api_clients_apiclient",
            "api_clients_apiclientuserobjectpermission",
            "auth_user",
            "auth_user_groups",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def logged_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def get_list(client):
    from django.urls import reverse

    response = client.get(reverse("api_clients:index"))
    if response.status_code != 200:
        raise SystemExit(f"The list answered {response.status_code}")
    return response


def measure(variants, *, rounds, per_round, warmup):
    """Interleave the variants in rounds so drift hits them alike; times in ms."""
    times = {name: [] for name in variants}
    for client in variants.values():
        for _ in range(warmup):
            get_list(client)
    for _ in range(rounds):
        for name, client in variants.items():
            for _ in range(per_round):
                started = time.perf_counter()
                get_list(client)
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def list_queries(client):
    """The list page's queries on API clients, with their parameters."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get_list(client)
    return len(captured.captured_queries), [
        query["sql"]
        for query in captured.captured_queries
        if "api_clients_apiclient" in query["sql"]
    ]


def explain(sql):
    """The plan of one of the list's queries, as run (``EXPLAIN ANALYZE``).

    Past 10,000 clients the list's total is PostgreSQL's estimate, asked with an
    ``EXPLAIN`` of its own: that one is shown as planned, since only planned it is.
    """
    from django.db import connection

    options = "ANALYZE, BUFFERS, COSTS OFF"
    estimate = re.match(r"EXPLAIN \([^)]*\) ", sql)
    if estimate:
        sql, options = sql[estimate.end() :], "COSTS ON"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def rows_on(response):
    return response.content.decode().count('<td class="title">')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000, help="clients in the big table")
    parser.add_argument("--owners", type=int, default=1000, help="owners they are spread over")
    parser.add_argument("--own", type=int, default=20, help="clients of the API-only user")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of every variant")
    parser.add_argument("--per-round", type=int, default=10, help="requests per variant a round")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per variant")
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans")
    parser.add_argument(
        "--keep-database", action="store_true", help="keep the database, to look into it"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="measure the curve over sizes and write it here"
    )
    args = parser.parse_args()
    if args.json:
        return sweep(args)

    with own_database(keep=args.keep_database) as database:
        set_up_django()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        manager, api_user, others = make_users(args.owners)

        # 1. The small table: 15 clients, none of them the API-only user's.
        add_clients(lambda number: others[number % len(others)], PAGE_SIZE, start=0)
        refresh_statistics()
        as_manager = logged_in(manager)
        small = measure(
            {"manager, 15": as_manager},
            rounds=args.rounds,
            per_round=args.per_round,
            warmup=args.warmup,
        )["manager, 15"]
        small_queries, _ = list_queries(as_manager)

        # 2. The big table: the API-only user's clients spread evenly through it.
        remaining = args.clients - PAGE_SIZE
        every = remaining // args.own

        def owner_of(number):
            index = number - PAGE_SIZE
            if index % every == every // 2 and index // every < args.own:
                return api_user
            return others[number % len(others)]

        add_clients(owner_of, remaining, start=PAGE_SIZE)
        spread_creation_times()
        refresh_statistics()
        loaded = time.perf_counter() - started

        from api_clients.models import ApiClient

        total = ApiClient.objects.count()
        own = ApiClient.objects.filter(owner=api_user).count()
        as_api_user = logged_in(api_user)
        big = measure(
            {"manager, big": as_manager, "API user, big": as_api_user},
            rounds=args.rounds,
            per_round=args.per_round,
            warmup=args.warmup,
        )
        shown = {
            "manager": rows_on(get_list(as_manager)),
            "API user": rows_on(get_list(as_api_user)),
        }

        samples = {
            f"manager, {PAGE_SIZE} clients": (small, small_queries),
            f"manager, {total:,} clients": (big["manager, big"], list_queries(as_manager)[0]),
            f"API user, {own} of {total:,}": (big["API user, big"], list_queries(as_api_user)[0]),
        }
        fate = "kept" if args.keep_database else "dropped afterwards"
        print(f"Database: PostgreSQL ({database}, {fate})")
        print(
            f"{total:,} clients over {args.owners:,} owners, loaded in {loaded:.0f} s; "
            f"rows on the first page: {shown}"
        )
        print(
            f"GET /admin/api-clients/, {args.rounds * args.per_round} timed requests "
            "per variant, interleaved\n"
        )
        print(f"{'variant':<28}{'median ms':>11}{'p90 ms':>9}{'queries':>9}")
        for name, (times, queries) in samples.items():
            p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
            print(f"{name:<28}{statistics.median(times):>11.2f}{p90:>9.2f}{queries:>9}")

        manager_small = statistics.median(small)
        manager_big = statistics.median(big["manager, big"])
        api_user_big = statistics.median(big["API user, big"])
        print(
            f"\n(1) manager, {total:,} / manager, {PAGE_SIZE}: "
            f"{manager_big / manager_small:.2f}   (target: 1.50 or less)"
        )
        print(
            f"(2) API user, {own} of {total:,} / manager, {total:,}: "
            f"{api_user_big / manager_big:.2f}   (target: 1.50 or less)"
        )

        if not args.no_explain:
            for who, client in (("manager", as_manager), ("API user", as_api_user)):
                from django.db import connection

                for sql in list_queries(client)[1]:
                    # The captured SQL has its parameters inlined already.
                    print(f"\n{who}: {sql[:160]}{'…' if len(sql) > 160 else ''}")
                    print(explain(sql))
                connection.close()


# The curve: the same list measured at growing sizes, for benchmarks/plots.py.

LIST_MS = "list page (ms, median)"


def stamp_new_creation_times(after_id, largest):
    """Creation times of the clients past ``after_id``: 17 minutes apart, the newest now
    once the table reaches ``largest`` rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        lift_statement_timeout(cursor)  # past the site's limit at a million rows
        cursor.execute(
            "UPDATE api_clients_apiclient SET created_at = now() - "
            "(%s - id) * interval '17 minutes' WHERE id > %s",
            [largest, after_id],
        )


def spread_own_clients(api_user, other, own):
    """Give ``api_user`` ``own`` clients (or all, when fewer) evenly spread through the table,
    with their object permissions; the clients they owned before go to ``other``."""
    from django.db import connection

    with connection.cursor() as cursor:
        lift_statement_timeout(cursor)
        for table, column in (
            ("api_clients_apiclient", "owner_id"),
            ("api_clients_apiclientuserobjectpermission", "user_id"),
        ):
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {column} = %s", [other.pk, api_user.pk]
            )
        cursor.execute(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS place, "
            "count(*) OVER () AS total FROM api_clients_apiclient) AS numbered "
            "WHERE total <= %s OR place %% (total / %s) = (total / %s) / 2 "
            "AND place / (total / %s) < %s",
            [own, own, own, own, own],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "UPDATE api_clients_apiclient SET owner_id = %s WHERE id = ANY(%s)", [api_user.pk, ids]
        )
        cursor.execute(
            "UPDATE api_clients_apiclientuserobjectpermission SET user_id = %s "
            "WHERE content_object_id = ANY(%s)",
            [api_user.pk, ids],
        )
    return len(ids)


def sweep(args):
    curves = Curves("admin_list")
    with own_database(keep=args.keep_database):
        set_up_django()
        from django.core.management import call_command

        from api_clients.models import ApiClient

        call_command("migrate", verbosity=0, interactive=False)
        manager, api_user, others = make_users(args.owners)
        viewers = {"manager": logged_in(manager), "API-only user": logged_in(api_user)}
        loaded = 0
        # The first requests of a process, and autovacuum after the migrations, would
        # weigh on the first size only.
        measure(viewers, rounds=1, per_round=30, warmup=0)
        print(f"{LIST_MS} by clients (the API-only user owns {args.own}, or all when fewer)")
        for size in sweep_sizes(PAGE_SIZE, args.clients):
            last_id = ApiClient.objects.order_by("-id").values_list("id", flat=True).first() or 0
            add_clients(lambda number: others[number % len(others)], size - loaded, start=loaded)
            stamp_new_creation_times(last_id, args.clients)
            owned = spread_own_clients(api_user, others[0], args.own)
            loaded = size
            refresh_statistics()
            times = measure(
                viewers, rounds=args.rounds, per_round=args.per_round, warmup=args.warmup
            )
            for who, samples in times.items():
                curves.add(who, size, "clients in the table", statistics.median(samples), LIST_MS)
            print(
                f"   {size:>10,} (API-only user owns {owned}): "
                + ", ".join(f"{who} {statistics.median(ms):.1f}" for who, ms in times.items())
            )
        curves.write(args.json)


if __name__ == "__main__":
    main()
