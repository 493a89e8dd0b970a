"""Token format, generation, checksum and digest: pure functions.

A token reads ``rtp_<secret><checksum>``:

* ``rtp_`` is a fixed prefix so people and secret scanners recognise it;
* the secret is 32 base62 characters (about 190 bits from ``secrets``), so
  even with the first four shown as a hint, more than 160 bits stay secret;
* the checksum is the CRC32 of prefix and secret in 6 base62 characters, so a
  mistyped or made-up token is rejected offline, without a database query.

Only an HMAC-SHA256 digest is stored, keyed from ``SECRET_KEY``. Lookups try the
digests for ``SECRET_KEY`` and every ``SECRET_KEY_FALLBACKS`` key, so rotating
the key does not break live tokens. A fast keyed hash is right here: the secret
has 190 bits of entropy, so a slow password hasher would add cost without
adding safety.
"""

import math
import secrets
import zlib

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

TOKEN_PREFIX = "rtp_"
BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_CHARS = frozenset(BASE62_ALPHABET)
SECRET_LENGTH = 32
SECRET_BITS = math.floor(SECRET_LENGTH * math.log2(62))
CHECKSUM_LENGTH = math.ceil(32 / math.log2(62))
TOKEN_LENGTH = len(TOKEN_PREFIX) + SECRET_LENGTH + CHECKSUM_LENGTH
HINT_LENGTH = len(TOKEN_PREFIX) + 4
DIGEST_SALT = "api_clients.token"


def _base62(value, length):
    chars = []
    for _ in range(length):
        value, remainder = divmod(value, 62)
        chars.append(BASE62_ALPHABET[remainder])
    return "".join(reversed(chars))


def checksum(secret):
    """Return the checksum characters for a secret."""
    return _base62(zlib.crc32(f"{TOKEN_PREFIX}{secret}".encode()), CHECKSUM_LENGTH)


@sensitive_variables("secret")
def generate_token():
    """Return a new plaintext token. Never store or log it."""
    secret = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{TOKEN_PREFIX}{secret}{checksum(secret)}"


@sensitive_variables("token", "body", "secret")
def is_well_formed(token):
    """Offline check of prefix, length, alphabet and checksum.

    False means the token cannot exist; True does not mean it does.
    """
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return False
    if not token.startswith(TOKEN_PREFIX):
        return False
    body = token[len(TOKEN_PREFIX) :]
    if not _BASE62_CHARS.issuperset(body):
        return False
    secret, check = body[:SECRET_LENGTH], body[SECRET_LENGTH:]
    return secrets.compare_digest(check, checksum(secret))


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
    """The short, non-secret part shown to identify a token (prefix and 4 characters)."""
    return token[:HINT_LENGTH]
