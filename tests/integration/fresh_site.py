#!/usr/bin/env python3
"""The package as a stranger meets it: built, installed in a new Wagtail site, used over HTTP.

    python3 tests/integration/fresh_site.py [--keep]

In a temporary directory: builds the wheel, makes a virtual environment that
installs it from the wheel (the rest from the package index, through pip's
cache), creates a site with ``wagtail start mysite``, applies the code blocks of
README-package.md that name a file (``# mysite/...: add at the end`` or
``: create``) and nothing else, runs ``check`` and ``migrate``, serves the site,
then drives the key journey over HTTP: a superuser signs in and adds a client
through the admin's add flow; its token reads the site's ninja API; a member of
the "API users" group that ``migrate`` created adds their own client, sees only
that one, and is kept out of the rest of the admin. Exits non-zero on the first
thing that is not so. ``--keep`` leaves the directory for a look.
"""

import datetime
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README-package.md"
PASSWORD = "fresh-site-password-42"
BLOCK = re.compile(
    r"```python\n# (?P<path>\S+): (?P<how>add at the end|create)\n(?P<code>.*?)```", re.S
)


def step(message):
    print(f"-- {message}", flush=True)


def run(*args, cwd=None, env=None):
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")


def build(out):
    """Build the sdist and the wheel; check they hold the app and nothing of the site."""
    step("building the sdist and the wheel")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    (wheel,) = Path(out).glob("wagtail_api_clients-*.whl")
    (sdist,) = Path(out).glob("wagtail_api_clients-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = archive.namelist()
    with tarfile.open(sdist) as archive:
        in_sdist = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for names, kind in ((in_wheel, "wheel"), (in_sdist, "sdist")):
        for needed in (
            "api_clients/migrations/0002_groups.py",
            "api_clients/templates/api_clients/check.html",
            "api_clients/static/api_clients/admin.css",
        ):
            check(needed in names, f"the {kind} lacks {needed}")
        strays = [n for n in names if n.split("/")[0] in ("tests", "site", "benchmarks", "docs")]
        check(not strays, f"the {kind} ships what cannot run there: {strays[:5]}")
    check(
        all(n.startswith(("api_clients/", "wagtail_api_clients-")) for n in in_wheel),
        f"the wheel holds more than the app: {in_wheel}",
    )
    check({"LICENSE", "README-package.md", "CHANGELOG.md"} <= set(in_sdist), "sdist files")
    print(f"   wheel: {len(in_wheel)} files, sdist: {len(in_sdist)} files", flush=True)
    return wheel


def make_site(work, wheel):
    step("a virtual environment with the wheel, then wagtail start mysite")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    # No .pyc files: quicker to install and to remove, and the site runs the same.
    run(python, "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check", wheel)
    site = work / "site"
    site.mkdir()
    run(venv / "bin" / "wagtail", "start", "mysite", site)
    return python, site


def apply_readme(site):
    """Apply the README's file blocks, exactly as written, and say which."""
    blocks = list(BLOCK.finditer(README.read_text()))
    applied = {match["path"] for match in blocks}
    check(
        {"mysite/settings/base.py", "mysite/api.py", "mysite/urls.py"} <= applied,
        f"README-package.md lost a step: it names only {sorted(applied)}",
    )
    for match in blocks:
        target = site / match["path"]
        step(f"README: {match['how']} {match['path']}")
        if match["how"] == "create":
            check(not target.exists(), f"{match['path']} already exists")
            target.write_text(match["code"])
        else:
            check(target.exists(), f"{match['path']} is not in a fresh site")
            target.write_text(target.read_text() + "\n" + match["code"])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Cookies, CSRF and redirects by hand: what a browser does, nothing more."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def get(self, path, headers=None):
        return self.request(path, headers=headers)

    def post_form(self, path, fields, form_page=None):
        """POST a form the way the page at ``form_page`` (default: ``path``) offers it."""
        status, _, page = self.get(form_page or path)
        check(status == 200, f"GET {form_page or path} answered {status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        check(token, f"no CSRF token on {form_page or path}")
        return self.request(path, {"csrfmiddlewaretoken": token[1], **fields}), page

    def sign_in(self, username):
        (status, headers, _), _ = self.post_form(
            "/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"}
        )
        check(status == 302, f"{username} could not sign in ({status})")

    def add_client(self, name):
        """The admin's add flow: the form, check your answers, the token shown once."""
        expiry = datetime.date.today() + datetime.timedelta(days=30)
        (status, headers, _), _ = self.post_form(
            "/admin/api-clients/new/",
            {
                "name": name,
                "expiry_date_day": expiry.day,
                "expiry_date_month": expiry.month,
                "expiry_date_year": expiry.year,
            },
        )
        check(status == 302, f"step 1 of adding {name!r} answered {status}")
        check_url = urllib.parse.urlparse(headers["Location"]).path
        status, _, page = self.get(check_url)
        check(status == 200 and name in page, f"check your answers for {name!r}: {status}")
        submission = re.search(r'name="submission" value="([^"]+)"', page)
        check(submission, "no submission on the check-your-answers page")
        (status, _, created), _ = self.post_form(check_url, {"submission": submission[1]})
        check(status == 200, f"creating {name!r} answered {status}")
        # The token page's read-only text area holds the token, once (its
        # attributes hold ">" too, in the admin's action descriptors).
        token = re.search(r'id="api-client-token"[^<]*?>\s*([^<\s]+)\s*</textarea>', created)
        check(token, "the token is not on the created page")
        return token[1]


def journey(base):
    api = Browser(base)
    status, headers, _ = api.get("/api/whoami")
    check(status == 401, f"the API without a token answered {status}")
    check(headers.get("WWW-Authenticate", "").startswith("Bearer"), "no WWW-Authenticate")

    step("a superuser signs in and adds a client through the admin")
    admin = Browser(base)
    admin.sign_in("admin")
    admin_token = admin.add_client("Newsroom feed")
    check(admin_token.startswith("rtp_"), "the token lacks its prefix")

    step("the token reads the site's ninja API")
    status, _, body = api.get("/api/whoami", {"Authorization": f"Bearer {admin_token}"})
    check(status == 200, f"the API with the token answered {status}: {body}")
    check(json.loads(body)["client"] == "Newsroom feed", f"the API answered {body}")
    status, _, _ = api.get("/api/whoami", {"Authorization": f"Bearer {admin_token[:-1]}x"})
    check(status == 401, f"a mistyped token answered {status}")

    step("an API user adds their own client and sees only that")
    ada = Browser(base)
    ada.sign_in("ada")
    status, headers, _ = ada.get("/admin/")
    check(
        status == 302 and headers["Location"].endswith("/admin/api-clients/"),
        f"an API user's dashboard answered {status}, not their list",
    )
    ada_token = ada.add_client("Ada timetable")
    status, _, listing = ada.get("/admin/api-clients/")
    check(status == 200, f"the API user's list answered {status}")
    check("timetable" in listing, "the API user's own client is not in their list")
    check("Newsroom feed" not in listing, "the API user sees someone else's client")
    for path in ("/admin/pages/", "/admin/users/", "/admin/images/"):
        status, headers, _ = ada.get(path)
        check(status == 302, f"the API user reached {path} ({status})")
    status, _, body = api.get("/api/whoami", {"Authorization": f"Bearer {ada_token}"})
    check(status == 200 and "timetable" in body, f"the API user's token: {status} {body}")
    status, _, listing = admin.get("/admin/api-clients/")
    check("Newsroom feed" in listing and "timetable" in listing, "the superuser sees both")


def main():
    keep = "--keep" in sys.argv[1:]
    work = Path(tempfile.mkdtemp(prefix="fresh-site-"))
    server = None
    started = time.monotonic()
    try:
        wheel = build(work / "dist")
        python, site = make_site(work, wheel)
        apply_readme(site)
        env = {**os.environ, "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        manage = [python, "manage.py"]
        step("manage.py check")
        output = run(*manage, "check", cwd=site, env=env)
        check("no issues" in output, f"check: {output}")
        step("manage.py migrate")
        run(*manage, "migrate", "--no-input", cwd=site, env=env)
        run(*manage, "createsuperuser", "--no-input", "--username", "admin",
            "--email", "admin@example.com", cwd=site, env=env)  # fmt: skip
        # The group is the one migrate made; the script only puts Ada in it.
        run(*manage, "shell", "-c",
            "from django.contrib.auth.models import Group, User; "
            f"u = User.objects.create_user('ada', password='{PASSWORD}'); "
            "u.groups.add(Group.objects.get(name='API users'))",
            cwd=site, env=env)  # fmt: skip
        port = free_port()
        step(f"serving on 127.0.0.1:{port}")
        server_log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=site, env=env, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/admin/login/", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"FAILED: the server stopped: {(work / 'server.log').read_text()}")
                time.sleep(0.2)
        journey(base)
        print(f"fresh site: OK in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
