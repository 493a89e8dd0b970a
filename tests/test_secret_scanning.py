"""POST /api/v1/secret-scanning/github: GitHub reports tokens it found in public."""

import datetime
import hashlib
import json
import socket

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api_clients import secret_scanning, tokens
from api_clients.dates import today
from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.services import LEAKED_TOKEN_ACTION, delete_api_client, revoke_api_client
from tests.secret_scanning_helpers import (
    ENDPOINT,
    KeysServer,
    SigningKey,
    keys_document,
    post_report,
)

pytestmark = pytest.mark.django_db

LEAK_URL = "https://github.com/someone/project/blob/abc123/settings.py"


@pytest.fixture
def github_key():
    return SigningKey("github-key-2026")


@pytest.fixture
def keys_file(tmp_path, settings, github_key):
    """GitHub's keys in a local file, as SECRET_SCANNING_KEYS may name one."""
    path = tmp_path / "secret_scanning_keys.json"
    path.write_bytes(keys_document(github_key.entry()))
    settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_KEYS": str(path)}
    return path


def use_keys_source(settings, source):
    settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_KEYS": source}


def report(token, url=LEAK_URL, token_type="register_api_token"):
    return {"token": token, "type": token_type, "url": url, "source": "content"}


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def unknown_token():
    """A well-formed token that belongs to no client."""
    return tokens.generate_token()


def assert_unchanged(api_client):
    api_client.refresh_from_db()
    assert api_client.revoked_at is None
    assert not ApiClientLogEntry.objects.filter(action=LEAKED_TOKEN_ACTION).exists()
    assert mail.outbox == []


@pytest.fixture
def owner(make_user):
    return make_user("owner", group="API users", email="owner@example.com", first_name="Ada")


