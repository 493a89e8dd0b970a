#!/usr/bin/env python
"""The token check's one query, now that it also matches the previous token, on PostgreSQL.

Loads 100,000 clients (half of them renewed, so with a previous token's
digest), refreshes the statistics, then prints:

* the plan of the lookup for a current and for a previous token (each digest
  column is matched through its own unique index, not a scan);
* the median time of the lookup for a current token, a previous token and an
  unknown one, and the ratios of the first two to the lookup of the first
  release, which matched the current digest only (target: 1.5 or less).

It never judges the numbers.

With ``--json PATH`` it measures a curve instead: the lookups at sizes from 1,000
clients up to ``--clients``, adding clients between measurements, and writes it
for ``benchmarks/plots.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/token_lookup.py

The script creates a database of its own on that server
(``register_lookup_bench_<pid>``) and drops it afterwards.
"""

import argparse
import datetime
import os
import statistics
import time

from common import (
    Curves,
    lift_statement_timeout,
    postgres_database,
    set_up_django,
    sweep_sizes,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def load(count):
    """``count`` clients, half of them renewed; tokens of a renewed one, and an unknown one."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    owner = get_user_model().objects.create_user("bench", password="not-used-for-login-1")
    samples = add_clients(owner, 0, count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return samples


def median_ms(cursor, statement, params, lookups):
    """The median time, in ms, of running ``statement`` ``lookups`` times and reading its rows."""
    times = []
    for _ in range(lookups):
        started = time.perf_counter()
        cursor.execute(statement, params)
        cursor.fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def first_release_sql(digest_count):
    """The first release's lookup: the current digest only."""
    from api_clients.models import _client_lookup_sql

    sql = _client_lookup_sql("default", digest_count)
    return sql[: sql.index(" OR ")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument(
        "--json", metavar="PATH", help="measure the curve over sizes and write it here"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    if args.json:
        return sweep(args, url)
    with postgres_database(url, "register_lookup_bench") as name:
        set_up_django()
        from django.db import connection

        from api_clients import tokens
        from api_clients.models import _client_lookup_sql

        print(f"PostgreSQL database {name}: loading {args.clients:,} clients…")
        samples = load(args.clients)
        # One digest per token unless SECRET_KEY_FALLBACKS are set.
        digest_count = len(tokens.candidate_digests(samples["current"]))
        sql = _client_lookup_sql("default", digest_count)
        old_sql = first_release_sql(digest_count)
        with connection.cursor() as cursor:
            for which in ("current", "previous"):
                digests = tokens.candidate_digests(samples[which])
                cursor.execute("EXPLAIN ANALYZE " + sql, [*digests, *digests])
                print(f"\nPlan for a {which} token:")
                print("\n".join(f"  {row[0]}" for row in cursor.fetchall()))

            def median(statement, params):
                return median_ms(cursor, statement, params, args.lookups)

            current = list(tokens.candidate_digests(samples["current"]))
            before = median(old_sql, current)
            results = {
                which: median(sql, [*digests, *digests])
                for which, digests in (
                    (which, tokens.candidate_digests(samples[which]))
                    for which in ("current", "previous", "unknown")
                )
            }
        print(f"\nMedian of {args.lookups:,} lookups, {args.clients:,} clients:")
        print(f"  first release (current digest only): {before:.3f} ms")
        for which, value in results.items():
            print(f"  {which + ' token':<16} {value:.3f} ms   ratio {value / before:.2f}")


# The curve: the same lookups measured at growing sizes, for benchmarks/plots.py.

LOOKUP_MS = "token lookup (ms, median)"


def add_clients(owner, start, count):
    """``count`` more clients, half of them renewed; tokens of one in the middle of them."""
    from django.utils import timezone

    from api_clients import tokens
    from api_clients.dates import today
    from api_clients.models import ApiClient

    later = timezone.now() + datetime.timedelta(days=1)
    batch = []
    samples = {}
    for number in range(start, start + count):
        token = tokens.generate_token()
        # The sample is a renewed client: it has both tokens.
        previous = tokens.generate_token() if number % 2 or number == start + count // 2 else None
        batch.append(
            ApiClient(
                name=f"Client {number}",
                expiry_date=today() + datetime.timedelta(days=30),
                owner=owner,
                token_digest=tokens.digest(token),
                token_hint=tokens.hint(token),
                previous_token_digest=tokens.digest(previous) if previous else None,
                previous_token_expires_at=later if previous else None,
            )
        )
        if number == start + count // 2:
            samples = {"current": token, "previous": previous}
    ApiClient.objects.bulk_create(batch, batch_size=5000)
    samples["unknown"] = tokens.generate_token()
    return samples


def sweep(args, url):
    curves = Curves("token_lookup")
    with postgres_database(url, "register_lookup_bench"):
        set_up_django()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection

        from api_clients import tokens
        from api_clients.models import _client_lookup_sql

        call_command("migrate", verbosity=0, interactive=False)
        owner = get_user_model().objects.create_user("bench", password="not-used-for-login-1")
        loaded = 0
        print(f"{LOOKUP_MS} by clients, {args.lookups:,} lookups each")
        for size in sweep_sizes(min(1_000, args.clients), args.clients):
            samples = add_clients(owner, loaded, size - loaded)
            loaded = size
            with connection.cursor() as cursor:
                lift_statement_timeout(cursor)  # past the site's limit at 1 M rows
                cursor.execute("VACUUM ANALYZE api_clients_apiclient")

                def median(statement, params, cursor=cursor):
                    return median_ms(cursor, statement, params, args.lookups)

                digests = {
                    which: tokens.candidate_digests(token) for which, token in samples.items()
                }
                sql = _client_lookup_sql("default", len(digests["current"]))
                results = {
                    f"{which} token": median(sql, [*found, *found])
                    for which, found in digests.items()
                }
                results["current digest only (first release)"] = median(
                    first_release_sql(len(digests["current"])), list(digests["current"])
                )
            for series, ms in results.items():
                curves.add(series, size, "clients in the table", ms, LOOKUP_MS)
            print(f"   {size:>10,}: " + ", ".join(f"{k} {v:.3f}" for k, v in results.items()))
        curves.write(args.json)


if __name__ == "__main__":
    main()
