"""Token format, checksum and digest; what is stored of a token."""

import hashlib
import hmac
import math
import random
import re
from unittest import mock

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from api_clients import tokens
from api_clients.models import ApiClient, ApiClientLogEntry

TOKEN_PATTERN = re.compile(r"rtp_[0-9A-Za-z]{32}[0-9A-Za-z]{6}")


def make_token(secret):
    return f"{tokens.token_prefix()}{secret}{tokens.checksum(secret)}"


secrets_ = st.text(alphabet=tokens.BASE62_ALPHABET, min_size=32, max_size=32)


class TestFormat:
    def test_a_token_is_prefix_secret_and_checksum(self):
        token = tokens.generate_token()

        assert TOKEN_PATTERN.fullmatch(token)
        assert len(token) == len("rtp_") + tokens.BODY_LENGTH == 42
        secret, check = token[4:36], token[36:]
        assert check == tokens.checksum(secret)

    def test_the_secret_has_at_least_160_bits(self):
        # Measured on tokens as generated: the random part between prefix and checksum.
        generated = [tokens.generate_token() for _ in range(500)]
        secrets = [token[len("rtp_") : -6] for token in generated]
        alphabet = set("".join(secrets))
        assert len(alphabet) == 62
        # Even with the hint shown, what stays hidden is more than 160 bits.
        shown = len(tokens.hint(generated[0])) - len("rtp_")
        assert (len(secrets[0]) - shown) * math.log2(len(alphabet)) > 160

    def test_tokens_do_not_repeat(self):
        assert len({tokens.generate_token() for _ in range(2000)}) == 2000

    def test_the_checksum_is_crc32_in_base62(self):
        import zlib

        secret = "0" * 32
        value = zlib.crc32(b"rtp_" + secret.encode())
        check = tokens.checksum(secret)
        decoded = 0
        for char in check:
            decoded = decoded * 62 + tokens.BASE62_ALPHABET.index(char)
        assert decoded == value

    def test_the_hint_is_the_prefix_and_four_characters(self):
        token = tokens.generate_token()
        assert tokens.hint(token) == token[:8]

    @pytest.mark.parametrize(
        "candidate",
        [
            None,
            42,
            b"rtp_" + b"A" * 38,
            "",
            "rtp_",
            "xyz_" + "A" * 38,
            "RTP_" + "A" * 38,
            "rtp_" + "A" * 37,
            "rtp_" + "A" * 39,
            "rtp_" + "A" * 31 + "-" + "A" * 6,
            "rtp_" + "é" * 38,
            "rtp_" + "\u0661" * 38,
            " rtp_" + "A" * 37,
        ],
    )
    def test_malformed_tokens_are_rejected(self, candidate):
        assert tokens.is_well_formed(candidate) is False

    def test_a_mistyped_token_is_rejected_offline(self):
        # No database here: pytest-django refuses any query outside django_db tests.
        token = tokens.generate_token()
        swapped = token[:10] + token[11] + token[10] + token[12:]
        if swapped == token:  # two equal characters side by side
            swapped = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]

        assert tokens.is_well_formed(token)
        assert not tokens.is_well_formed(swapped)


@given(rnd=st.randoms(use_true_random=False))
def test_generated_tokens_are_always_well_formed(rnd):
    # Drive the generator's randomness from hypothesis to explore its output.
    with mock.patch.object(tokens.secrets, "choice", rnd.choice):
        token = tokens.generate_token()
    assert TOKEN_PATTERN.fullmatch(token)
    assert tokens.is_well_formed(token)


@given(secret=secrets_, data=st.data())
def test_any_single_character_change_breaks_the_checksum_or_the_format(secret, data):
    token = make_token(secret)
    assert tokens.is_well_formed(token)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(
        st.characters(exclude_characters=token[position], exclude_categories=["Cs"]),
        label="replacement",
    )
    changed = token[:position] + replacement + token[position + 1 :]

    assert not tokens.is_well_formed(changed)


@given(secret=secrets_, position=st.integers(min_value=0, max_value=40))
def test_swapping_neighbours_breaks_the_checksum(secret, position):
    token = make_token(secret)
    swapped = token[:position] + token[position + 1] + token[position] + token[position + 2 :]
    if swapped != token:
        assert not tokens.is_well_formed(swapped)


class TestDigest:
    def test_the_digest_is_hmac_sha256_keyed_from_the_secret_key(self, settings):
        settings.SECRET_KEY = "a-key-for-this-test-" + "k" * 40
        token = make_token("A" * 32)

        # Django's salted_hmac: the HMAC key is SHA-256(salt + secret key).
        key = hashlib.sha256(f"{tokens.DIGEST_SALT}{settings.SECRET_KEY}".encode()).digest()
        expected = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()

        assert tokens.digest(token) == expected
        assert re.fullmatch(r"[0-9a-f]{64}", expected)

    def test_another_key_gives_another_digest(self, settings):
        token = tokens.generate_token()
        settings.SECRET_KEY = "first-key-" + "a" * 40
        first = tokens.digest(token)
        settings.SECRET_KEY = "second-key-" + "b" * 40
        assert tokens.digest(token) != first
        assert tokens.digest(token, secret_key="first-key-" + "a" * 40) == first

    def test_lookups_try_the_current_key_then_every_fallback(self, settings):
        settings.SECRET_KEY = "current-" + "c" * 40
        settings.SECRET_KEY_FALLBACKS = ["old-" + "o" * 40, "older-" + "p" * 40]
        token = tokens.generate_token()

        assert tokens.candidate_digests(token) == [
            tokens.digest(token, secret_key=key)
            for key in ["current-" + "c" * 40, "old-" + "o" * 40, "older-" + "p" * 40]
        ]


@pytest.mark.django_db
class TestStorage:
    def test_the_plaintext_is_in_no_column_of_the_row(self, api_user, make_client):
        api_client, token = make_client(api_user)
        secret = token[len("rtp_") : len("rtp_") + tokens.SECRET_LENGTH]

        table = connection.ops.quote_name(ApiClient._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [api_client.pk])
            (row,) = cursor.fetchall()
            columns = [column[0] for column in cursor.description]

        assert len(columns) == len(ApiClient._meta.concrete_fields)
        for column, value in zip(columns, row, strict=True):
            text = str(value)
            assert token not in text, column
            assert secret[4:] not in text, column  # not even most of the secret
        stored = dict(zip(columns, row, strict=True))
        assert stored["token_digest"] == tokens.digest(token)
        assert stored["token_hint"] == token[:8]

    def test_the_plaintext_is_not_in_the_audit_log(self, api_user, make_client):
        api_client, token = make_client(api_user)
        for entry in ApiClientLogEntry.objects.for_instance(api_client):
            for field in entry._meta.concrete_fields:
                assert token[4:36] not in str(getattr(entry, field.attname))

    def test_two_clients_never_share_a_digest(self, api_user, make_client):
        first, _ = make_client(api_user, name="First")
        second, _ = make_client(api_user, name="Second")
        assert first.token_digest != second.token_digest

    def test_a_clash_of_digests_is_not_mistaken_for_a_duplicate_name(self, api_user, make_client):
        # Astronomically unlikely, but it must not read as "name taken".
        from django.db import IntegrityError

        existing, token = make_client(api_user, name="First")
        with (
            mock.patch.object(tokens, "generate_token", return_value=token),
            pytest.raises(IntegrityError),
        ):
            make_client(api_user, name="Second")


def test_the_random_source_is_the_secrets_module():
    # A seeded Python random must not change what tokens come out.
    random.seed(1)
    first = tokens.generate_token()
    random.seed(1)
    assert tokens.generate_token() != first
