"""Signing keys and a keys server for the secret-scanning tests: GitHub's side, played locally."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ENDPOINT = "/api/v1/secret-scanning/github"


class SigningKey:
    """An ECDSA P-256 key pair, as GitHub holds one, with the identifier it publishes."""

    def __init__(self, identifier):
        self.identifier = identifier
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_pem(self):
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, body):
        """The base64 DER signature of the raw body, as in ``Github-Public-Key-Signature``."""
        der = self.private_key.sign(body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode()

    def entry(self, *, is_current=True):
        return {"key_identifier": self.identifier, "key": self.public_pem, "is_current": is_current}


def keys_document(*entries):
    return json.dumps({"public_keys": list(entries)}).encode()


def post_report(client, body, key=None, *, key_identifier=None, signature=None, **extra):
    """POST a body (bytes, or a value to dump as JSON) signed by ``key`` as GitHub does."""
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    headers = {}
    if key is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER"] = key.identifier
        headers["HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"] = key.sign(body)
    if key_identifier is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER"] = key_identifier
    if signature is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"] = signature
    headers.update(extra)
    return client.post(ENDPOINT, data=body, content_type="application/json", **headers)


class KeysServer:
    """A real HTTP server on 127.0.0.1, on a free port, in a thread: GitHub's keys URL.

    ``document`` is what it answers; ``status`` and ``delay`` make it fail or stall.
    """

    def __init__(self, document=b""):
        self.document = document
        self.status = 200
        self.delay = 0.0
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if server.delay:
                    time.sleep(server.delay)
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.document)))
                self.end_headers()
                self.wfile.write(server.document)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/meta/public_keys/secret_scanning"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
