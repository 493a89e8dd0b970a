"""Token format, generation, checksum and digest: pure functions.

A token reads ``<prefix><secret><checksum>``, for example ``rtp_…``:

* the prefix (setting ``API_CLIENTS["TOKEN_PREFIX"]``, default ``rtp_``) lets
  people and secret scanners recognise the token: letters, digits and
  underscores, ending in ``_``;
* the secret is 32 base62 characters (about 190 bits from ``secrets``), so
  even with the first four shown as a hint, more than 160 bits stay secret;
* the checksum is the CRC32 of prefix and secret in 6 base62 characters, so a
  mistyped or made-up token is rejected offline, without a database query.

A token carries its own prefix: the offline check accepts any well-formed
prefix, so tokens minted before the setting changed keep working; whether a
token exists is decided by its digest alone.

Only an HMAC-SHA256 digest is stored, keyed from ``SECRET_KEY``. Lookups try the
digests for ``SECRET_KEY`` and every ``SECRET_KEY_FALLBACKS`` key, so rotating
the key does not break live tokens. A fast keyed hash is right here: the secret
has 190 bits of entropy, so a slow password hasher would add cost without
adding safety.
"""

import math
import re
import secrets
import zlib

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from .conf import TOKEN_PREFIX_PATTERN, get_setting

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_CHARS = frozenset(BASE62_ALPHABET)
SECRET_LENGTH = 32
SECRET_BITS = math.floor(SECRET_LENGTH * math.log2(62))
CHECKSUM_LENGTH = math.ceil(32 / math.log2(62))
# What follows the prefix: the secret, then its checksum.
BODY_LENGTH = SECRET_LENGTH + CHECKSUM_LENGTH
# Characters of the secret kept, after the prefix, as the non-secret hint.
HINT_SECRET_CHARACTERS = 4
DIGEST_SALT = "api_clients.token"


def token_prefix():
    """The prefix new tokens get: ``API_CLIENTS["TOKEN_PREFIX"]``, checked by a system check."""
    return get_setting("TOKEN_PREFIX")


def __getattr__(name):
    """``TOKEN_PREFIX``, ``TOKEN_LENGTH`` and ``HINT_LENGTH``, for the current prefix.

    They were constants while the prefix was fixed; code that reads them still
    gets the truth for the configured prefix.
    """
    if name == "TOKEN_PREFIX":
        return token_prefix()
    if name == "TOKEN_LENGTH":
        return len(token_prefix()) + BODY_LENGTH
    if name == "HINT_LENGTH":
        return len(token_prefix()) + HINT_SECRET_CHARACTERS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def token_pattern(prefix=None):
    """A regular expression matching a token, for secret scanners (current prefix by default).

    The checksum cannot be written as a pattern; scanners confirm a match with
    the site (``is_well_formed`` says whether a string could be a token).
    """
    prefix = token_prefix() if prefix is None else prefix
    return f"{prefix}[0-9A-Za-z]{{{BODY_LENGTH}}}"


def _base62(value, length):
    chars = []
    for _ in range(length):
        value, remainder = divmod(value, 62)
        chars.append(BASE62_ALPHABET[remainder])
    return "".join(reversed(chars))


def checksum(secret, prefix=None):
    """Return the checksum characters for a secret under a prefix (the current one by default)."""
    prefix = token_prefix() if prefix is None else prefix
    return _base62(zlib.crc32(f"{prefix}{secret}".encode()), CHECKSUM_LENGTH)


@sensitive_variables("secret")
def generate_token():
    """Return a new plaintext token. Never store or log it."""
    prefix = token_prefix()
    secret = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{prefix}{secret}{checksum(secret, prefix)}"


@sensitive_variables("token", "body", "secret")
def is_well_formed(token):
    """Offline check of prefix, length, alphabet and checksum.

    Any well-formed prefix passes, not only the current one, so tokens made
    before a change of prefix still reach the lookup. False means the token
    cannot exist; True does not mean it does.
    """
    if not isinstance(token, str) or len(token) <= BODY_LENGTH:
        return False
    prefix, body = token[:-BODY_LENGTH], token[-BODY_LENGTH:]
    if not TOKEN_PREFIX_PATTERN.fullmatch(prefix):
        return False
    if not _BASE62_CHARS.issuperset(body):
        return False
    secret, check = body[:SECRET_LENGTH], body[SECRET_LENGTH:]
    return secrets.compare_digest(check, checksum(secret, prefix))


@sensitive_variables("token", "secret_key")
def digest(token, secret_key=None):
    """Return the stored digest of a token: HMAC-SHA256, hex, keyed from a secret key."""
    return salted_hmac(DIGEST_SALT, token, secret=secret_key, algorithm="sha256").hexdigest()


@sensitive_variables("token", "keys")
def candidate_digests(token):
    """Digests to look a presented token up by: the current key first, then fallbacks."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [digest(token, secret_key=key) for key in keys]


@sensitive_variables("token")
def hint(token):
    """The short, non-secret part shown to identify a token: its prefix and 4 characters."""
    return token[: len(token) - BODY_LENGTH + HINT_SECRET_CHARACTERS]


# Anything shaped like a token, under any prefix a token may have had.
_TOKEN_SHAPE = re.compile(
    rf"(?<![A-Za-z0-9_])[A-Za-z0-9][A-Za-z0-9_]{{0,10}}_[0-9A-Za-z]{{{BODY_LENGTH}}}(?![A-Za-z0-9])"
)
HIDDEN_TOKEN = "[token removed]"


@sensitive_variables("text")
def hide_tokens(text):
    """``text`` with every well-formed token in it replaced: for what is stored or shown.

    A caller may put its token where it does not belong (a query string, say);
    a token's plaintext is kept nowhere, so it is removed before the text is.
    """
    if len(text) <= BODY_LENGTH:
        return text
    return _TOKEN_SHAPE.sub(
        lambda match: HIDDEN_TOKEN if is_well_formed(match.group()) else match.group(), text
    )
