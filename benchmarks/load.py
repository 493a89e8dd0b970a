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
* ``no-wait token``: the same on a server with ``API_USAGE_SYNCHRONOUS_COMMIT``
  off, whose usage rows' commits do not wait for the disk;
* ``no auth``: the same view on an API without auth (``benchmarks/bench_urls.py``);
* ``dead token``: a revoked client's token, refused with 401 and recorded;
* ``unknown token``: a well-formed token no client has, refused and not recorded;
* ``over limit``: a client past its rate limit, refused with 429 (on a server
  whose client limit is 1 a day): its first refusal is a row, the rest are
  counted per day.

It prints requests per second, the 50th, 95th and 99th percentile latencies
and the CPU time gunicorn and PostgreSQL spent per request (medians over the
rounds), the token / no auth ratios, and checks that the usage rows written
(plus refusals counted) equal the requests the server answered. It asserts
nothing about speed. Each server has ``--workers`` sync workers; the other
benchmarks' machine notes apply (a shared machine's load average is printed).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/load.py [--workers 4] [--series dead token,over limit] \\
            [--json docs/performance/load.json]

``--workers`` defaults to ``WEB_CONCURRENCY``, else 1, as ``dev.py serve``. Give it a
Redis database nothing else clears while it runs: a test suite's ``cache.clear()``
empties the whole database, rate-limit counters included, whatever their prefix.
"""

import argparse
import csv
import os
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
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, Curves, describe_machine, make_providers, postgres_database

HERE = Path(__file__).resolve().parent
PROVIDER_COUNT = 50
UNLIMITED = "1000000000/s"
SERIES = ("token", "no-wait token", "no auth", "dead token", "unknown token", "over limit")
PATHS = {"no auth": "/bench/no-auth/providers"}
EXPECTED_STATUS = {
    "token": 200,
    "no-wait token": 200,
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


def series_list(text):
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in SERIES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown series {', '.join(unknown)}")
    return [name for name in SERIES if name in {"token", "no auth", *chosen}]


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
    parser.add_argument(
        "--series",
        type=series_list,
        default=list(SERIES),
        help=f"which to run, of: {', '.join(SERIES)} (token and no auth always)",
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

    call_command("migrate", verbosity=0, interactive=False)
    make_providers(PROVIDER_COUNT, "L")
    owner = get_user_model().objects.create_user("load", password="not-used-for-login-1")
    expiry = today() + dt.timedelta(days=30)
    clients = {}
    for series in ("token", "no-wait token", "dead token", "over limit"):
        clients[series] = create_api_client(owner=owner, name=series, expiry_date=expiry)
    revoke_api_client(clients["dead token"][0], user=owner)
    tokens = {series: token for series, (_, token) in clients.items()}
    tokens["unknown token"] = generate_token()
    ids = {series: client.pk for series, (client, _) in clients.items()}
    return tokens, ids


def recorded(client_id):
    """Usage rows of a client plus its refusals counted per day.

    (An unknown token's requests belong to no client: a row for them cannot exist.)
    """
    from django.db.models import Sum

    from api_clients.models import ApiClientDailyUsage, ApiClientUsage

    rows = ApiClientUsage.objects.filter(client_id=client_id).count()
    days = ApiClientDailyUsage.objects.filter(client_id=client_id)
    return rows + (days.aggregate(total=Sum("unrecorded"))["total"] or 0)


@contextmanager
def server(env, workers, log_path):
    """gunicorn with dev.py serve's command line on a free port; yields (base URL, its pid)."""
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
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Run:
    """One ab run of a series at a concurrency."""

    rate: float  # requests per second
    percentiles: dict  # {percent: ms}
    complete: int
    failed: int
    non_2xx: int
    cut: bool  # stopped by the time limit, not the request count
    recorded: int | None = None  # usage rows plus counted refusals written meanwhile
    cpu_ms: float = 0.0  # gunicorn's and PostgreSQL's CPU time per request


def run_ab(ab, url, token, *, concurrency, requests, seconds, scratch):
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
    complete = int(number("Complete requests"))
    return Run(
        rate=number("Requests per second"),
        percentiles={int(float(percent)): float(ms) for percent, ms in rows},
        complete=complete,
        failed=int(number("Failed requests")),
        non_2xx=int(number("Non-2xx responses", 0)),
        cut=complete < requests,
    )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time a process has used (Linux ``/proc``), or None once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def server_processes(masters):
    """gunicorn's processes and this database's PostgreSQL backends: the server side's CPU."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    pids = [*masters, *(child for master in masters for child in children(master)), *backends]
    return {pid: cpu_seconds(pid) for pid in pids}


def cpu_used(before, after):
    """CPU seconds used between two ``server_processes``; a process gone in between is left
    out (a database connection past its ``CONN_MAX_AGE``), one new counts from zero."""
    return sum(
        used - (before.get(pid) or 0.0)
        for pid, used in after.items()
        if used is not None and (pid not in before or before[pid] is not None)
    )


def main():
    args = parse_args()
    ab, url = require_tools()
    curves = Curves("load")
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
        no_wait_env = {**env, "API_USAGE_SYNCHRONOUS_COMMIT": "false"}
        log_path = scratch / "gunicorn.log"
        with (
            server(env, args.workers, log_path) as (site, site_pid),
            server(limited_env, args.workers, log_path) as (limited_site, limited_pid),
            server(no_wait_env, args.workers, log_path) as (no_wait_site, no_wait_pid),
        ):
            bases = dict.fromkeys(SERIES, site)
            bases["over limit"] = limited_site
            bases["no-wait token"] = no_wait_site
            masters = [site_pid, limited_pid, no_wait_pid]

            def one(series, concurrency, requests):
                path = PATHS.get(series, "/api/v1/providers")
                before = recorded(ids.get(series)) if series in ids else 0
                cpu_before = server_processes(masters)
                run = run_ab(
                    ab,
                    bases[series] + path,
                    tokens.get(series),
                    concurrency=concurrency,
                    requests=requests,
                    seconds=args.seconds,
                    scratch=scratch,
                )
                run.cpu_ms = (
                    cpu_used(cpu_before, server_processes(masters)) * 1000 / max(run.complete, 1)
                )
                wanted_non_2xx = 0 if EXPECTED_STATUS[series] == 200 else run.complete
                if run.failed or run.non_2xx != wanted_non_2xx:
                    problems.append(
                        f"{series} at -c {concurrency}: {run.failed} failed, {run.non_2xx} "
                        f"non-2xx of {run.complete} (expected status {EXPECTED_STATUS[series]})"
                    )
                if series in ids:
                    time.sleep(0.3)  # requests cut off by the time limit may still finish
                    run.recorded = recorded(ids[series]) - before
                    extra = run.recorded - run.complete
                    if extra and not (run.cut and 0 <= extra <= concurrency):
                        problems.append(
                            f"{series} at -c {concurrency}: {run.complete} requests answered, "
                            f"{run.recorded} recorded"
                        )
                return run

            # The limited client's one request of the day: from now on it is refused.
            urllib.request.urlopen(  # noqa: S310 - this run's own server
                urllib.request.Request(
                    limited_site + "/api/v1/providers",
                    headers={"Authorization": f"Bearer {tokens['over limit']}"},
                ),
                timeout=30,
            ).close()
            for series in args.series:  # warm every worker up, untimed
                one(series, max(args.concurrency), 100 * args.workers)
            for round_number in range(args.rounds):
                for concurrency in args.concurrency:
                    shift = round_number % len(args.series)
                    order = args.series[shift:] + args.series[:shift]
                    for series in order:
                        run = one(series, concurrency, args.requests)
                        results.setdefault((series, concurrency), []).append(run)
                        print(
                            f"round {round_number + 1}, -c {concurrency:>3}, {series:<14}"
                            f"{run.rate:>9.1f} req/s {run.cpu_ms:>6.2f} ms CPU/request"
                            f"   load {os.getloadavg()[0]:.2f}",
                            flush=True,
                        )
        # The servers' own word on a fault: a cache that did not answer in time means
        # rate limits were skipped (as RATE_LIMIT_WITHOUT_CACHE says), so some requests
        # over a limit were served.
        written = log_path.read_text()
        for fault in ("shared cache is not answering", "database is not answering"):
            if fault in written:
                problems.append(f"the servers logged that the {fault}; their lines follow")
        errors = [line for line in written.splitlines() if "not answering" in line]
        extra = server_versions(args.workers)
        machine = {**describe_machine(curves.load_at_start), **extra}
        if args.json:
            add_points(curves, results, args)
            curves.write(args.json, **extra)

    report(results, args, database, machine, problems)
    for line in errors[:20]:
        print(f"  {line}")


def server_versions(workers):
    """What ``describe_machine`` does not say: the server and the load generator."""
    import gunicorn

    ab = subprocess.run(["ab", "-V"], capture_output=True, text=True).stdout  # noqa: S607
    found = re.search(r"Version ([\w.-]+)", ab)
    return {
        "gunicorn": gunicorn.__version__,
        "gunicorn_workers": workers,
        "ab": found[1] if found else None,
    }


def summary(runs):
    """Median over the rounds: requests/s, p50, p95, p99 (ms), CPU ms per request."""
    return (
        statistics.median(run.rate for run in runs),
        *(statistics.median(run.percentiles[percent] for run in runs) for percent in (50, 95, 99)),
        statistics.median(run.cpu_ms for run in runs),
    )


def ratios(results, args):
    """token / no auth, per concurrency: throughput, and no auth's CPU per request / token's."""
    found = {}
    for concurrency in args.concurrency:
        token, no_auth = (
            summary(results[("token", concurrency)]),
            summary(results[("no auth", concurrency)]),
        )
        found[concurrency] = (token[0] / no_auth[0], no_auth[4] / token[4])
    return found


def report(results, args, database, machine, problems):
    cache = "Redis" if os.environ.get("REDIS_URL") else "local memory (per worker)"
    print(f"\nDatabase: PostgreSQL {machine['postgresql']} ({database}, dropped); cache: {cache}")
    print(
        f"gunicorn {machine['gunicorn']}, {args.workers} sync worker(s); ab {machine['ab']}; "
        f"{args.rounds} round(s) of at most {args.requests} requests or {args.seconds} s a run; "
        f"{machine['cpu_count']} CPUs; load average {machine['load_average_start'][0]} "
        f"at the start, {machine['load_average_end'][0]} at the end"
    )
    print(
        "CPU: gunicorn's processes and this database's PostgreSQL backends, per request "
        "(not ab's, nor Redis's)\n"
    )
    print(
        f"{'series':<15}{'-c':>4}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms':>8}  recorded"
    )
    for series in args.series:
        for concurrency in args.concurrency:
            runs = results[(series, concurrency)]
            rate, p50, p95, p99, cpu = summary(runs)
            answered = sum(run.complete for run in runs)
            recorded_text = (
                "not recorded (no client)"
                if series == "unknown token"
                else "-"
                if series == "no auth"
                else f"{sum(run.recorded or 0 for run in runs)} of {answered}"
            )
            print(
                f"{series:<15}{concurrency:>4}{rate:>10.1f}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}"
                f"{cpu:>8.2f}  {recorded_text}"
            )
    print("\ntoken / no auth: throughput, and CPU per request (no auth's / token's)")
    for concurrency, (throughput, cpu) in ratios(results, args).items():
        print(f"  -c {concurrency:>3}: {throughput:.2f}   {cpu:.2f}")
    if problems:
        print("\nProblems:")
        for problem in problems:
            print(f"  {problem}")
    else:
        print("\nEvery answered request of a known client was recorded; every status as expected.")


def add_points(curves, results, args):
    for series in args.series:
        for concurrency in args.concurrency:
            rate, p50, p95, p99, cpu = summary(results[(series, concurrency)])
            for y, y_label in (
                (rate, "requests per second"),
                (p50, "median latency (ms)"),
                (p95, "95th percentile latency (ms)"),
                (p99, "99th percentile latency (ms)"),
                (cpu, "server CPU per request (ms)"),
            ):
                curves.add(series, concurrency, X_LABEL, y, y_label)
    for concurrency, (throughput, cpu) in ratios(results, args).items():
        curves.add("throughput", concurrency, X_LABEL, throughput, "token / no auth")
        curves.add("CPU per request, inverted", concurrency, X_LABEL, cpu, "token / no auth")


if __name__ == "__main__":
    main()
