#!/usr/bin/env python
"""Throughput and latency of the register API under the production server.

Runs the site as ``python3 dev.py serve`` does (gunicorn, ``DEBUG`` off, the
same command line) on a PostgreSQL database of its own, made on the server of
``DATABASE_URL`` and dropped afterwards, with the rate limits on ``REDIS_URL``
under a key prefix of its own (local memory when unset: then each worker
counts alone). The load comes from ApacheBench, ``ab`` (Debian package
``apache2-utils``), on loopback, each run bounded by a request count and a
time limit. For each concurrency it runs these series, interleaved in rounds:

* ``token``: ``GET /api/v1/providers`` with a working token;
* ``no auth``: the same view on an API without auth (``benchmarks/bench_urls.py``);
* ``dead token``: a revoked client's token, refused with 401 and recorded;
* ``unknown token``: a well-formed token no client has, refused and not recorded;
* ``over limit``: a client past its rate limit, refused with 429 (on a second
  server whose client limit is 1 a day): its first refusal is a row, the rest
  are counted per day.

It prints requests per second, the 50th, 95th and 99th percentile latencies
(median over the rounds), the token / no auth throughput ratio, and checks
that the usage rows written (plus refusals counted) equal the requests the
server answered. It asserts nothing about speed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/load.py [--workers 4] [--json docs/performance/load.json]

``--workers`` defaults to ``WEB_CONCURRENCY``, else 1, as ``dev.py serve``.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from common import ROOT, postgres_database

HERE = Path(__file__).resolve().parent
PROVIDER_COUNT = 50
UNLIMITED = "1000000000/s"
SERIES = ("token", "no auth", "dead token", "unknown token", "over limit")
PATHS = {"no auth": "/bench/no-auth/providers"}
EXPECTED_STATUS = {
    "token": 200,
    "no auth": 200,
    "dead token": 401,
    "unknown token": 401,
    "over limit": 429,
}
X_LABEL = "concurrent connections (ab -c)"


def concurrency_list(text):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or any(value < 1 or value > 256 for value in values):
        raise argparse.ArgumentTypeError(
            f"expected numbers from 1 to 256 like 1,4,16, not {text!r}"
        )
    return values


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concurrency", type=concurrency_list, default=[1, 4, 16], help="e.g. 1,4,16"
    )
    parser.add_argument("--requests", type=int, default=1500, help="per series and level a round")
    parser.add_argument("--seconds", type=int, default=20, help="time limit of one ab run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every series")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or 1),
        help="gunicorn workers (default: WEB_CONCURRENCY, else 1)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the points as JSON here")
    return parser.parse_args()


def require_tools():
    ab = shutil.which("ab")
    if ab is None:
        sys.exit("load.py needs ApacheBench (ab): apt-get install apache2-utils")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "load.py needs DATABASE_URL of a PostgreSQL server, e.g. "
            "postgres://postgres@127.0.0.1:5432/postgres"
        )
    return ab, url


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_up_django():
    sys.path[:0] = [str(HERE)]
    import django

    django.setup()


def load_data():
    """Providers, and one client of each kind; returns their tokens and ids."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from api_clients.dates import today
    from api_clients.services import create_api_client, revoke_api_client
    from api_clients.tokens import generate_token
    from register.models import AccreditationStatus, ProviderType, TrainingProvider

    call_command("migrate", verbosity=0, interactive=False)
    TrainingProvider.objects.bulk_create(
        TrainingProvider(
            operating_name=f"Training provider {number:02d}",
            legal_name=f"Training provider {number:02d} Limited",
            provider_type=list(ProviderType)[number % 3],
            code=f"L{number:02d}",
            ukprn=f"1{number:07d}",
            urn=f"{100000 + number}" if number % 3 == 1 else "",
            accreditation_status=list(AccreditationStatus)[number % 2],
        )
        for number in range(1, PROVIDER_COUNT + 1)
    )
    owner = get_user_model().objects.create_user("load", password="not-used-for-login-1")
    expiry = today() + dt.timedelta(days=30)
    clients = {}
    for series in ("token", "dead token", "over limit"):
        clients[series] = create_api_client(owner=owner, name=series, expiry_date=expiry)
    revoke_api_client(clients["dead token"][0], user=owner)
    tokens = {series: token for series, (_, token) in clients.items()}
    tokens["unknown token"] = generate_token()
    ids = {series: client.pk for series, (client, _) in clients.items()}
    return tokens, ids


def recorded(client_id):
    """Usage rows of a client (None: of all) plus its refusals counted per day."""
    from django.db.models import Sum

    from api_clients.models import ApiClientDailyUsage, ApiClientUsage

    rows, days = ApiClientUsage.objects.all(), ApiClientDailyUsage.objects.all()
    if client_id is not None:  # else every client's
        rows, days = rows.filter(client_id=client_id), days.filter(client_id=client_id)
    return rows.count() + (days.aggregate(total=Sum("unrecorded"))["total"] or 0)


