"""Private Redis and PostgreSQL servers for the fault tests, on free ports.

The tests stop, stall and restart them; the shared servers are never touched.
Where the binaries are missing the tests skip with one line saying why; under
CI (CI=true) they are required.
"""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


def in_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(binary, what):
    """The binary's path; skip (or, under CI, fail) with one line if it is missing."""
    if binary:
        return binary
    message = f"{what} is not installed (Debian: apt-get install {what.split()[0]})"
    if in_ci():
        pytest.fail(f"required under CI: {message}")
    pytest.skip(message)


ROOT = Path(__file__).resolve().parents[1]


def site_env(database_url, var_dir, **extra):
    """The environment of the site run as in production (DEBUG off) on ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="private-server-test-key-" + "y" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        VAR_DIR=str(var_dir),
        PYTHONPATH=str(ROOT / "site"),
        **extra,
    )
    return env


def manage(env, *args):
    """``manage.py`` with ``env``, as a command of its own; its output, or a failed test."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def migrate_with_a_client(env, name):
    """Migrate the site's database through ``manage.py`` and make one API client; its token.

    The token only ever passes through the command's output, never a file.
    """
    manage(env, "migrate", "--no-input")
    return manage(
        env,
        "shell",
        "-c",
        "import datetime\n"
        "from django.contrib.auth.models import User\n"
        "from api_clients.services import create_api_client\n"
        "owner = User.objects.create_user('owner')\n"
        f"client, token = create_api_client(owner=owner, name={name!r}, "
        "expiry_date=datetime.date.today() + datetime.timedelta(days=30))\n"
        "print(token)",
    ).split()[-1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


class RedisServer:
    """``redis-server`` on a free port, with nothing saved to disk."""

    def __init__(self):
        self.binary = require(shutil.which("redis-server"), "redis-server")
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _postgres_binary(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb, trust auth) on a free port.

    As root the cluster belongs to the ``postgres`` user, since PostgreSQL
    refuses to run as root.
    """

    def __init__(self, **settings):
        # Server settings (``-c name=value``) besides the port and fsync=off.
        self.settings = settings
        self.initdb = require(_postgres_binary("initdb"), "postgresql (initdb)")
        self.pg_ctl = require(_postgres_binary("pg_ctl"), "postgresql (pg_ctl)")
        self.psql = _postgres_binary("psql")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="register-pg-"))
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.directory, "postgres")
        self.data = self.directory / "data"

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command, timeout=120):
        subprocess.run(
            [*self.as_user, *command],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def create(self):
        self._run(self.initdb, "-D", str(self.data), "--auth=trust", "-U", "postgres")

    def start(self):
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    def stop(self):
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def postmaster_pid(self):
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def end_connections(self):
        """Close every client's connection, as a crash or a failover would."""
        self._run(
            self.psql,
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-qAtc",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )

    def backend_pids(self):
        """The postmaster's children: client backends and the server's own workers."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # "pid (command) state ppid ...": the command may hold spaces.
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.postmaster_pid:
                    children.append(int(stat.parent.name))
        return children

    def stall(self):
        """Freeze the postmaster: connections are accepted by the kernel, never answered."""
        os.kill(self.postmaster_pid, signal.SIGSTOP)

    def freeze(self):
        """Freeze the whole server, as a hung disk or host would: the postmaster first
        (no new backends), then every backend. Open connections stay open, and the
        kernel still acknowledges what is sent on them; nothing answers."""
        os.kill(self.postmaster_pid, signal.SIGSTOP)
        for pid in self.backend_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self):
        """Continue the server after ``stall`` or ``freeze``."""
        for pid in self.backend_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        os.kill(self.postmaster_pid, signal.SIGCONT)

    def destroy(self):
        with contextlib.suppress(OSError, ValueError):
            self.resume()
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def running_postgres(**settings):
    """A private PostgreSQL cluster, made and started; stopped and removed afterwards."""
    server = PostgresServer(**settings)
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.destroy()
