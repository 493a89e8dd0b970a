"""``python3 dev.py run``: the README's first command, on another address when asked."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dev_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PORT"}
    }
    env["SQLITE_PATH"] = str(tmp_path / "dev.sqlite3")
    return env


def test_run_serves_on_the_address_given_with_bind(tmp_path):
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "dev.py", "run", "--bind", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=dev_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/admin/login/"
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                    status = response.status
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert f"The site is at http://127.0.0.1:{port}/admin/" in output


def test_a_bind_that_is_not_host_and_port_is_refused_in_one_line(tmp_path):
    for bad in ("8000", "localhost:", "127.0.0.1:99999", ":8000", "127.0.0.1:http"):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "dev.py", "run", "--bind", bad],
            cwd=ROOT,
            env=dev_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, bad
        assert "expected HOST:PORT" in result.stderr
        assert "Traceback" not in result.stderr
