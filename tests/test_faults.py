"""The fault table, for real: a private Redis and a private PostgreSQL are
stopped, stalled and brought back while the site answers requests.

The cache's faults are seen through Django's whole request cycle in this
process; the database's through the production server (gunicorn) in a
subprocess, since the test's own database connection cannot be the one that
fails. Time bounds are generous: they say "does not hang", not how fast.
"""

import json
import logging
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from servers import (
    RedisServer,
    free_port,
    migrate_with_a_client,
    running_postgres,
    site_env,
    wait_for_port,
)

from api_clients import auth
from api_clients.models import ApiClientUsage

ROOT = Path(__file__).resolve().parents[1]
UNAVAILABLE = {"detail": "The service is unavailable. Try again later."}
# Far above the 5 seconds a fault may take to answer, far below a hang.
DOES_NOT_HANG = 20

PROVIDERS = "/api/v1/providers"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- the shared cache (Redis) ------------------------------------------------


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_private_redis(redis_server, settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.API_CLIENTS = {**settings.API_CLIENTS, "CLIENT_RATE_LIMIT": "3/min"}
    monkeypatch.setattr(auth, "_cache_error_logged_at", None)
    return redis_server


@pytest.mark.django_db
def test_the_api_is_served_while_the_cache_is_down_and_limits_come_back_with_it(
    on_private_redis, client, api_user, make_client, caplog
):
    own, token = make_client(api_user)
    statuses = [client.get(PROVIDERS, headers=bearer(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]

    on_private_redis.stop()
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    down = [client.get(PROVIDERS, headers=bearer(token)) for _ in range(6)]
    elapsed = time.monotonic() - started

    assert [response.status_code for response in down] == [200] * 6
    assert elapsed < DOES_NOT_HANG
    assert down[0].json()["items"] == []
    cache_errors = [r for r in caplog.records if "shared cache is not answering" in r.message]
    assert len(cache_errors) == 1 and cache_errors[0].levelno == logging.ERROR
    # Still recorded: the usage rows are in the database, not the cache.
    assert ApiClientUsage.objects.filter(client=own, status_code=200).count() == 9
    # A refused token is still refused, without the cache to count it by.
    assert client.get(PROVIDERS, headers=bearer("rtp_wrong")).status_code == 401

    on_private_redis.start()
    statuses = [client.get(PROVIDERS, headers=bearer(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_a_setting_refuses_api_requests_while_the_cache_is_down(
    on_private_redis, settings, client, api_user, make_client
):
    settings.API_CLIENTS = {**settings.API_CLIENTS, "RATE_LIMIT_WITHOUT_CACHE": "refuse"}
    own, token = make_client(api_user)
    on_private_redis.stop()

    response = client.get(PROVIDERS, headers=bearer(token))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert ApiClientUsage.objects.get(client=own).status_code == 503

    on_private_redis.start()
    assert client.get(PROVIDERS, headers=bearer(token)).status_code == 200


@pytest.mark.django_db
def test_health_and_the_admin_while_the_cache_is_down(on_private_redis, client, manager):
    assert client.get("/health").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    on_private_redis.stop()

    health = client.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}

    # The admin's add flow does not depend on the cache.
    client.force_login(manager)
    assert client.get("/admin/api-clients/").status_code == 200
    from helpers import ADD_CHECK_URL, ADD_URL, add_data, hidden_value

    assert client.post(ADD_URL, add_data(name="Cacheless")).status_code == 302
    check = client.get(ADD_CHECK_URL)
    created = client.post(ADD_CHECK_URL, {"submission": hidden_value(check, "submission")})
    assert created.status_code == 200
    assert "API client token created" in created.content.decode()

    on_private_redis.start()
    assert client.get("/health").status_code == 200


# --- the database (PostgreSQL), under the production server ------------------


def http(port, path, headers=None, method="GET", timeout=60):
    """(status, headers, body, seconds) of one request to the server on ``port``."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers=headers or {}, method=method
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local
            return response.status, response.headers, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.monotonic() - started


@pytest.fixture(scope="module")
def private_postgres():
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def site_on_private_postgres(private_postgres, tmp_path_factory):
    """gunicorn serving the site on the private PostgreSQL; yields (port, token)."""
    env = site_env(private_postgres.url, tmp_path_factory.mktemp("var"))
    token = migrate_with_a_client(env, "Fault test")
    port = free_port()
    log = tmp_path_factory.mktemp("log") / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
            + ["--pythonpath", str(ROOT / "site"), "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--timeout", "60", "--no-control-socket"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        wait_for_port(port)
        yield port, token, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def assert_unavailable(port, token):
    status, headers, body, seconds = http(port, PROVIDERS, bearer(token), timeout=DOES_NOT_HANG)
    assert status == 503, body
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == UNAVAILABLE
    assert int(headers["Retry-After"]) > 0
    assert seconds < DOES_NOT_HANG
    return seconds


def assert_served(port, token):
    status, _, body, _ = http(port, PROVIDERS, bearer(token))
    assert status == 200, body
    assert json.loads(body)["count"] == 0


def test_a_database_that_is_down_answers_503_json_and_recovers(
    site_on_private_postgres, private_postgres
):
    port, token, log = site_on_private_postgres
    assert_served(port, token)

    private_postgres.stop()
    try:
        seconds = assert_unavailable(port, token)
        status, _, body, _ = http(port, "/health")
        assert status == 503
        assert json.loads(body)["database"] == "unavailable"
        # The admin: its own 503 page, in its own look (a session means a query).
        status, headers, body, _ = http(port, "/admin/", {"Cookie": "sessionid=abc"})
        assert status == 503
        assert headers["Content-Type"].startswith("text/html")
        assert b"Service unavailable" in body and b"wagtailadmin/css/core.css" in body
    finally:
        private_postgres.start()

    print(f"database down: 503 in {seconds:.2f} s")
    # The outage is logged once, at ERROR, without a traceback per request.
    written = log.read_text()
    assert written.count("The database is not answering") == 1, written
    assert "Traceback" not in written and "Service Unavailable" not in written
    assert_served(port, token)
    assert http(port, "/health")[0] == 200


def test_a_database_that_stalls_answers_503_json_in_time_and_recovers(
    site_on_private_postgres, private_postgres
):
    port, token, log = site_on_private_postgres
    assert_served(port, token)

    private_postgres.end_connections()
    private_postgres.stall()
    try:
        seconds = assert_unavailable(port, token)
        status, _, _, health_seconds = http(port, "/health")
        assert status == 503 and health_seconds < DOES_NOT_HANG
    finally:
        private_postgres.resume()

    print(f"database stalled: 503 in {seconds:.2f} s")
    assert_served(port, token)


def test_a_database_that_freezes_answers_503_json_in_time_on_a_kept_connection(
    site_on_private_postgres, private_postgres
):
    """The whole server frozen (a hung disk or host): the worker's open connection
    gets no answer and no error from the kernel, and the server cannot cancel."""
    port, token, log = site_on_private_postgres
    assert_served(port, token)  # the worker keeps this connection open

    private_postgres.freeze()
    try:
        seconds = assert_unavailable(port, token)
        status, _, _, health_seconds = http(port, "/health", timeout=DOES_NOT_HANG)
        assert status == 503 and health_seconds < DOES_NOT_HANG
    finally:
        private_postgres.resume()

    print(f"database frozen: 503 in {seconds:.2f} s")
    assert_served(port, token)
    assert http(port, "/health")[0] == 200


def test_a_query_stuck_behind_a_lock_is_cancelled_with_503_json_and_recovers(
    site_on_private_postgres, private_postgres
):
    import psycopg

    port, token, log = site_on_private_postgres
    assert_served(port, token)

    # Another session holds the clients' table: the token lookup waits, until
    # the statement timeout cancels it.
    with psycopg.connect(private_postgres.url) as blocker:
        blocker.execute("LOCK TABLE api_clients_apiclient IN ACCESS EXCLUSIVE MODE")
        seconds = assert_unavailable(port, token)
        blocker.rollback()

    print(f"query behind a lock: 503 in {seconds:.2f} s")
    assert_served(port, token)


@pytest.mark.django_db
def test_a_request_counts_against_its_limit_in_one_round_trip_to_redis(
    on_private_redis, client, api_user, make_client, monkeypatch
):
    """Each API request is one command sent to Redis, and the window's key expires."""
    import redis
    from django.core.cache import caches

    own, token = make_client(api_user)
    client.get(PROVIDERS, headers=bearer(token))  # connect and load the script first
    sent = []
    real_send = redis.connection.Connection.send_packed_command

    def counting_send(connection, command, *args, **kwargs):
        sent.append(command)
        return real_send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting_send)
    statuses = [client.get(PROVIDERS, headers=bearer(token)).status_code for _ in range(3)]
    monkeypatch.undo()

    assert statuses == [200, 200, 429]
    assert len(sent) == 3
    backend = caches["default"]
    keys = backend._cache.get_client(write=False).keys("*api_clients:rate:api_clients_client*")
    assert len(keys) == 1
    ttl = backend._cache.get_client(write=False).ttl(keys[0])
    assert 0 < ttl <= 61
    assert backend.get(keys[0].decode().split(":", 2)[2]) == 4
    assert ApiClientUsage.objects.filter(client=own).count() == 4


@pytest.mark.django_db
def test_a_lost_script_is_loaded_again(on_private_redis, client, api_user, make_client):
    """A Redis restarted between requests has forgotten the script: it is sent again."""
    _, token = make_client(api_user)
    assert client.get(PROVIDERS, headers=bearer(token)).status_code == 200
    on_private_redis.stop()
    on_private_redis.start()
    statuses = [client.get(PROVIDERS, headers=bearer(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
