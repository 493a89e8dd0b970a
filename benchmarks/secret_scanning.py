#!/usr/bin/env python
"""What a secret-scanning report costs, by the number of tokens in it.

Posts signed reports of 1, 100, 1,000 and 10,000 well-formed tokens (none of
them a client's, so nothing is revoked and every post does the same work) to
``POST /api/v1/secret-scanning/github`` through Django's whole request cycle,
with 1,000 clients in the table. Prints, for each size, the median time, the
time per token, the queries run, and the ratio of time per token to that of a
1,000-token report: work that grows with the number of tokens, not with a query
per token, keeps that ratio near 1 for large reports. It asserts nothing.
``--json PATH`` also writes the times as a curve for ``benchmarks/plots.py``.

    .venv/bin/python benchmarks/secret_scanning.py                # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/secret_scanning.py            # a fresh PostgreSQL database
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from common import ROOT, Curves, postgres_database, set_up_django

CLIENT_COUNT = 1_000
SIZES = (1, 100, 1_000, 10_000)


@contextmanager
def own_database():
    url = os.environ.get("DATABASE_URL")
    if not url:
        with tempfile.TemporaryDirectory(prefix="secret-scanning-bench-") as directory:
            os.environ["SQLITE_PATH"] = str(Path(directory) / "bench.sqlite3")
            yield "SQLite (temporary file)", Path(directory)
        return
    with (
        postgres_database(url, "register_bench") as name,
        tempfile.TemporaryDirectory(prefix="secret-scanning-bench-") as directory,
    ):
        yield f"PostgreSQL (database {name}, dropped afterwards)", Path(directory)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed posts per size")
    parser.add_argument("--json", metavar="PATH", help="also write the times as a curve here")
    args = parser.parse_args()
    curves = Curves("secret_scanning")

    with own_database() as (database, directory):
        settings = set_up_django()
        import sys

        sys.path.insert(0, str(ROOT))
        from tests.secret_scanning_helpers import ENDPOINT, SigningKey, keys_document

        key = SigningKey("bench")
        keys = directory / "keys.json"
        keys.write_bytes(keys_document(key.entry()))
        settings.API_CLIENTS = {
            **settings.API_CLIENTS,
            "SECRET_SCANNING_KEYS": str(keys),
            "SECRET_SCANNING_RATE_LIMIT": "1000000/s",
            "SECRET_SCANNING_MAX_BODY_BYTES": 10 * 1_048_576,
        }
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1_048_576

        import datetime

        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from api_clients import tokens
        from api_clients.dates import today
        from api_clients.services import create_api_client

        call_command("migrate", verbosity=0, interactive=False)
        owner = get_user_model().objects.create_user("bench", email="bench@example.com")
        for number in range(CLIENT_COUNT):
            create_api_client(
                owner=owner,
                name=f"Client {number}",
                expiry_date=today() + datetime.timedelta(days=30),
            )

        client = Client()

        def post(body, signature):
            response = client.post(
                ENDPOINT,
                data=body,
                content_type="application/json",
                HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER="bench",
                HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=signature,
            )
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code}: {response.content[:200]}")
            return response

        rows = []
        for size in SIZES:
            body = json.dumps(
                [
                    {"token": tokens.generate_token(), "type": "rtp", "url": "https://x.test/"}
                    for _ in range(size)
                ]
            ).encode()
            signature = key.sign(body)
            post(body, signature)  # warm up
            captured = []
            with connection.execute_wrapper(
                lambda execute, sql, *rest, log=captured: log.append(sql) or execute(sql, *rest)
            ):
                post(body, signature)
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                post(body, signature)
                samples.append((time.perf_counter() - started) * 1000)
            rows.append((size, len(body), statistics.median(samples), len(captured)))

        print(f"Database: {database}; {CLIENT_COUNT} clients; {args.repeat} posts per size\n")
        header = ("tokens", 7), ("body KB", 9), ("median ms", 11), ("ms/token", 10)
        header += ("queries", 9), ("ratio", 7)
        print("".join(f"{name:>{width}}" for name, width in header))
        reference = next(ms / size for size, _, ms, _ in rows if size == 1_000)
        for size, length, ms, queries in rows:
            print(
                f"{size:>7}{length / 1024:>9.0f}{ms:>11.1f}{ms / size:>10.4f}{queries:>9}"
                f"{ms / size / reference:>7.2f}"
            )
        if args.json:
            for size, _, ms, _ in rows:
                curves.add(
                    "report",
                    size,
                    "tokens in the report",
                    ms,
                    "time per report (ms, median)",
                )
            curves.write(args.json)


if __name__ == "__main__":
    main()
