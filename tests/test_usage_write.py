"""The usage write, through real HTTP: hostile cases, and when its commit waits for the disk.

A usage row is written before the answer leaves, in the request's own thread
(``ApiClientUsageMiddleware``). So a view that fails is recorded with its 500,
a client that hangs up before its answer, or stops reading a streamed one, is
recorded all the same, and a database that fails the write withholds the
answer (503 JSON), never a 500.

``USAGE_SYNCHRONOUS_COMMIT`` decides, on PostgreSQL, whether the row's commit
waits for the write-ahead log to reach the disk; that is seen on a private
cluster under the production server (gunicorn), by where PostgreSQL's log has
been flushed to when the answer arrives.
"""

import json
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from helpers import bearer
from servers import (
    free_port,
    migrate_with_a_client,
    running_postgres,
    site_env,
    wait_for_port,
)

from api_clients.models import ApiClientUsage
from register.models import TrainingProvider

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = "/api/v1/providers"
UNAVAILABLE = {"detail": "The service is unavailable. Try again later."}
# How long to wait for something that happens in another thread or process:
# far above what it takes, far below a hang. Not a measure of speed.
PATIENCE = 30

ProviderManager = type(TrainingProvider.objects)


def http(base, path, headers=None):
    """(status, headers, body) of one GET to ``base``."""
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:  # noqa: S310 - local
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_for(condition):
    deadline = time.monotonic() + PATIENCE
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


# --- the development server, in this process, on the suite's database ----------


@pytest.mark.django_db(transaction=True)
def test_a_view_that_fails_answers_500_json_and_is_recorded(
    live_server, api_user, make_client, monkeypatch
):
    api_client, token = make_client(api_user)

    def fail(manager):
        raise RuntimeError("the view failed")

    monkeypatch.setattr(ProviderManager, "live", fail)
    status, _, body = http(live_server.url, PROVIDERS, bearer(token))

    assert status == 500
    assert json.loads(body) == {"detail": "Something went wrong. Try again later."}
    usage = ApiClientUsage.objects.get()
    assert (usage.client_id, usage.status_code, usage.path) == (api_client.pk, 500, PROVIDERS)


@pytest.mark.django_db(transaction=True)
def test_a_client_that_hangs_up_before_its_answer_is_still_recorded(
    live_server, api_user, make_client, monkeypatch
):
    api_client, token = make_client(api_user)
    asked, hung_up = threading.Event(), threading.Event()
    live = ProviderManager.live

    def live_once_the_client_has_gone(manager):
        asked.set()
        hung_up.wait(timeout=PATIENCE)
        return live(manager)

    monkeypatch.setattr(ProviderManager, "live", live_once_the_client_has_gone)
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=PATIENCE) as sock:
        # Closing resets the connection rather than ending it politely.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(
            f"GET {PROVIDERS} HTTP/1.1\r\nHost: {address.hostname}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
        )
        assert asked.wait(timeout=PATIENCE)
    hung_up.set()

    assert wait_for(ApiClientUsage.objects.exists)
    usage = ApiClientUsage.objects.get()
    assert (usage.client_id, usage.status_code) == (api_client.pk, 200)


