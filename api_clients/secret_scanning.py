"""GitHub secret scanning: GitHub posts the tokens it finds in public; we revoke them.

GitHub's partner format: the body is a JSON array of ``{"token", "type", "url",
"source"}``, signed with ECDSA over SHA-256 of the raw body. The header
``Github-Public-Key-Identifier`` names the key and ``Github-Public-Key-Signature``
holds the base64 DER signature. The public keys come from
``API_CLIENTS["SECRET_SCANNING_KEYS"]``: GitHub's URL by default (fetched with a
short timeout, kept in the shared cache for an hour, the last good copy serving
while GitHub cannot be reached), or a local file of the
same JSON shape. Every key listed is accepted, current or not, so a report
signed just before GitHub rotates its keys still verifies.

The answer, for a good signature, is one entry per reported token:
``token_hash`` (SHA-256 hex of the token), ``token_type`` (as received) and
``label`` ("true_positive" when the token belongs to a client, deleted, expired
and revoked ones included; otherwise "false_positive").

Add it to any django-ninja API with :func:`add_secret_scanning_endpoint`.
"""

import base64
import binascii
import hashlib
import json
import logging
import math
import time
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.debug import sensitive_variables
from ninja import Schema
from ninja.throttling import BaseThrottle

from . import leaked_tokens
from .auth import THROTTLED_DETAIL, _check_rate
from .conf import get_setting

logger = logging.getLogger(__name__)

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"

# Checked between reads too, so a server that trickles its answer cannot hold a request.
FETCH_TIMEOUT_SECONDS = 5
KEYS_FRESH_SECONDS = 3600  # fetched again after an hour
# GitHub allows 60 unauthenticated API requests an hour per address: an unknown
# key id fetches the keys again at most this often, and a failed fetch falls
# back to the last good copy, kept this long, trying again after the same wait.
KEYS_REFRESH_SECONDS = 300
KEYS_KEEP_SECONDS = 7 * 86400
KEYS_MAX_BYTES = 256 * 1024
RETRY_AFTER_SECONDS = 60

BAD_SIGNATURE_DETAIL = "The signature is missing or not valid."
KEYS_UNAVAILABLE_DETAIL = "The signature cannot be checked now. Try again later."
TOO_LARGE_DETAIL = "The report is too large."
BAD_REPORT_DETAIL = (
    'The body must be a JSON array of objects, each with a string "token" '
    'and optional string "type", "url" and "source".'
)


class KeysUnavailable(Exception):
    """The public keys cannot be read or used: the signature cannot be checked."""


class BadReport(ValueError):
    """The signed body is not a list of reported tokens."""


class ReportResult(Schema):
    token_hash: str
    token_type: str
    label: Literal["true_positive", "false_positive"]


class SecretScanningError(Schema):
    detail: str


@dataclass(frozen=True)
class Report:
    token: str
    type: str
    url: str
    source: str


# Public keys --------------------------------------------------------------


def _keys_source():
    return get_setting("SECRET_SCANNING_KEYS").strip()


def _is_url(source):
    return source.startswith(("http://", "https://"))


