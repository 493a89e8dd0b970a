"""The token prefix is a setting: any valid prefix makes sound tokens, old ones keep working."""

import re
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api_clients import tokens
from api_clients.checks import check_api_clients_settings
from api_clients.conf import TOKEN_PREFIX_PATTERN
from api_clients.models import ApiClient

INFO = "/api/v1/info"

prefixes = st.from_regex(TOKEN_PREFIX_PATTERN, fullmatch=True)
secrets_ = st.text(alphabet=tokens.BASE62_ALPHABET, min_size=32, max_size=32)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def with_prefix(settings, prefix):
    settings.API_CLIENTS = {**getattr(settings, "API_CLIENTS", {}), "TOKEN_PREFIX": prefix}


class TestFormatUnderAnyPrefix:
    def test_new_tokens_take_the_configured_prefix(self, settings):
        with_prefix(settings, "acme_")

        token = tokens.generate_token()

        assert re.fullmatch(r"acme_[0-9A-Za-z]{38}", token)
        assert tokens.is_well_formed(token)
        assert tokens.hint(token) == token[:9]
        value = zlib.crc32(token[:-6].encode())
        assert tokens.checksum(token[5:37], "acme_") == token[-6:]
        assert token[-6:] == tokens._base62(value, tokens.CHECKSUM_LENGTH)

    @given(prefix=prefixes, secret=secrets_)
    def test_every_valid_prefix_makes_a_well_formed_recognisable_token(self, prefix, secret):
        token = f"{prefix}{secret}{tokens.checksum(secret, prefix)}"

        assert tokens.is_well_formed(token)
        assert re.fullmatch(tokens.token_pattern(prefix), token)
        # The hint is the prefix and four characters, and fits its column.
        assert tokens.hint(token) == prefix + secret[:4]
        assert len(tokens.hint(token)) <= ApiClient._meta.get_field("token_hint").max_length

    @given(prefix=prefixes, secret=secrets_, position=st.integers(min_value=0, max_value=200))
    def test_one_changed_character_anywhere_is_caught_offline(self, prefix, secret, position):
        token = f"{prefix}{secret}{tokens.checksum(secret, prefix)}"
        position %= len(token)
        replacement = "_" if token[position] != "_" else "Z"
        if token[position].isalnum() and position >= len(prefix):
            replacement = "0" if token[position] != "0" else "1"
        changed = token[:position] + replacement + token[position + 1 :]

        assert tokens.is_well_formed(changed) is False

    @pytest.mark.parametrize(
        "candidate",
        [
            "_" + "A" * 38,  # no prefix before the underscore
            "rtp" + "A" * 38,  # no underscore
            "r-p_" + "A" * 38,
            "toolongprefix_" + "A" * 38,  # 14 characters: past the limit
            "A" * 38,
        ],
    )
    def test_a_malformed_prefix_is_refused_whatever_follows(self, candidate):
        # Even with a checksum that matches, a malformed prefix is not a token.
        prefix = candidate[:-38]
        secret = "A" * 32
        assert tokens.is_well_formed(f"{prefix}{secret}{tokens.checksum(secret, prefix)}") is False


@pytest.mark.django_db
class TestChangingThePrefix:
    def test_tokens_minted_before_a_change_keep_working(
        self, client, settings, api_user, make_client
    ):
        _, old_token = make_client(api_user, name="Old")
        assert old_token.startswith("rtp_")

        with_prefix(settings, "acme_")
        new_client, new_token = make_client(api_user, name="New")

        assert new_token.startswith("acme_")
        assert new_client.token_hint == new_token[:9]
        for token, name in ((old_token, "Old"), (new_token, "New")):
            response = client.get(INFO, headers=bearer(token))
            assert response.status_code == 200, name
            assert response.json()["client_name"] == name

    def test_a_forged_token_with_another_prefix_is_refused(
        self, client, api_user, make_client, django_assert_num_queries
    ):
        _, token = make_client(api_user)
        secret = token[4:36]
        # The same secret under another prefix: well formed, but no such token.
        forged = f"zz_{secret}{tokens.checksum(secret, 'zz_')}"
        assert tokens.is_well_formed(forged)

        response = client.get(INFO, headers=bearer(forged))

        assert response.status_code == 401
        # A changed prefix without its checksum is refused without a lookup.
        with django_assert_num_queries(0):
            assert client.get(INFO, headers=bearer("zz_" + token[4:])).status_code == 401


def test_the_api_docs_name_the_configured_prefix(settings):
    from api_clients.auth import ApiClientAuth

    assert ApiClientAuth().openapi_security_schema["bearerFormat"] == "rtp_ token"
    with_prefix(settings, "acme_")
    assert ApiClientAuth().openapi_security_schema["bearerFormat"] == "acme_ token"


def test_the_former_constants_follow_the_setting(settings):
    assert (tokens.TOKEN_PREFIX, tokens.TOKEN_LENGTH, tokens.HINT_LENGTH) == ("rtp_", 42, 8)
    with_prefix(settings, "acme_")
    assert (tokens.TOKEN_PREFIX, tokens.TOKEN_LENGTH, tokens.HINT_LENGTH) == ("acme_", 43, 9)
    assert len(tokens.generate_token()) == tokens.TOKEN_LENGTH


class TestTheCheck:
    @pytest.mark.parametrize("prefix", ["rtp_", "acme_", "A1_", "x_", "my_org_api_"])
    def test_valid_prefixes_pass(self, settings, prefix):
        with_prefix(settings, prefix)
        assert check_api_clients_settings(None) == []

    @pytest.mark.parametrize(
        "prefix",
        [
            "",
            "_",
            "rtp",
            "rtp-",
            "r-t_",
            "rtp_ ",
            " rtp_",
            "rtp_\n",
            "été_",
            "_rtp_",
            "abcdefghijkl_",
            None,
            5,
            ["rtp_"],
        ],
    )
    def test_anything_else_fails_with_the_rule_in_the_hint(self, settings, prefix):
        with_prefix(settings, prefix)

        errors = check_api_clients_settings(None)

        assert [error.id for error in errors] == ["api_clients.E008"]
        assert "TOKEN_PREFIX" in errors[0].msg
        assert "ending in '_'" in errors[0].hint
