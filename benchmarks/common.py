"""What the benchmarks share: a database of their own, and Django set up for a run."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]


def make_providers(count, code_letter):
    """``count`` live training providers, as the register API lists them."""
    from register.models import AccreditationStatus, ProviderType, TrainingProvider

    TrainingProvider.objects.bulk_create(
        TrainingProvider(
            operating_name=f"Training provider {number:02d}",
            legal_name=f"Training provider {number:02d} Limited",
            provider_type=list(ProviderType)[number % 3],
            code=f"{code_letter}{number:02d}",
            ukprn=f"1{number:07d}",
            urn=f"{100000 + number}" if number % 3 == 1 else "",
            accreditation_status=list(AccreditationStatus)[number % 2],
        )
        for number in range(1, count + 1)
    )


@contextmanager
def postgres_database(url, prefix, keep=False):
    """Point DATABASE_URL at a database made on ``url``'s server; drop it afterwards.

    The database named in ``url`` is only used to connect.
    """
    import psycopg

    parts = urlsplit(url)
    name = f"{prefix}_{os.getpid()}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f'\nKept the database {name}: drop it with DROP DATABASE "{name}"')
        else:
            with psycopg.connect(server, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def lift_statement_timeout(cursor):
    """Let this session's statements run past the site's limits (bulk loads at a million
    rows): the server's statement timeout, and the site's own bound on each wait."""
    cursor.execute("SET statement_timeout = 0")
    cursor.db.connection.wait_timeout = None


def set_up_django():
    """Django with the test settings, DEBUG off (as measured in production)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    return settings


def sweep_sizes(smallest, largest):
    """Sizes from ``smallest`` to ``largest`` in steps of 1, 3, 10, 30… (both ends kept)."""
    smallest, largest = int(smallest), int(largest)
    if largest <= smallest:
        return [largest]
    sizes, step = [smallest], 1
    while step <= largest:
        for size in (step, 3 * step):
            if smallest < size < largest and size / sizes[-1] >= 2 and largest / size >= 1.5:
                sizes.append(size)
        step *= 10
    return [*sizes, largest]


def _first_line_with(path, prefix):
    try:
        with open(path) as lines:
            return next((line for line in lines if line.startswith(prefix)), None)
    except OSError:
        return None


def _database_versions():
    from django.db import connection

    if connection.vendor == "sqlite":
        return {"postgresql": None, "sqlite": connection.Database.sqlite_version}
    if connection.vendor != "postgresql":
        return {"postgresql": None, connection.vendor: "unknown"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return {"postgresql": cursor.fetchone()[0].split()[0]}


def _redis_version():
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    connection = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        return connection.info("server")["redis_version"]
    finally:
        connection.close()


def describe_machine(load_at_start):
    """What a benchmark ran on, for its JSON: hardware, load, and the versions that matter.

    Call it at the end of the run, with ``os.getloadavg()`` taken at its start; Django
    must be set up (the database's version comes from its connection).
    """
    import datetime
    import platform

    import django
    import wagtail

    model = _first_line_with("/proc/cpuinfo", "model name")
    memory = _first_line_with("/proc/meminfo", "MemTotal:")
    memory_bytes = (
        int(memory.split()[1]) * 1024
        if memory
        else os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    )
    return {
        "cpu": model.split(":", 1)[1].strip() if model else platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "memory_gb": round(memory_bytes / 1024**3, 1),
        "load_average_start": [round(value, 2) for value in load_at_start],
        "load_average_end": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        **_database_versions(),
        "redis": _redis_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


class Curves:
    """Points of a benchmark's curves, written as JSON for ``benchmarks/plots.py``.

    The file: ``{"benchmark": NAME, "machine": {...}, "points": [{"series", "x",
    "x_label", "y", "y_label"}, ...]}``. Points sharing ``x_label`` and ``y_label``
    make one plot, a line per ``series``.
    """

    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.load_at_start = os.getloadavg()
        self.points = []

    def add(self, series, x, x_label, y, y_label):
        self.points.append(
            {"series": series, "x": x, "x_label": x_label, "y": round(y, 4), "y_label": y_label}
        )

    def write(self, path, **machine):
        """Write the file whole or not at all: a failed run leaves the previous one.

        ``machine``: what else the benchmark ran on, beside ``describe_machine``'s.
        """
        import json

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A point a line, so that a rerun's diff reads point by point.
        points = ",\n".join(f"  {json.dumps(point)}" for point in self.points)
        text = (
            f'{{\n "benchmark": {json.dumps(self.benchmark)},\n'
            f' "machine": {json.dumps({**describe_machine(self.load_at_start), **machine})},\n'
            f' "points": [\n{points}\n ]\n}}\n'
        )
        json.loads(text)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text)
        partial.replace(path)
        print(f"\nWrote {len(self.points)} points to {path}")
