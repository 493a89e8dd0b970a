#!/usr/bin/env python
"""What bearer authentication costs on the register API.

Times ``GET /api/v1/providers`` (a page of 25) through Django's whole request
cycle, middleware included, in three ways:

* ``no auth``: the same endpoint on a second NinjaAPI with ``auth=None``;
* ``ApiClientAuth``: the site's own API, which checks the token (one query),
  counts the request against the client's rate limit and records it (one insert);
* ``wagtail peer``: the same endpoint behind Wagtail's own bearer tokens
  (``wagtail.api.v3.auth.BearerTokenAuth`` with ``wagtail.models.APIToken``);
* on PostgreSQL, ``…, no wait``: ``ApiClientAuth`` with
  ``USAGE_SYNCHRONOUS_COMMIT`` off, the usage row committed without waiting
  for the disk.

The extra endpoints come from ``benchmarks/bench_urls.py``.

It prints the median and 90th percentile of each and the ratios to ``no auth``.
It never judges the numbers: the target is a ratio of at most 1.3.

    .venv/bin/python benchmarks/api_auth.py                   # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/api_auth.py               # a fresh PostgreSQL database

With ``DATABASE_URL`` the script creates a database of its own on that server
(``register_bench_<pid>``) and drops it afterwards; the named one is only
used to connect. ``REDIS_URL`` puts the rate-limit counters on Redis, as in
production; without it they live in the local-memory cache.
"""

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from common import make_providers, postgres_database, set_up_django

PROVIDER_COUNT = 50


@contextmanager
def own_database():
    """A database made for this run: a temporary SQLite file, or PostgreSQL if DATABASE_URL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        with tempfile.TemporaryDirectory(prefix="api-auth-bench-") as directory:
            os.environ["SQLITE_PATH"] = str(Path(directory) / "bench.sqlite3")
            yield "SQLite (temporary file)"
        return
    with postgres_database(url, "register_bench") as name:
        yield f"PostgreSQL (database {name}, dropped afterwards)"


def set_up_benchmark_django():
    settings = set_up_django()
    # High enough that no request of the run is throttled; the counting still happens.
    settings.API_CLIENTS = {
        **settings.API_CLIENTS,
        "CLIENT_RATE_LIMIT": "1000000/s",
        "ADDRESS_RATE_LIMIT": "1000000/s",
    }


def load_data():
    import datetime

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from wagtail.models import APIToken

    from api_clients.dates import today
    from api_clients.services import create_api_client

    call_command("migrate", verbosity=0, interactive=False)
    make_providers(PROVIDER_COUNT, "B")
    owner = get_user_model().objects.create_user("bench", password="not-used-for-login-1")
    _, token = create_api_client(
        owner=owner, name="Benchmark", expiry_date=today() + datetime.timedelta(days=30)
    )
    _, wagtail_token = APIToken.create_token(user=owner, name="Benchmark")
    return token, wagtail_token


@contextmanager
def api_clients_settings(overrides):
    from django.conf import settings

    saved = settings.API_CLIENTS
    settings.API_CLIENTS = {**saved, **overrides}
    try:
        yield
    finally:
        settings.API_CLIENTS = saved


def measure(variants, *, rounds, per_round, warmup):
    """Interleave the variants in rounds so drift hits them alike; times in ms."""
    from django.test import Client

    client = Client()
    times = {name: [] for name in variants}

    def one(url, headers):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or len(response.json()["items"]) != 25:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]}")
        return elapsed

    for url, headers, overrides in variants.values():
        with api_clients_settings(overrides):
            for _ in range(warmup):
                one(url, headers)
    for _ in range(rounds):
        for name, (url, headers, overrides) in variants.items():
            with api_clients_settings(overrides):
                times[name].extend(one(url, headers) for _ in range(per_round))
    return times


def queries_per_request(url, headers, overrides):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with api_clients_settings(overrides), CaptureQueriesContext(connection) as captured:
        Client().get(url, headers=headers)
    return len(captured.captured_queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of every variant")
    parser.add_argument("--per-round", type=int, default=50, help="requests per variant a round")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per variant")
    args = parser.parse_args()

    with own_database() as database:
        set_up_benchmark_django()
        from django.conf import settings
        from django.db import connection
        from django.test.utils import override_settings

        token, wagtail_token = load_data()
        bearer = {"Authorization": f"Bearer {token}"}
        with override_settings(ROOT_URLCONF="bench_urls"):
            variants = {
                "no auth": ("/bench/no-auth/providers", {}, {}),
                "ApiClientAuth": ("/api/v1/providers", bearer, {}),
                "wagtail peer": (
                    "/bench/wagtail/providers",
                    {"Authorization": f"Bearer {wagtail_token}"},
                    {},
                ),
            }
            if connection.vendor == "postgresql":
                variants["…, no wait"] = (
                    "/api/v1/providers",
                    bearer,
                    {"USAGE_SYNCHRONOUS_COMMIT": False},
                )
            queries = {name: queries_per_request(*variant) for name, variant in variants.items()}
            times = measure(
                variants, rounds=args.rounds, per_round=args.per_round, warmup=args.warmup
            )

        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(f"Database: {database}")
        print(f"Cache for rate limits: {cache}")
        print(
            f"GET /providers, 25 of {PROVIDER_COUNT} providers; "
            f"{args.rounds * args.per_round} timed requests per variant, interleaved\n"
        )
        baseline = statistics.median(times["no auth"])
        print(f"{'variant':<15}{'median ms':>11}{'p90 ms':>9}{'queries':>9}{'ratio':>8}")
        for name, samples in times.items():
            median = statistics.median(samples)
            p90 = statistics.quantiles(samples, n=10)[-1]
            print(
                f"{name:<15}{median:>11.3f}{p90:>9.3f}{queries[name]:>9}{median / baseline:>8.2f}"
            )
        auth = statistics.median(times["ApiClientAuth"]) / baseline
        peer = statistics.median(times["wagtail peer"]) / baseline
        print(f"\nApiClientAuth / no auth: {auth:.2f}   (target: 1.30 or less)")
        print(f"wagtail peer / no auth:  {peer:.2f}")
        print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
