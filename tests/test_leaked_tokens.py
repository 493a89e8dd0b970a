"""A leaked token's client: the details page says why, the history says so, and
``manage.py api_clients revoke-token`` revokes one reported by anyone else."""

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from helpers import heading, soup, url
from wagtail.log_actions import registry as log_registry

from api_clients import leaked_tokens, tokens
from api_clients.checks import check_api_clients_settings
from api_clients.dates import today
from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.services import LEAKED_TOKEN_ACTION, delete_api_client, revoke_api_client
from api_clients.usage import summarise_usage

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LEAK_URL = "https://github.com/someone/project/blob/abc123/settings.py"


@pytest.fixture
def owner(make_user):
    return make_user("owner", group="API users", email="owner@example.com")


def run(*args, stdin=""):
    out = io.StringIO()
    call_command("api_clients", *args, stdin=io.StringIO(stdin), stdout=out, stderr=io.StringIO())
    return out.getvalue()


class TestDetailsPage:
    def test_shows_where_the_token_was_found_beside_the_revoked_tag(
        self, client, owner, make_client
    ):
        api_client, _ = make_client(owner, name="Feed")
        leaked_tokens.revoke_leaked(api_client, leak=leaked_tokens.github_leak(LEAK_URL))
        client.force_login(owner)

        response = client.get(url("inspect", api_client))

        assert heading(response) == f"Feed Revoked Token found in public at {LEAK_URL}"
        note = soup(response).select_one("#page-heading .api-clients-leak-note")
        link = note.find("a")
        assert link["href"] == LEAK_URL
        assert "noreferrer" in link["rel"]
        assert "{#" not in response.content.decode()  # no template comment shows

    def test_a_reported_token_says_it_was_reported(self, client, owner, make_client):
        api_client, _ = make_client(owner, name="Feed")
        leaked_tokens.revoke_leaked(api_client, leak=leaked_tokens.reported_leak())
        client.force_login(owner)

        response = client.get(url("inspect", api_client))

        assert heading(response) == "Feed Revoked Token found in public"

    def test_a_url_that_is_not_http_is_shown_as_text_not_a_link(self, client, owner, make_client):
        api_client, _ = make_client(owner, name="Feed")
        leaked_tokens.revoke_leaked(
            api_client, leak=leaked_tokens.github_leak("javascript:alert(1)<b>")
        )
        client.force_login(owner)

        response = client.get(url("inspect", api_client))

        note = soup(response).select_one(".api-clients-leak-note")
        assert note.find("a") is None
        assert note.find("b") is None
        assert "javascript:alert(1)<b>" in note.get_text()

    def test_a_client_revoked_by_a_person_shows_no_reason(
        self, client, owner, manager, make_client
    ):
        api_client, _ = make_client(owner, name="Feed")
        revoke_api_client(api_client, user=manager)
        client.force_login(owner)

        response = client.get(url("inspect", api_client))

        assert heading(response) == "Feed Revoked"
        assert soup(response).select(".api-clients-leak-note") == []

    def test_the_reason_costs_one_query_on_the_details_page_only(self, client, owner, make_client):
        active, _ = make_client(owner, name="Active")
        leaked, _ = make_client(owner, name="Leaked")
        leaked_tokens.revoke_leaked(leaked, leak=leaked_tokens.github_leak(LEAK_URL))
        client.force_login(owner)
        client.get(url("inspect", active))  # warm caches
        # A client's finished days are counted once, on the first view; then read.
        summarise_usage(leaked)

        with CaptureQueriesContext(connection) as active_queries:
            client.get(url("inspect", active))
        with CaptureQueriesContext(connection) as leaked_queries:
            client.get(url("inspect", leaked))

        assert len(leaked_queries) == len(active_queries) + 1

    def test_the_history_says_token_found_in_public_with_the_url(self, client, owner, make_client):
        api_client, _ = make_client(owner, name="Feed")
        leaked_tokens.revoke_leaked(api_client, leak=leaked_tokens.github_leak(LEAK_URL))
        client.force_login(owner)

        response = client.get(url("history", api_client))

        text = soup(response).get_text(" ", strip=True)
        assert f"Token found in public at {LEAK_URL}; API client revoked" in text
        assert log_registry.get_action_label(LEAKED_TOKEN_ACTION) == "Token found in public"