class TestTruePositive:
    def test_revokes_the_client_logs_why_and_emails_the_owner(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner, name="Student records")

        response = post_report(client, [report(token)], github_key)

        assert response.status_code == 200
        assert response.json() == [
            {
                "token_hash": sha256(token),
                "token_type": "register_api_token",
                "label": "true_positive",
            }
        ]
        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert api_client.revoked_by is None
        entry = ApiClientLogEntry.objects.get(action=LEAKED_TOKEN_ACTION)
        assert entry.object_id == str(api_client.pk)
        assert entry.data == {"source": "github", "url": LEAK_URL}
        assert entry.owner_id == owner.pk
        assert entry.message == f"Token found in public at {LEAK_URL}; API client revoked"
        (email,) = mail.outbox
        assert email.to == ["owner@example.com"]
        assert email.subject == "API client Student records was revoked"
        assert email.body == (
            f"Its token was found in public at {LEAK_URL} and has been revoked.\n\n"
            "Add a new API client: http://testserver/admin/api-clients/new/\n"
        )
        assert token not in email.body

    def test_the_revoked_token_stops_working_at_once(
        self, client, keys_file, github_key, owner, make_client
    ):
        _, token = make_client(owner)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        assert client.get("/api/v1/info", **auth).status_code == 200

        post_report(client, [report(token)], github_key)

        assert client.get("/api/v1/info", **auth).status_code == 401

    def test_reported_twice_is_revoked_once_and_mailed_once(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)

        first = post_report(client, [report(token)], github_key)
        second = post_report(client, [report(token, url=LEAK_URL + "#again")], github_key)

        assert first.json()[0]["label"] == second.json()[0]["label"] == "true_positive"
        assert ApiClientLogEntry.objects.filter(action=LEAKED_TOKEN_ACTION).count() == 1
        assert len(mail.outbox) == 1
        api_client.refresh_from_db()
        assert LEAK_URL in ApiClientLogEntry.objects.get(action=LEAKED_TOKEN_ACTION).message

    def test_the_same_token_twice_in_one_post_gets_two_answers_and_one_revoke(
        self, client, keys_file, github_key, owner, make_client
    ):
        _, token = make_client(owner)

        response = post_report(client, [report(token), report(token)], github_key)

        assert [row["label"] for row in response.json()] == ["true_positive"] * 2
        assert ApiClientLogEntry.objects.filter(action=LEAKED_TOKEN_ACTION).count() == 1
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize("state", ["revoked", "deleted", "expired"])
    def test_a_dead_clients_token_is_still_ours_and_nothing_changes(
        self, client, keys_file, github_key, owner, make_client, state
    ):
        api_client, token = make_client(owner)
        if state == "revoked":
            revoke_api_client(api_client, user=owner)
        elif state == "deleted":
            delete_api_client(api_client, user=owner)
        else:
            ApiClient.objects.filter(pk=api_client.pk).update(
                expiry_date=today() - datetime.timedelta(days=1)
            )
        api_client.refresh_from_db()
        before = (api_client.revoked_at, api_client.deleted_at, ApiClientLogEntry.objects.count())

        response = post_report(client, [report(token)], github_key)

        assert response.status_code == 200
        assert response.json()[0]["label"] == "true_positive"
        api_client.refresh_from_db()
        after = (api_client.revoked_at, api_client.deleted_at, ApiClientLogEntry.objects.count())
        assert after == before
        assert mail.outbox == []

    @pytest.mark.parametrize("case", ["no email", "deactivated"])
    def test_owner_without_email_or_deactivated_is_revoked_without_email(
        self, client, keys_file, github_key, make_user, make_client, case
    ):
        owner = make_user("quiet", group="API users", email="quiet@example.com")
        api_client, token = make_client(owner)
        if case == "no email":
            owner.email = ""
        else:
            owner.is_active = False
        owner.save()

        response = post_report(client, [report(token)], github_key)

        assert response.json()[0]["label"] == "true_positive"
        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert mail.outbox == []

    def test_a_failing_mail_server_still_revokes_and_answers_200(
        self, client, keys_file, github_key, owner, make_client, settings
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
        api_client, token = make_client(owner)

        response = post_report(client, [report(token)], github_key)

        assert response.status_code == 200
        api_client.refresh_from_db()
        assert api_client.is_revoked

    def test_a_line_break_in_the_url_does_not_reach_the_email_or_log(
        self, client, keys_file, github_key, owner, make_client
    ):
        _, token = make_client(owner)

        post_report(
            client, [report(token, url="https://x.test/a\nBcc: evil@example.com")], github_key
        )

        entry = ApiClientLogEntry.objects.get(action=LEAKED_TOKEN_ACTION)
        assert entry.data["url"] == "https://x.test/a Bcc: evil@example.com"
        (email,) = mail.outbox
        assert email.bcc == []
        assert "\nBcc" not in email.body

    @pytest.mark.parametrize("odd", ["\x00", "\ud800", "\x1b"], ids=["nul", "surrogate", "escape"])
    def test_a_url_no_database_keeps_as_it_is_still_revokes(
        self, client, keys_file, github_key, owner, make_client, odd
    ):
        api_client, token = make_client(owner)

        response = post_report(client, [report(token, url=f"https://x.test/a{odd}b")], github_key)

        # PostgreSQL refuses NUL and lone surrogates in JSON: the URL is kept without them.
        assert response.status_code == 200, response.content[:300]
        assert response.json()[0]["label"] == "true_positive"
        api_client.refresh_from_db()
        assert api_client.is_revoked
        entry = ApiClientLogEntry.objects.get(action=LEAKED_TOKEN_ACTION)
        assert entry.data["url"] == "https://x.test/ab"
        assert client.get("/api/v1/info", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


class TestFalsePositive:
    def test_tokens_that_are_not_ours_are_false_positives(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        others = [unknown_token(), tampered, "not a token", "", "rtp_" + "x" * 500]

        response = post_report(
            client,
            [report(other, token_type=f"type-{i}") for i, other in enumerate(others)],
            github_key,
        )

        assert response.status_code == 200
        assert response.json() == [
            {"token_hash": sha256(other), "token_type": f"type-{i}", "label": "false_positive"}
            for i, other in enumerate(others)
        ]
        assert_unchanged(api_client)

    def test_an_empty_report_is_answered_with_an_empty_list(self, client, keys_file, github_key):
        response = post_report(client, [], github_key)

        assert response.status_code == 200
        assert response.json() == []

    def test_optional_fields_may_be_missing(self, client, keys_file, github_key):
        token = unknown_token()

        response = post_report(client, [{"token": token}], github_key)

        assert response.json() == [
            {"token_hash": sha256(token), "token_type": "", "label": "false_positive"}
        ]


class TestSignature:
    def test_no_signature_headers_is_401_json_and_changes_nothing(
        self, client, keys_file, owner, make_client
    ):
        api_client, token = make_client(owner)

        response = post_report(client, [report(token)])

        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "The signature is missing or not valid."}
        assert_unchanged(api_client)

    @pytest.mark.parametrize("missing", ["identifier", "signature"])
    def test_one_header_missing_is_401(
        self, client, keys_file, github_key, owner, make_client, missing
    ):
        api_client, token = make_client(owner)
        body = json.dumps([report(token)]).encode()
        headers = {
            "key_identifier": github_key.identifier if missing != "identifier" else None,
            "signature": github_key.sign(body) if missing != "signature" else None,
        }

        response = post_report(client, body, **headers)

        assert response.status_code == 401
        assert_unchanged(api_client)

    def test_a_tampered_body_is_401_and_changes_nothing(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        signed = json.dumps([report(unknown_token())]).encode()
        tampered = json.dumps([report(token)]).encode()

        response = post_report(
            client,
            tampered,
            key_identifier=github_key.identifier,
            signature=github_key.sign(signed),
        )

        assert response.status_code == 401
        assert_unchanged(api_client)

    def test_the_signature_covers_the_raw_bytes_not_the_parsed_json(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        signed = json.dumps([report(token)]).encode()
        same_json_other_bytes = json.dumps([report(token)], indent=2).encode()

        response = post_report(
            client,
            same_json_other_bytes,
            key_identifier=github_key.identifier,
            signature=github_key.sign(signed),
        )

        assert response.status_code == 401
        assert_unchanged(api_client)

    def test_signed_by_a_key_github_does_not_list_is_401(
        self, client, keys_file, owner, make_client
    ):
        api_client, token = make_client(owner)
        impostor = SigningKey("github-key-2026")  # GitHub's identifier, another key

        assert post_report(client, [report(token)], impostor).status_code == 401
        assert post_report(client, [report(token)], SigningKey("unknown-id")).status_code == 401
        assert_unchanged(api_client)

    @pytest.mark.parametrize(
        "signature", ["not base64!", "AAAA", "", "  ", "=" * 10, "x" * 10_000, "é"]
    )
    def test_garbage_signatures_are_401(
        self, client, keys_file, github_key, owner, make_client, signature
    ):
        api_client, token = make_client(owner)

        response = post_report(
            client, [report(token)], key_identifier=github_key.identifier, signature=signature
        )

        assert response.status_code == 401
        assert_unchanged(api_client)

    def test_a_rotated_out_key_still_verifies(
        self, client, tmp_path, settings, github_key, owner, make_client
    ):
        old_key, new_key = SigningKey("old"), github_key
        path = tmp_path / "keys.json"
        path.write_bytes(keys_document(old_key.entry(is_current=False), new_key.entry()))
        use_keys_source(settings, str(path))
        api_client, token = make_client(owner)

        response = post_report(client, [report(token)], old_key)

        assert response.status_code == 200
        assert response.json()[0]["label"] == "true_positive"
        api_client.refresh_from_db()
        assert api_client.is_revoked

    def test_no_csrf_token_and_no_bearer_token_are_needed(self, keys_file, github_key):
        strict = Client(enforce_csrf_checks=True)

        response = post_report(strict, [report(unknown_token())], github_key)

        assert response.status_code == 200
        assert "WWW-Authenticate" not in response


class TestKeysUrl:
    def test_keys_are_fetched_from_the_url_once_and_kept_in_the_cache(
        self, client, settings, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        with KeysServer(keys_document(github_key.entry())) as server:
            use_keys_source(settings, server.url)

            first = post_report(client, [report(unknown_token())], github_key)
            second = post_report(client, [report(token)], github_key)

        assert first.status_code == second.status_code == 200
        assert second.json()[0]["label"] == "true_positive"
        assert server.requests == 1
        api_client.refresh_from_db()
        assert api_client.is_revoked

    def test_a_new_key_id_fetches_the_keys_again_at_most_once_in_five_minutes(
        self, client, settings, github_key
    ):
        newer = SigningKey("github-key-2027")
        with KeysServer(keys_document(github_key.entry())) as server:
            use_keys_source(settings, server.url)
            assert post_report(client, [], github_key).status_code == 200
            # GitHub publishes a new key and signs with it.
            server.document = keys_document(github_key.entry(is_current=False), newer.entry())

            assert post_report(client, [], newer).status_code == 200
            assert server.requests == 2
            # Within five minutes, an unknown id does not fetch them again.
            for _ in range(3):
                assert post_report(client, [], SigningKey("made-up")).status_code == 401
            assert server.requests == 2

    @pytest.mark.parametrize(
        "failure", ["times out", "refuses", "answers 500", "answers HTML", "wrong shape"]
    )
    def test_keys_that_cannot_be_fetched_give_503_json_and_change_nothing(
        self, client, settings, monkeypatch, github_key, owner, make_client, failure
    ):
        monkeypatch.setattr(secret_scanning, "FETCH_TIMEOUT_SECONDS", 0.5)
        api_client, token = make_client(owner)
        with KeysServer(keys_document(github_key.entry())) as server:
            use_keys_source(settings, server.url)
            if failure == "times out":
                server.delay = 3
            elif failure == "refuses":
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    port = probe.getsockname()[1]
                use_keys_source(settings, f"http://127.0.0.1:{port}/keys")
            elif failure == "answers 500":
                server.status = 500
            elif failure == "answers HTML":
                server.document = b"<html>Rate limit exceeded</html>"
            else:
                server.document = b'{"public_keys": {"key_identifier": "x"}}'

            response = post_report(client, [report(token)], github_key)

        assert response.status_code == 503
        assert response["Content-Type"].startswith("application/json")
        assert response["Retry-After"] == "60"
        assert response.json() == {
            "detail": "The signature cannot be checked now. Try again later."
        }
        assert_unchanged(api_client)

    def test_when_github_cannot_be_reached_the_last_good_keys_serve(
        self, client, settings, monkeypatch, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        with KeysServer(keys_document(github_key.entry())) as server:
            use_keys_source(settings, server.url)
            monkeypatch.setattr(secret_scanning, "KEYS_FRESH_SECONDS", -1)  # stale at once
            assert post_report(client, [], github_key).status_code == 200
            assert post_report(client, [], github_key).status_code == 200
            server.status = 500

            response = post_report(client, [report(token)], github_key)
            again = post_report(client, [], github_key)

        assert response.status_code == 200
        assert response.json()[0]["label"] == "true_positive"
        assert again.status_code == 200
        # One failed try, then the copy serves for a while without asking again.
        assert server.requests == 3
        api_client.refresh_from_db()
        assert api_client.is_revoked

    def test_a_failed_fetch_is_not_cached(self, client, settings, github_key):
        with KeysServer(keys_document(github_key.entry())) as server:
            use_keys_source(settings, server.url)
            server.status = 500
            assert post_report(client, [], github_key).status_code == 503
            server.status = 200
            assert post_report(client, [], github_key).status_code == 200


class TestKeysFile:
    @pytest.mark.parametrize(
        "content",
        [
            None,
            b"",
            b"not json",
            b"[]",
            b'{"public_keys": "none"}',
        ],
        ids=["missing", "empty", "not-json", "list", "wrong-shape"],
    )
    def test_an_unusable_keys_file_gives_503(self, client, tmp_path, settings, github_key, content):
        path = tmp_path / "keys.json"
        if content is not None:
            path.write_bytes(content)
        use_keys_source(settings, str(path))

        response = post_report(client, [report(unknown_token())], github_key)

        assert response.status_code == 503

    @pytest.mark.parametrize(
        "pem", ["not a pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "rsa"]
    )
    def test_a_key_that_cannot_be_loaded_gives_503(
        self, client, tmp_path, settings, github_key, owner, make_client, pem
    ):
        if pem == "rsa":
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            pem = (
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
                .public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
        path = tmp_path / "keys.json"
        path.write_bytes(keys_document({"key_identifier": github_key.identifier, "key": pem}))
        use_keys_source(settings, str(path))
        api_client, token = make_client(owner)

        response = post_report(client, [report(token)], github_key)

        assert response.status_code == 503
        assert_unchanged(api_client)

    def test_malformed_entries_are_skipped_and_good_ones_used(
        self, client, tmp_path, settings, github_key
    ):
        path = tmp_path / "keys.json"
        path.write_bytes(
            keys_document("junk", {"key_identifier": 5}, {"key": "x"}, github_key.entry())
        )
        use_keys_source(settings, str(path))

        assert post_report(client, [], github_key).status_code == 200


class TestHostileBodies:
    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"\xff\xfe\x00",
            b"{}",
            b'"rtp_x"',
            b"[1, 2]",
            b'[{"type": "x"}]',
            b'[{"token": 5}]',
            b'[{"token": "x", "type": 5}]',
            b'[{"token": "x", "url": ["a"]}]',
            b"[" * 100_000,
            b"1" * 10_000,
        ],
    )
    def test_signed_but_malformed_bodies_are_400_json_and_change_nothing(
        self, client, keys_file, github_key, owner, make_client, body
    ):
        api_client, _ = make_client(owner)

        response = post_report(client, body, github_key)

        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        assert "JSON array" in response.json()["detail"]
        assert_unchanged(api_client)

    def test_a_body_over_the_limit_is_413_json_and_never_read(
        self, client, keys_file, github_key, owner, make_client, settings
    ):
        settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_MAX_BODY_BYTES": 1000}
        api_client, token = make_client(owner)
        body = json.dumps([report(token)] + [report(unknown_token()) for _ in range(20)]).encode()

        response = post_report(client, body, github_key)

        assert response.status_code == 413
        assert response.json() == {"detail": "The report is too large."}
        assert_unchanged(api_client)

    def test_the_default_limit_refuses_a_huge_body_without_a_signature_check(
        self, client, keys_file, owner, make_client
    ):
        api_client, _ = make_client(owner)
        body = b"[" + b'{"token": "x"},' * 200_000 + b"{}]"

        response = post_report(client, body, key_identifier="k", signature="AAAA")

        assert response.status_code == 413
        assert_unchanged(api_client)

    def test_thousands_of_tokens_cost_no_more_queries_than_ten(
        self, client, keys_file, github_key, owner, make_client
    ):
        api_client, token = make_client(owner)
        revoke_api_client(api_client, user=owner)  # a true positive, but nothing to change

        def queries_for(count):
            body = [report(token)] + [report(unknown_token()) for _ in range(count)]
            with CaptureQueriesContext(connection) as queries:
                response = post_report(client, body, github_key)
            assert response.status_code == 200
            assert len(response.json()) == count + 1
            assert response.json()[0]["label"] == "true_positive"
            return len(queries)

        assert queries_for(5000) == queries_for(10) <= 2

    def test_many_leaked_clients_in_one_post_are_each_revoked(
        self, client, keys_file, github_key, owner, make_client
    ):
        made = [make_client(owner, name=f"System {i}") for i in range(5)]

        response = post_report(client, [report(token) for _, token in made], github_key)

        assert [row["label"] for row in response.json()] == ["true_positive"] * 5
        assert ApiClient.objects.filter(revoked_at__isnull=False).count() == 5
        assert len(mail.outbox) == 5

    @hypothesis_settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        body=st.one_of(
            st.binary(max_size=300),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=4)
                    | st.dictionaries(
                        st.sampled_from(["token", "type", "url", "source", "other"]),
                        inner,
                        max_size=5,
                    )
                ),
                max_leaves=20,
            ).map(lambda value: json.dumps(value).encode()),
        )
    )
    def test_any_signed_body_gets_200_or_400_never_an_error_page(
        self, client, keys_file, github_key, settings, body
    ):
        settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_RATE_LIMIT": "10000/min"}

        response = post_report(client, body, github_key)

        assert response.status_code in (200, 400)
        assert response["Content-Type"].startswith("application/json")


class TestAround:
    def test_rate_limited_per_address_with_429_json_and_retry_after(
        self, client, keys_file, settings
    ):
        settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_RATE_LIMIT": "2/min"}

        statuses = [post_report(client, []).status_code for _ in range(3)]
        other_address = post_report(client, [], REMOTE_ADDR="10.0.0.9")
        refused = post_report(client, [])

        assert statuses == [401, 401, 429]
        assert other_address.status_code == 401
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) >= 1
        assert refused.json() == {"detail": "Too many requests. Try again later."}

    def test_get_is_not_allowed(self, client):
        assert client.get(ENDPOINT).status_code == 405

    def test_it_is_in_the_openapi_document_without_bearer_security(self, client):
        schema = client.get("/api/v1/openapi.json").json()

        operation = schema["paths"][ENDPOINT]["post"]
        assert "security" not in operation or operation["security"] in ([], [{}])
        assert set(operation["responses"]) >= {"200", "401", "413", "503"}

    def test_tokens_never_reach_the_logs(
        self, client, keys_file, github_key, owner, make_client, caplog
    ):
        _, token = make_client(owner)
        caplog.set_level("DEBUG")

        post_report(client, [report(token)], github_key)
        post_report(client, [report(token)], key_identifier="x", signature="AAAA")

        assert "revoked" in caplog.text
        assert token not in caplog.text


def test_a_shared_cache_that_is_down_skips_the_limit_and_the_key_cache_but_not_the_report(
    client, settings, github_key, owner, make_client, monkeypatch
):
    from api_clients import auth

    class DownCache:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("the cache is down")

            return fail

    monkeypatch.setattr(auth, "cache", DownCache())
    monkeypatch.setattr(secret_scanning, "cache", DownCache())
    api_client, token = make_client(owner)
    with KeysServer(keys_document(github_key.entry())) as server:
        use_keys_source(settings, server.url)

        response = post_report(client, [report(token)], github_key)

    assert response.status_code == 200
    assert response.json()[0]["label"] == "true_positive"
    api_client.refresh_from_db()
    assert api_client.is_revoked


def test_a_token_made_before_a_secret_key_rotation_is_still_found(
    client, keys_file, github_key, owner, make_client, settings
):
    api_client, token = make_client(owner)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 32

    response = post_report(client, [report(token)], github_key)

    assert response.json()[0]["label"] == "true_positive"
    api_client.refresh_from_db()
    assert api_client.is_revoked


class TestAfterARenewal:
    """The token a renewal replaced is ours too, while it works and after."""

    @pytest.fixture
    def renewed(self, owner, make_client):
        from api_clients.services import renew_api_client

        api_client, old_token = make_client(owner, name="Renewed")
        api_client, new_token = renew_api_client(
            api_client,
            expiry_date=today() + datetime.timedelta(days=90),
            overlap="24h",
            user=owner,
        )
        return api_client, old_token, new_token

    def test_a_previous_token_that_still_works_revokes_the_client(
        self, client, keys_file, github_key, renewed
    ):
        api_client, old_token, new_token = renewed

        response = post_report(client, [report(old_token)], github_key)

        assert response.json()[0]["label"] == "true_positive"
        api_client.refresh_from_db()
        assert api_client.is_revoked
        assert len(mail.outbox) == 1
        for token in (old_token, new_token):
            auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            assert client.get("/api/v1/info", **auth).status_code == 401

    def test_a_previous_token_that_has_stopped_is_ours_and_changes_nothing(
        self, client, keys_file, github_key, renewed
    ):
        api_client, old_token, new_token = renewed
        ApiClient.objects.filter(pk=api_client.pk).update(
            previous_token_expires_at=api_client.created_at
        )

        response = post_report(client, [report(old_token)], github_key)

        assert response.json()[0]["label"] == "true_positive"
        assert_unchanged(api_client)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {new_token}"}
        assert client.get("/api/v1/info", **auth).status_code == 200