@contextmanager
def server(env, workers, log_path):
    """gunicorn with dev.py serve's command line on a free port; yields the base URL."""
    sys.path.insert(0, str(ROOT))
    import dev

    port = free_port()
    command = [*dev.gunicorn_command(f"127.0.0.1:{port}"), "--workers", str(workers)]
    with open(log_path, "a") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command
            command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not start; see {log_path}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_ab(ab, url, token, *, concurrency, requests, seconds, scratch):
    """One ab run: (requests/s, {percent: ms}, complete, failed, non-2xx, hit the time limit)."""
    percentiles = scratch / "percentiles.csv"
    command = [ab, "-q", "-r", "-s", "30", "-t", str(seconds), "-n", str(requests)]
    command += ["-c", str(concurrency), "-e", str(percentiles)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    result = subprocess.run(  # noqa: S603 - a fixed command
        [*command, url], capture_output=True, text=True, timeout=seconds + 60
    )
    if result.returncode:
        sys.exit(f"ab failed: {result.stderr.strip() or result.stdout.strip()}")
    out = result.stdout

    def number(label, default=None):
        found = re.search(rf"^{label}:\s+([\d.]+)", out, re.MULTILINE)
        if found is None:
            if default is None:
                sys.exit(f"ab printed no {label!r}:\n{out}")
            return default
        return float(found.group(1))

    with percentiles.open() as lines:
        rows = list(csv.reader(lines))[1:]
    by_percent = {int(float(percent)): float(ms) for percent, ms in rows}
    complete = int(number("Complete requests"))
    return (
        number("Requests per second"),
        by_percent,
        complete,
        int(number("Failed requests")),
        int(number("Non-2xx responses", 0)),
        complete < requests,
    )


def main():
    args = parse_args()
    ab, url = require_tools()
    load_at_start = os.getloadavg()
    results = {}  # (workers-free) (series, concurrency) -> list of runs
    problems = []
    with (
        postgres_database(url, "register_load") as database,
        tempfile.TemporaryDirectory(prefix="register-load-") as scratch,
    ):
        scratch = Path(scratch)
        (scratch / "var" / "static").mkdir(parents=True)
        # For this process and the servers: the site with DEBUG off, on this run's
        # database and key prefix, limits out of the way but still counted.
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench_settings",
            PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "site")]),
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            VAR_DIR=str(scratch / "var"),
            CACHE_KEY_PREFIX=f"load_{os.getpid()}",
            API_CLIENT_RATE_LIMIT=UNLIMITED,
            API_ADDRESS_RATE_LIMIT=UNLIMITED,
        )
        env = dict(os.environ)
        set_up_django()
        tokens, ids = load_data()
        limited_env = {**env, "API_CLIENT_RATE_LIMIT": "1/day"}
        log_path = scratch / "gunicorn.log"
        with (
            server(env, args.workers, log_path) as site,
            server(limited_env, args.workers, log_path) as limited_site,
        ):
            bases = dict.fromkeys(SERIES, site)
            bases["over limit"] = limited_site

            def one(series, concurrency, requests):
                path = PATHS.get(series, "/api/v1/providers")
                before = recorded(ids.get(series)) if series != "no auth" else 0
                run = run_ab(
                    ab,
                    bases[series] + path,
                    tokens.get(series),
                    concurrency=concurrency,
                    requests=requests,
                    seconds=args.seconds,
                    scratch=scratch,
                )
                rate, _, complete, failed, non_2xx, cut = run
                wanted_non_2xx = 0 if EXPECTED_STATUS[series] == 200 else complete
                if failed or non_2xx != wanted_non_2xx:
                    problems.append(
                        f"{series} at -c {concurrency}: {failed} failed, {non_2xx} non-2xx "
                        f"of {complete} (expected status {EXPECTED_STATUS[series]})"
                    )
                if series in ids:
                    time.sleep(0.3)  # requests cut off by the time limit may still finish
                    written = recorded(ids[series]) - before
                    if written != complete and not (cut and 0 <= written - complete <= concurrency):
                        problems.append(
                            f"{series} at -c {concurrency}: {complete} requests answered, "
                            f"{written} recorded"
                        )
                    run = (*run, written)
                else:
                    run = (*run, None)
                return run

            # The limited client's one request of the day: from now on it is refused.
            urllib.request.urlopen(  # noqa: S310 - this run's own server
                urllib.request.Request(
                    limited_site + "/api/v1/providers",
                    headers={"Authorization": f"Bearer {tokens['over limit']}"},
                ),
                timeout=30,
            ).close()
            for series in SERIES:  # warm every worker up, untimed
                one(series, max(args.concurrency), 100 * args.workers)
            unknown_before = recorded(None)
            for round_number in range(args.rounds):
                for concurrency in args.concurrency:
                    shift = round_number % len(SERIES)
                    order = SERIES[shift:] + SERIES[:shift]
                    for series in order:
                        run = one(series, concurrency, args.requests)
                        results.setdefault((series, concurrency), []).append(run)
                        print(
                            f"round {round_number + 1}, -c {concurrency:>3}, {series:<14}"
                            f"{run[0]:>9.1f} req/s   load {os.getloadavg()[0]:.2f}",
                            flush=True,
                        )
            # Unknown tokens belong to no client: nothing may be written for them.
            known = [run[6] for runs in results.values() for run in runs if run[6] is not None]
            unknown_rows = recorded(None) - unknown_before - sum(known)
            if unknown_rows:
                problems.append(f"{unknown_rows} usage rows written for no known client")
        machine = describe_machine(load_at_start, args.workers)

    report(results, args, database, machine, problems)
    if args.json:
        write_json(args.json, results, args, machine)