class TestRevokeToken:
    def test_revokes_the_client_of_a_token_read_from_standard_input(
        self, owner, manager, make_client
    ):
        api_client, token = make_client(owner, name="Feed")

        output = run("revoke-token", "--by", "manager", stdin=f"  {token}\n")

        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert api_client.revoked_by == manager
        assert f"Revoked API client {api_client.pk} 'Feed'" in output
        assert "Its owner has been emailed." in output
        assert token not in output
        entry = ApiClientLogEntry.objects.get(action=LEAKED_TOKEN_ACTION)
        assert entry.data == {"source": "reported"}
        assert entry.user_id == manager.pk
        assert entry.message == "Token found in public; API client revoked"
        (email,) = mail.outbox
        assert email.subject == "API client Feed was revoked"
        assert email.body == (
            "Its token was found in public and has been revoked.\n\n"
            "Add a new API client: http://testserver/admin/api-clients/new/\n"
        )

    def test_twice_revokes_once_and_mails_once(self, owner, make_client):
        api_client, token = make_client(owner, name="Feed")

        run("revoke-token", stdin=token)
        output = run("revoke-token", stdin=token)

        assert f"API client {api_client.pk} 'Feed' is revoked" in output
        assert "Nothing changed." in output
        assert len(mail.outbox) == 1
        assert ApiClientLogEntry.objects.filter(action=LEAKED_TOKEN_ACTION).count() == 1

    def test_a_replaced_token_is_recognised_and_revokes_only_while_it_works(
        self, owner, make_client
    ):
        from api_clients.services import renew_api_client

        api_client, old_token = make_client(owner, name="Feed")
        api_client, middle_token = renew_api_client(
            api_client, expiry_date=today() + datetime.timedelta(days=60), overlap="0", user=owner
        )

        output = run("revoke-token", stdin=old_token)

        assert f"That is the previous token of API client {api_client.pk} 'Feed'" in output
        assert "Nothing changed." in output
        api_client.refresh_from_db()
        assert api_client.revoked_at is None
        assert mail.outbox == []

        # Renewed again with an overlap: the token it replaced still works, so
        # finding it in public revokes the client.
        renew_api_client(
            api_client, expiry_date=today() + datetime.timedelta(days=90), overlap="1h", user=owner
        )

        output = run("revoke-token", stdin=middle_token)

        assert f"Revoked API client {api_client.pk} 'Feed'" in output
        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize("state", ["expired", "deleted"])
    def test_an_expired_or_deleted_client_is_left_as_it_is(self, owner, make_client, state):
        api_client, token = make_client(owner, name="Feed")
        if state == "expired":
            ApiClient.objects.filter(pk=api_client.pk).update(
                expiry_date=today() - datetime.timedelta(days=1)
            )
        else:
            delete_api_client(api_client, user=owner)

        output = run("revoke-token", stdin=token)

        assert f"is {state}" in output
        api_client.refresh_from_db()
        assert api_client.revoked_at is None
        assert mail.outbox == []

    def test_an_owner_without_email_is_revoked_and_the_command_says_no_email(
        self, make_user, make_client
    ):
        quiet = make_user("quiet", group="API users")
        api_client, token = make_client(quiet)

        output = run("revoke-token", stdin=token)

        assert "no email" in output
        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert mail.outbox == []

    @pytest.mark.parametrize(
        ("stdin", "message"),
        [
            ("", "No token on standard input"),
            ("   \n\n", "No token on standard input"),
            ("rtp_abc", "That is not an API client token"),
            ("x" * 5000, "Give exactly one token"),
        ],
    )
    def test_bad_input_is_refused_with_a_clear_message(self, owner, make_client, stdin, message):
        api_client, _ = make_client(owner)

        with pytest.raises(CommandError, match=message):
            run("revoke-token", stdin=stdin)

        api_client.refresh_from_db()
        assert api_client.revoked_at is None

    def test_two_tokens_are_refused_and_neither_revoked(self, owner, make_client):
        first, first_token = make_client(owner, name="One")
        second, second_token = make_client(owner, name="Two")

        with pytest.raises(CommandError, match="Give exactly one token"):
            run("revoke-token", stdin=f"{first_token}\n{second_token}\n")

        assert not ApiClient.objects.filter(revoked_at__isnull=False).exists()

    def test_a_token_of_no_client_says_so(self, owner, make_client):
        make_client(owner)

        with pytest.raises(CommandError, match="No API client has this token"):
            run("revoke-token", stdin=tokens.generate_token())

    def test_at_a_terminal_the_token_is_asked_for_without_echo(
        self, owner, make_client, monkeypatch
    ):
        api_client, token = make_client(owner)

        class Terminal(io.StringIO):
            def isatty(self):
                return True

        asked = []
        monkeypatch.setattr(
            "getpass.getpass", lambda prompt, stream=None: asked.append(prompt) or token
        )
        out = io.StringIO()
        call_command("api_clients", "revoke-token", stdin=Terminal(), stdout=out)

        assert asked == ["Token (not shown): "]
        api_client.refresh_from_db()
        assert api_client.is_revoked