def _fetch_url(url):
    request = urllib.request.Request(  # noqa: S310 (the scheme is http or https)
        url, headers={"Accept": "application/json", "User-Agent": "api-clients-secret-scanning"}
    )
    deadline = time.monotonic() + FETCH_TIMEOUT_SECONDS
    chunks, size = [], 0
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            while chunk := response.read(16 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > KEYS_MAX_BYTES:
                    raise KeysUnavailable(f"{url} answered more than {KEYS_MAX_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise KeysUnavailable(f"{url} took more than {FETCH_TIMEOUT_SECONDS}s")
    except (OSError, ValueError, HTTPException) as error:  # URLError and timeouts are OSError
        raise KeysUnavailable(f"could not fetch {url}: {error}") from error
    return b"".join(chunks)


def _read_file(path):
    try:
        with open(path, "rb") as file:
            body = file.read(KEYS_MAX_BYTES + 1)
    except OSError as error:
        raise KeysUnavailable(f"could not read {path}: {error}") from error
    if len(body) > KEYS_MAX_BYTES:
        raise KeysUnavailable(f"{path} holds more than {KEYS_MAX_BYTES} bytes")
    return body


def parse_public_keys(body):
    """``{key_identifier: PEM}`` from GitHub's ``{"public_keys": [...]}`` document.

    ``is_current`` is ignored on purpose: a key GitHub is retiring still signs
    the reports already on their way.
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise KeysUnavailable("the public keys are not JSON") from error
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeysUnavailable('the public keys have no "public_keys" list')
    return {
        entry["key_identifier"]: entry["key"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("key_identifier"), str)
        and isinstance(entry.get("key"), str)
    }


def _cache_key(source):
    return "api_clients:secret_scanning:keys:" + hashlib.sha256(source.encode()).hexdigest()[:32]


def _cache_call(method, *args, **kwargs):
    # The keys can be fetched again; a cache that is down must not refuse a report.
    try:
        return getattr(cache, method)(*args, **kwargs)
    except Exception:
        logger.exception("The shared cache failed while handling secret-scanning keys.")
        return None


def public_keys(*, refresh=False):
    """The configured public keys, ``{key_identifier: PEM}``; raises KeysUnavailable.

    A local file is read each time, so replacing it takes effect at once. A URL
    is fetched once an hour (or on ``refresh``) and kept in the shared cache;
    when it cannot be fetched, the last good copy serves, if there is one.
    """
    source = _keys_source()
    if not _is_url(source):
        return parse_public_keys(_read_file(source))
    key = _cache_key(source)
    cached = _cache_call("get", key)
    if not (isinstance(cached, dict) and isinstance(cached.get("keys"), dict)):
        cached = None
    now = time.time()
    if cached is not None and not refresh and now < cached.get("fresh_until", 0):
        return cached["keys"]
    try:
        keys = parse_public_keys(_fetch_url(source))
    except KeysUnavailable as error:
        if cached is None:
            raise
        logger.error("Secret-scanning keys not fetched, the last good copy serves: %s.", error)
        keys, fresh_for = cached["keys"], KEYS_REFRESH_SECONDS
    else:
        fresh_for = KEYS_FRESH_SECONDS
    _cache_call(
        "set", key, {"keys": keys, "fresh_until": now + fresh_for}, timeout=KEYS_KEEP_SECONDS
    )
    return keys


def _may_refresh():
    source = _keys_source()
    if not _is_url(source):
        return False
    return bool(_cache_call("add", _cache_key(source) + ":refresh", 1, KEYS_REFRESH_SECONDS))


def verify_signature(body, key_identifier, signature):
    """True if ``signature`` (base64 DER ECDSA) signs ``body`` with the named key.

    False for a bad signature or a key id GitHub does not list (after fetching
    the keys again, at most once in five minutes, in case GitHub has just added it).
    Raises KeysUnavailable when the keys cannot be read, or the named key
    cannot be loaded.
    """
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    keys = public_keys()
    pem = keys.get(key_identifier)
    if pem is None and _may_refresh():
        pem = public_keys(refresh=True).get(key_identifier)
    if pem is None:
        return False
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeysUnavailable(f"the public key {key_identifier!r} cannot be loaded") from error
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeysUnavailable(f"the public key {key_identifier!r} is not an ECDSA key")
    try:
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# Reports ------------------------------------------------------------------


@sensitive_variables("body", "data")
def parse_reports(body):
    """The reported tokens in a signed body; raises BadReport if it is not GitHub's shape."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BadReport(BAD_REPORT_DETAIL) from error
    if not isinstance(data, list):
        raise BadReport(BAD_REPORT_DETAIL)
    reports = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            raise BadReport(BAD_REPORT_DETAIL)
        fields = [item.get(name, "") for name in ("type", "url", "source")]
        if not all(isinstance(value, str) for value in fields):
            raise BadReport(BAD_REPORT_DETAIL)
        reports.append(Report(item["token"], *fields))
    return reports


@sensitive_variables("token")
def token_hash(token):
    """SHA-256 hex of a reported token, as GitHub expects it back."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@sensitive_variables("reports")
def handle_reports(reports):
    """Label each report, revoking the Active clients whose tokens were found.

    One query finds every reported token's client. A client reported more than
    once in the same post is revoked for its first report only.
    """
    clients = leaked_tokens.find_clients(report.token for report in reports)
    seen, results = set(), []
    for report in reports:
        client = clients.get(report.token)
        if client is not None and client.pk not in seen:
            seen.add(client.pk)
            leaked_tokens.revoke_leaked(client, leak=leaked_tokens.github_leak(report.url))
        results.append(
            {
                "token_hash": token_hash(report.token),
                "token_type": report.type,
                "label": "true_positive" if client is not None else "false_positive",
            }
        )
    return results


# The endpoint -------------------------------------------------------------


def _error(status, detail, **headers):
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _read_body(request):
    """The raw body, or None if it is larger than the limit (read no further)."""
    limit = get_setting("SECRET_SCANNING_MAX_BODY_BYTES")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= limit else None


@sensitive_variables("body", "reports")
def report_github_tokens(request):
    """GitHub's secret scanning partner reports: tokens found in public.

    The body is a JSON array of `{"token", "type", "url", "source"}`, signed by
    GitHub with ECDSA (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`).
    An active client whose token is reported is revoked at once and its owner
    emailed. The answer labels each token `true_positive` or `false_positive`.
    """
    rate = get_setting("SECRET_SCANNING_RATE_LIMIT")
    try:
        retry_after = _check_rate(
            rate, "api_clients_secret_scanning", BaseThrottle().get_ident(request)
        )
    except Exception:
        # The limit lives in the shared cache; a report is not refused for its being down.
        logger.exception("Secret-scanning rate limit skipped: the shared cache failed.")
        retry_after = None
    if retry_after is not None:
        return _error(429, str(THROTTLED_DETAIL), Retry_After=str(max(1, math.ceil(retry_after))))
    body = _read_body(request)
    if body is None:
        return _error(413, TOO_LARGE_DETAIL)
    key_identifier = request.headers.get(KEY_ID_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not key_identifier or not signature:
        return _error(401, BAD_SIGNATURE_DETAIL)
    try:
        verified = verify_signature(body, key_identifier, signature)
    except KeysUnavailable as error:
        logger.error("Secret-scanning report not checked: %s.", error)
        return _error(503, KEYS_UNAVAILABLE_DETAIL, Retry_After=str(RETRY_AFTER_SECONDS))
    if not verified:
        return _error(401, BAD_SIGNATURE_DETAIL)
    try:
        reports = parse_reports(body)
    except BadReport as error:
        return _error(400, str(error))
    return handle_reports(reports)


RESPONSES = {
    200: list[ReportResult],
    400: SecretScanningError,
    401: SecretScanningError,
    413: SecretScanningError,
    429: SecretScanningError,
    503: SecretScanningError,
}


def add_secret_scanning_endpoint(api, path="/secret-scanning/github", **options):
    """Add ``POST <path>`` to a django-ninja API, with no bearer token and no CSRF.

    Add it before any catch-all route of the API: Django tries an API's paths
    in the order they were added. ``options`` go to ninja (``tags``, ...).
    """
    options.setdefault("tags", ["secret scanning"])
    options.setdefault("summary", "Report tokens found in public")
    options.setdefault("operation_id", "report_github_tokens")
    api.api_operation(
        ["POST"],
        path,
        auth=None,
        response=RESPONSES,
        url_name="secret_scanning_github",
        **options,
    )(report_github_tokens)
