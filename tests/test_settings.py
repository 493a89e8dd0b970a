"""The site's settings come from the environment, with safe defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it for their own process
        }
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **env},
        timeout=120,
    )


def settings_value(expression, **env):
    result = run_manage(
        "shell", "-c", f"from django.conf import settings; print({expression})", **env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_development_key_is_refused_when_debug_is_off():
    result = run_manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_real_key_runs_with_debug_off():
    result = run_manage("check", SECRET_KEY="a-long-random-production-key-" + "x" * 30)

    assert result.returncode == 0, result.stderr


def test_sqlite_is_the_default_with_write_ahead_logging(tmp_path):
    path = tmp_path / "site.sqlite3"
    mode = run_manage(
        "shell",
        "-c",
        "from django.db import connection\n"
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode')\n"
        "print(connection.vendor, cursor.fetchone()[0])",
        DEBUG="true",
        SQLITE_PATH=str(path),
    )
    assert mode.returncode == 0, mode.stderr
    assert mode.stdout.strip().splitlines()[-1] == "sqlite wal"


def test_database_url_selects_postgresql():
    engine = settings_value(
        "settings.DATABASES['default']['ENGINE']",
        DEBUG="true",
        DATABASE_URL="postgres://someone@db.example:5432/register",
    )
    # Django's backend, with the site's bound on each wait for the server.
    assert engine == "config.postgresql"


@pytest.mark.parametrize(
    ("redis_url", "backend"),
    [
        (None, "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://cache.example:6379/0", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_redis_url_selects_the_shared_cache(redis_url, backend):
    env = {"DEBUG": "true"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    assert settings_value("settings.CACHES['default']['BACKEND']", **env) == backend


def test_database_url_may_name_a_sqlite_file(tmp_path):
    """DATABASE_URL is not for PostgreSQL only: ``sqlite:///path`` works as the README says."""
    database = tmp_path / "from-url.sqlite3"
    url = f"sqlite:///{database}"

    migrated = run_manage("migrate", "--no-input", DEBUG="true", DATABASE_URL=url)

    assert migrated.returncode == 0, migrated.stderr
    assert database.stat().st_size > 0
    assert settings_value(
        "settings.DATABASES['default']['ENGINE']", DEBUG="true", DATABASE_URL=url
    ) == ("django.db.backends.sqlite3")
    # The same safeguards as the default file: writes wait for each other, not fail.
    mode = run_manage(
        "shell",
        "-c",
        "from django.db import connection\n"
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode')\n"
        "print(cursor.fetchone()[0], connection.transaction_mode)\n"
        "cursor.execute('PRAGMA busy_timeout'); print(cursor.fetchone()[0])",
        DEBUG="true",
        DATABASE_URL=url,
    )
    assert mode.returncode == 0, mode.stderr
    assert mode.stdout.strip().splitlines()[-2:] == ["wal IMMEDIATE", "5000"]
