#!/usr/bin/env python3
"""Production smoke test: `python3 dev.py serve` for real, then real HTTP requests.

Runs the site as the README's "Production" section says (DEBUG off, gunicorn,
WhiteNoise) on the PostgreSQL database and Redis given in the environment,
behind a pretend TLS proxy (X-Forwarded-Proto: https), on a free port. Asks
for an admin stylesheet, the API docs and their assets, a token-protected
API page and /health; then stops the server. Exits non-zero on any failure.
"""

import datetime
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROXY = {"X-Forwarded-Proto": "https"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(port, path, headers=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={**PROXY, **(headers or {})}
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def check(label, condition, detail=""):
    print(f"  {'ok  ' if condition else 'FAIL'} {label}" + (f": {detail}" if detail else ""))
    if not condition:
        raise SystemExit(f"production smoke test failed: {label}")


def wait_for(port, server, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"dev.py serve exited with {server.returncode}")
        try:
            if get(port, "/health")[0] in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout} s")


def main():
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} must be set")
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="register-smoke-")
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "true",
        "VAR_DIR": var_dir,
        "PORT": str(port),
    }
    env.pop("DEBUG", None)
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "serve"], cwd=ROOT, env=env)
    try:
        wait_for(port, server, timeout=300)
        print(f"  serving on port {port} after {time.monotonic() - started:.1f} s")
        manage = [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "manage.py")]
        subprocess.run([*manage, "load_demo_data"], cwd=ROOT, env=env, check=True)
        expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        created = subprocess.run(
            [*manage, "api_clients", "create", "--owner", "apiuser1", "--name"]
            + [f"Smoke {port}", "--expires", expires, "--json"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = json.loads(created.stdout)["token"]

        status, headers, body = get(port, "/static/wagtailadmin/css/core.css")
        check("admin stylesheet", status == 200 and len(body) > 10_000, f"{status}")
        check("served as CSS", headers["Content-Type"].startswith("text/css"))

        status, headers, body = get(port, "/api/v1/docs")
        check("API docs page", status == 200, f"{status}")
        check(
            "with a Content-Security-Policy",
            "script-src 'self'" in headers.get("Content-Security-Policy", ""),
        )
        assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', body)
        check("API docs name their assets", len(assets) >= 3, str(assets))
        for asset in assets:
            status, _, content = get(port, asset.decode())
            check(f"asset {asset.decode()}", status == 200 and content, f"{status}")

        status, _, body = get(port, "/api/v1/providers", {"Authorization": f"Bearer {token}"})
        check("a request with a token", status == 200, f"{status}")
        check("answers the register", json.loads(body)["count"] == 50, body[:80].decode())
        status, headers, _ = get(port, "/api/v1/providers")
        check(
            "a request without a token", status == 401 and "Bearer" in headers["WWW-Authenticate"]
        )

        status, headers, body = get(port, "/health")
        check("/health", status == 200 and json.loads(body)["status"] == "ok", body.decode())
        check("with HSTS", "max-age=" in headers.get("Strict-Transport-Security", ""))

        status, headers, _ = get(port, "/admin/login/", {"X-Forwarded-Proto": "http"})
        check("plain HTTP is sent to HTTPS", status == 301, headers.get("Location", ""))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(f"  stopped; {time.monotonic() - started:.1f} s in all")


if __name__ == "__main__":
    main()