@pytest.mark.django_db(transaction=True)
def test_a_streamed_answer_the_client_stops_reading_is_still_recorded(
    live_server, api_user, make_client, settings, monkeypatch
):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "sites"))
    settings.ROOT_URLCONF = "streaming_urls"
    api_client, token = make_client(api_user)
    address = urlsplit(live_server.url)

    with socket.create_connection((address.hostname, address.port), timeout=PATIENCE) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(
            f"GET /api/streaming-test/stream HTTP/1.1\r\nHost: {address.hostname}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
        )
        first = sock.recv(65536)
    # Closed after the first bytes, with almost all of the answer still to come.
    assert first.startswith(b"HTTP/1.1 200")

    assert wait_for(ApiClientUsage.objects.exists)
    usage = ApiClientUsage.objects.get()
    assert (usage.client_id, usage.status_code, usage.path) == (
        api_client.pk,
        200,
        "/api/streaming-test/stream",
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_that_fails_the_usage_write_withholds_the_answer_with_503_json(
    live_server, api_user, make_client, monkeypatch, caplog
):
    _, token = make_client(api_user)

    def fail(manager, **values):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(type(ApiClientUsage.objects), "record", fail)
    status, headers, body = http(live_server.url, PROVIDERS, bearer(token))

    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == UNAVAILABLE
    assert int(headers["Retry-After"]) > 0
    assert not ApiClientUsage.objects.exists()
    assert token not in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("synchronous", [True, False])
def test_every_request_is_recorded_or_counted_whichever_way_it_is_committed(
    live_server, api_user, make_client, settings, synchronous
):
    settings.API_CLIENTS = {
        **django_settings.API_CLIENTS,
        "USAGE_SYNCHRONOUS_COMMIT": synchronous,
        "CLIENT_RATE_LIMIT": "4/min",
    }
    api_client, token = make_client(api_user)

    statuses = [http(live_server.url, PROVIDERS, bearer(token))[0] for _ in range(3)]
    statuses.append(http(live_server.url, "/api/v1/providers/999999", bearer(token))[0])
    # Past the limit: the first refusal is a row, the next ones a count for the day.
    statuses += [http(live_server.url, PROVIDERS, bearer(token))[0] for _ in range(3)]

    assert statuses == [200, 200, 200, 404, 429, 429, 429]
    rows = api_client.usage_records.values_list("status_code", flat=True)
    assert sorted(rows) == [200, 200, 200, 404, 429]
    assert api_client.daily_usage.get().unrecorded == 2


@pytest.mark.django_db(transaction=True)
def test_a_usage_row_committed_without_waiting_leaves_the_connection_as_it_was(
    client, api_user, make_client, settings
):
    """The setting reaches the usage write's own transaction, never the connection's later ones."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "USAGE_SYNCHRONOUS_COMMIT": False}
    _, token = make_client(api_user)

    assert client.get(PROVIDERS, headers=bearer(token)).status_code == 200

    assert ApiClientUsage.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


@pytest.mark.parametrize(("value", "errors"), [(True, []), (False, []), ("off", ["E021"])])
def test_the_commit_setting_is_checked(settings, value, errors):
    from api_clients.checks import check_api_clients_settings

    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "USAGE_SYNCHRONOUS_COMMIT": value}
    found = [error.id.rsplit(".", 1)[1] for error in check_api_clients_settings(None)]

    assert found == errors


# --- the production server (gunicorn) on a private PostgreSQL ------------------


@pytest.fixture(scope="module")
def quiet_postgres():
    """A private cluster where only the site writes to the log, and the log writer
    flushes commits that did not wait only every 10 seconds."""
    with running_postgres(
        wal_level="minimal", max_wal_senders=0, wal_writer_delay="10s", autovacuum="off"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def gunicorn_sites(quiet_postgres, tmp_path_factory):
    """Two gunicorns on the private cluster: rows committed as by default, and without waiting.

    Yields {"durable" | "no wait": (base URL, log path)} and the token.
    """
    var_dir = tmp_path_factory.mktemp("var")
    env = site_env(quiet_postgres.url, var_dir)
    token = migrate_with_a_client(env, "Usage write test")
    sites, servers = {}, []
    try:
        for name, synchronous in (("durable", "true"), ("no wait", "false")):
            port = free_port()
            log = tmp_path_factory.mktemp("log") / "server.log"
            with log.open("w") as log_file:
                servers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
                        + ["--pythonpath", str(ROOT / "site"), "--bind", f"127.0.0.1:{port}"]
                        + ["--workers", "1", "--timeout", "60", "--no-control-socket"],
                        cwd=ROOT,
                        env={**env, "API_USAGE_SYNCHRONOUS_COMMIT": synchronous},
                        stdout=log_file,
                        stderr=log_file,
                    )
                )
            wait_for_port(port)
            sites[name] = (f"http://127.0.0.1:{port}", log)
        yield sites, token
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def log_flushed(database_url):
    """Whether everything PostgreSQL has written to its log's buffers is flushed."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        return db.execute(
            "SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"
        ).fetchone()[0]


def usage_count(database_url):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM api_clients_apiclientusage").fetchone()[0]


def test_by_default_the_answer_leaves_once_its_usage_row_is_on_disk(gunicorn_sites, quiet_postgres):
    sites, token = gunicorn_sites
    base, _ = sites["durable"]
    before = usage_count(quiet_postgres.url)

    for _ in range(3):
        status, _, _ = http(base, PROVIDERS, bearer(token))
        assert status == 200
        assert log_flushed(quiet_postgres.url)

    assert usage_count(quiet_postgres.url) == before + 3


def test_without_synchronous_commit_the_answer_leaves_before_the_row_is_on_disk(
    gunicorn_sites, quiet_postgres
):
    sites, token = gunicorn_sites
    base, _ = sites["no wait"]
    before = usage_count(quiet_postgres.url)

    status, _, _ = http(base, PROVIDERS, bearer(token))

    assert status == 200
    assert not log_flushed(quiet_postgres.url)
    # Committed all the same: every other connection sees the row at once.
    assert usage_count(quiet_postgres.url) == before + 1


@pytest.mark.parametrize("site", ["durable", "no wait"])
def test_a_usage_write_stuck_behind_a_lock_answers_503_json_not_500(
    gunicorn_sites, quiet_postgres, site
):
    import psycopg

    sites, token = gunicorn_sites
    base, log = sites[site]
    before = usage_count(quiet_postgres.url)

    # Another session holds the usage table: the token check and the view run,
    # the usage INSERT waits until the statement timeout cancels it.
    with psycopg.connect(quiet_postgres.url) as blocker:
        blocker.execute("LOCK TABLE api_clients_apiclientusage IN ACCESS EXCLUSIVE MODE")
        status, headers, body = http(base, PROVIDERS, bearer(token))
        blocker.rollback()

    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == UNAVAILABLE
    assert int(headers["Retry-After"]) > 0
    assert usage_count(quiet_postgres.url) == before
    written = log.read_text()
    assert "The database is not answering" in written
    assert "Traceback" not in written and token not in written
    # Once the lock is gone, the next request is served and recorded.
    assert http(base, PROVIDERS, bearer(token))[0] == 200
    assert usage_count(quiet_postgres.url) == before + 1