def describe_machine(load_at_start, workers):
    import django
    import gunicorn
    import redis
    import wagtail
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0].split()[0]
    redis_version = None
    if os.environ.get("REDIS_URL"):
        client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5)
        try:
            redis_version = client.info("server")["redis_version"]
        finally:
            client.close()
    ab_version = subprocess.run(["ab", "-V"], capture_output=True, text=True).stdout  # noqa: S607
    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor() or "unknown"
    )
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "load_average_start": [round(value, 2) for value in load_at_start],
        "load_average_end": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "postgresql": postgresql,
        "redis": redis_version,
        "gunicorn": gunicorn.__version__,
        "gunicorn_workers": workers,
        "ab": (re.search(r"Version ([\w.-]+)", ab_version) or [None, None])[1],
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def summary(runs):
    """Median over the rounds: requests/s, p50, p95, p99 (ms)."""
    return (
        statistics.median(run[0] for run in runs),
        *(statistics.median(run[1][percent] for run in runs) for percent in (50, 95, 99)),
    )


def report(results, args, database, machine, problems):
    cache = "Redis" if os.environ.get("REDIS_URL") else "local memory (per worker)"
    print(f"\nDatabase: PostgreSQL {machine['postgresql']} ({database}, dropped); cache: {cache}")
    print(
        f"gunicorn {machine['gunicorn']}, {args.workers} sync worker(s); ab {machine['ab']}; "
        f"{args.rounds} round(s) of at most {args.requests} requests or {args.seconds} s a run; "
        f"{machine['cpu_count']} CPUs; load average {machine['load_average_start'][0]} "
        f"at the start, {machine['load_average_end'][0]} at the end\n"
    )
    print(f"{'series':<15}{'-c':>4}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  recorded")
    for series in SERIES:
        for concurrency in args.concurrency:
            runs = results[(series, concurrency)]
            rate, p50, p95, p99 = summary(runs)
            answered = sum(run[2] for run in runs)
            written = [run[6] for run in runs]
            recorded_text = (
                "not recorded (no client)"
                if series == "unknown token"
                else "-"
                if written[0] is None
                else f"{sum(written)} of {answered}"
            )
            print(
                f"{series:<15}{concurrency:>4}{rate:>10.1f}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}"
                f"  {recorded_text}"
            )
    print("\ntoken / no auth throughput:")
    for concurrency in args.concurrency:
        ratio = (
            summary(results[("token", concurrency)])[0]
            / summary(results[("no auth", concurrency)])[0]
        )
        print(f"  -c {concurrency:>3}: {ratio:.2f}")
    if problems:
        print("\nProblems:")
        for problem in problems:
            print(f"  {problem}")
    else:
        print("\nEvery answered request of a known client was recorded; every status as expected.")


def write_json(path, results, args, machine):
    points = []
    for series in SERIES:
        for concurrency in args.concurrency:
            rate, p50, p95, p99 = summary(results[(series, concurrency)])
            for y, y_label in (
                (rate, "requests per second"),
                (p50, "median latency (ms)"),
                (p95, "95th percentile latency (ms)"),
                (p99, "99th percentile latency (ms)"),
            ):
                points.append(
                    {
                        "series": series,
                        "x": concurrency,
                        "x_label": X_LABEL,
                        "y": round(y, 3),
                        "y_label": y_label,
                    }
                )
    for concurrency in args.concurrency:
        ratio = (
            summary(results[("token", concurrency)])[0]
            / summary(results[("no auth", concurrency)])[0]
        )
        points.append(
            {
                "series": f"token / no auth, {args.workers} worker(s)",
                "x": concurrency,
                "x_label": X_LABEL,
                "y": round(ratio, 3),
                "y_label": "throughput ratio",
            }
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"benchmark": "load", "machine": machine, "points": points}, indent=1)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text + "\n")
    partial.replace(path)
    print(f"Wrote {len(points)} points to {path}")


if __name__ == "__main__":
    main()
