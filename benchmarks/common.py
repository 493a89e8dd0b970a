"""What the benchmarks share: a database of their own, and Django set up for a run."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]


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


def set_up_django():
    """Django with the test settings, DEBUG off (as measured in production)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    return settings
