#!/usr/bin/env python3
"""The two commands: ``python3 dev.py run`` and ``python3 dev.py test``.

Needs nothing but Python 3.11. Makes ``.venv``, installs what is needed (again
only when a requirements file changed), then runs the site or the tests.

    python3 dev.py run [--bind HOST:PORT]
                           migrate SQLite, load demo data, serve on 127.0.0.1:8000
                           (or HOST:PORT; extra arguments go to runserver)
    python3 dev.py test    run every test (extra arguments go to pytest)
    python3 dev.py serve [--bind HOST:PORT]
                           production: collect static files, migrate, then gunicorn
                           with DEBUG off (needs SECRET_KEY; see the README)
"""

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install(requirements):
    stamp = VENV / f".installed-{requirements}"
    wanted = hashlib.sha256(
        b"".join(
            (ROOT / name).read_bytes()
            for name in ("requirements.txt", requirements, "pyproject.toml")
        )
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"Installing {requirements} …", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "-r", ROOT / requirements], check=True)
    stamp.write_text(wanted)


def manage(*args, env=None):
    subprocess.run([PYTHON, ROOT / "manage.py", *args], check=True, cwd=ROOT, env=env)


def bind_address(value):
    """``HOST:PORT`` as given to ``--bind``: a host, then a port from 1 to 65535."""
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, like 127.0.0.1:8000, not {value!r}")
    return value


def bind_parser(command):
    """The arguments of a command that listens: ``--bind HOST:PORT``, else ``PORT``."""
    parser = argparse.ArgumentParser(prog=f"python3 dev.py {command}")
    parser.add_argument(
        "--bind",
        type=bind_address,
        default=f"127.0.0.1:{os.environ.get('PORT') or 8000}",
        help="HOST:PORT to listen on (default 127.0.0.1:$PORT, or 127.0.0.1:8000)",
    )
    return parser


def run(args):
    parser = bind_parser("run")
    options, runserver_args = parser.parse_known_args(args)
    install("requirements.txt")
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true")}
    manage("migrate", "--no-input", env=env)
    manage("load_demo_data", env=env)
    site = f"http://{options.bind}"
    print(
        f"\nThe site is at {site}/admin/ (API clients is in the menu).\n"
        "Get a token: python3 dev.py manage api_clients create --owner apiuser1 "
        '--name "My system" --expires YYYY-MM-DD\n'
        f"Then: curl -H 'Authorization: Bearer <token>' {site}/api/v1/providers\n"
        f"API docs: {site}/api/v1/docs\n",
        flush=True,
    )
    manage("runserver", options.bind, *runserver_args, env=env)


def test(args):
    install("requirements-dev.txt")
    result = subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT)
    sys.exit(result.returncode)


def gunicorn_command(bind):
    """The production server's command line (gunicorn reads ``WEB_CONCURRENCY`` for workers)."""
    return [
        str(VENV / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--pythonpath",
        str(ROOT / "site"),
        "--bind",
        bind,
        "--timeout",
        "30",
        "--graceful-timeout",
        "10",
        # Several app servers may share a machine; gunicorn's control socket has one path.
        "--no-control-socket",
    ]


def serve(args):
    """Production: install, collect static files, migrate, then gunicorn with DEBUG off."""
    parser = bind_parser("serve")
    options = parser.parse_args(args)
    if not os.environ.get("SECRET_KEY", "").strip():
        sys.exit(
            "SECRET_KEY is not set: set it to a long random value, e.g. "
            "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\""
        )
    install("requirements.txt")
    env = {**os.environ, "DEBUG": "false"}
    manage("collectstatic", "--no-input", "--verbosity", "0", env=env)
    # Migrations may take longer than a request is allowed to.
    manage("migrate", "--no-input", env={**env, "DATABASE_STATEMENT_TIMEOUT": "0"})
    gunicorn = gunicorn_command(options.bind)
    print(f"Serving on http://{options.bind}/ (DEBUG off)", flush=True)
    # The server takes this process's place, so a signal to it reaches gunicorn.
    os.chdir(ROOT)
    os.execve(gunicorn[0], gunicorn, env)  # noqa: S606 - a fixed command, no shell


def manage_command(args):
    install("requirements.txt")
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true")}
    manage(*args, env=env)


COMMANDS = {"run": run, "test": test, "serve": serve, "manage": manage_command}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        sys.exit(130)