def manage(*args, tmp_path, stdin=None):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_from_a_shell_the_token_is_piped_in_and_never_taken_from_the_command_line(tmp_path):
    assert manage("migrate", "--no-input", tmp_path=tmp_path).returncode == 0
    made = manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user('piper', 'piper@example.com')",
        tmp_path=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    expires = (today() + datetime.timedelta(days=30)).isoformat()
    created = manage(
        "api_clients", "create", "--owner", "piper", "--name", "Piped", "--expires", expires,
        "--json", tmp_path=tmp_path,
    )  # fmt: skip
    token = json.loads(created.stdout)["token"]

    on_the_command_line = manage("api_clients", "revoke-token", token, tmp_path=tmp_path)
    nothing_piped = manage("api_clients", "revoke-token", tmp_path=tmp_path, stdin="")
    piped = manage("api_clients", "revoke-token", tmp_path=tmp_path, stdin=token + "\n")

    assert on_the_command_line.returncode == 2
    assert "unrecognized arguments" in on_the_command_line.stderr
    assert nothing_piped.returncode == 1
    assert "No token on standard input" in nothing_piped.stderr
    assert piped.returncode == 0, piped.stderr
    assert "Revoked API client" in piped.stdout
    assert token not in piped.stdout + piped.stderr


class TestSettings:
    @pytest.mark.parametrize(
        ("value", "error"),
        [
            ("", "api_clients.E006"),
            (5, "api_clients.E006"),
            ("ftp://keys.example.com/keys.json", "api_clients.E006"),
            ("/no/such/keys.json", "api_clients.W002"),
            ("http://keys.example.com/keys.json", "api_clients.W003"),
        ],
    )
    def test_a_bad_keys_source_fails_the_checks(self, settings, value, error):
        settings.API_CLIENTS = {"SECRET_SCANNING_KEYS": value}

        assert [problem.id for problem in check_api_clients_settings(None)] == [error]

    @pytest.mark.parametrize(
        ("key", "value", "error"),
        [
            ("SECRET_SCANNING_RATE_LIMIT", "lots", "api_clients.E004"),
            ("SECRET_SCANNING_MAX_BODY_BYTES", 0, "api_clients.E003"),
            ("SECRET_SCANNING_MAX_BODY_BYTES", 10**12, "api_clients.E003"),
        ],
    )
    def test_bad_limits_fail_the_checks(self, settings, key, value, error):
        settings.API_CLIENTS = {key: value}

        assert [problem.id for problem in check_api_clients_settings(None)] == [error]

    def test_good_sources_pass(self, settings, tmp_path):
        keys = tmp_path / "keys.json"
        keys.write_text('{"public_keys": []}')
        for source in (
            str(keys),
            "https://api.github.com/meta/public_keys/secret_scanning",
            "http://127.0.0.1:8001/keys.json",
        ):
            settings.API_CLIENTS = {"SECRET_SCANNING_KEYS": source}
            assert check_api_clients_settings(None) == []

    def test_the_site_reads_the_keys_source_from_the_environment(self):
        from test_settings import settings_value

        default = settings_value("settings.API_CLIENTS.get('SECRET_SCANNING_KEYS')", DEBUG="true")
        configured = settings_value(
            "settings.API_CLIENTS['SECRET_SCANNING_KEYS']",
            DEBUG="true",
            SECRET_SCANNING_KEYS="/etc/register/github-keys.json",
        )

        assert default == "None"  # the app's default: GitHub's URL
        assert configured == "/etc/register/github-keys.json"


def test_the_regex_in_the_readme_finds_every_token_and_its_checksum_reads_as_described():
    import re
    import zlib

    readme = (ROOT / "README.md").read_text()
    pattern = re.search(r"its regular expression: `([^`]+)`", readme).group(1)
    for _ in range(200):
        token = tokens.generate_token()
        assert re.fullmatch(pattern, token)
        assert re.findall(pattern, f"API_TOKEN='{token}'\n") == [token]
        secret, check = token[4:36], token[36:]
        value, digits = zlib.crc32(f"rtp_{secret}".encode()), ""
        for _ in range(6):
            value, remainder = divmod(value, 62)
            digits = tokens.BASE62_ALPHABET[remainder] + digits
        assert check == digits
    assert not re.search(pattern, "xrtp_" + "a" * 38)


@pytest.mark.django_db(transaction=True)
def test_two_reports_at_once_revoke_once_and_mail_once(make_user, make_client):
    import contextlib
    import threading

    from django.db import connection, connections

    owner = make_user("racer", email="racer@example.com")
    api_client, _ = make_client(owner)
    # Each report read the client as active before either revoked it.
    copies = [ApiClient.objects.select_related("owner").get(pk=api_client.pk) for _ in range(2)]
    barrier = threading.Barrier(2)
    # SQLite's shared in-memory test database locks whole tables rather than
    # waiting for a writer: there the two reports queue, as on a SQLite site.
    one_at_a_time = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    outcomes = []

    def report(copy):
        try:
            barrier.wait(timeout=10)
            with one_at_a_time:
                outcomes.append(
                    leaked_tokens.revoke_leaked(copy, leak=leaked_tokens.reported_leak())
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [False, True]
    assert ApiClientLogEntry.objects.filter(action=LEAKED_TOKEN_ACTION).count() == 1
    assert len(mail.outbox) == 1
