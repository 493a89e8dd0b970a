"""Real-browser journeys: Playwright for Python driving the system's Chromium.

Playwright's own browser download cannot be relied on, so the tests use the
Chromium that the system package manager installs. Without it they are skipped
with one line that says how to install it; under CI (CI=true) they are
mandatory and a missing browser fails the run.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls from the same thread are safe here (pytest-django's own advice).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM_PATH"), "chromium", "chromium-browser"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def in_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "tests/e2e/" in item.nodeid.replace(os.sep, "/")]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    if e2e and find_chromium() is None and not in_ci():
        config._api_clients_browser_skipped = len(e2e)
        skip = pytest.mark.skip(reason=f"browser tests need Chromium: {INSTALL_HINT}")
        for item in e2e:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = getattr(config, "_api_clients_browser_skipped", 0)
    if skipped:
        terminalreporter.write_line(
            f"Skipped {skipped} browser tests: Chromium was not found; {INSTALL_HINT}."
        )


def settle(page):
    """Wait for the page to load and short fade-ins (the admin's messages) to finish.

    Long decorative loops (the menu's "new" badge) are left running.
    """
    page.wait_for_load_state("load")
    wait_until(
        page,
        """() => document.getAnimations().every(animation =>
            animation.playState !== 'running' ||
            animation.effect.getComputedTiming().endTime > 3000)""",
    )


def wait_until(page, predicate, timeout=15):
    """Poll a JavaScript function until it returns true.

    Playwright's wait_for_function evaluates its predicate as a string inside
    the page, which the site's Content-Security-Policy (rightly) refuses.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(predicate):
                return
        except Error as error:  # the page navigated while it was asked: ask the next one
            if "context was destroyed" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        page.wait_for_timeout(50)


@pytest.fixture
def until():
    """``until(page, "() => …")``: wait for a JavaScript predicate (see wait_until)."""
    return wait_until


@pytest.fixture(scope="session")
def browser():
    path = find_chromium()
    if path is None:
        pytest.fail(f"Chromium is required under CI: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    violations = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every Content-Security-Policy refusal fires a DOM event; an init script
    # (which the policy does not govern) reports each on the console.
    page.add_init_script(
        """document.addEventListener('securitypolicyviolation', event => console.error(
            'Content Security Policy violation: ' + event.violatedDirective + ' blocked ' +
            (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' +
            event.lineNumber));"""
    )
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def screenshot(tmp_path):
    """Save a full-page PNG: into docs/screenshots/ when SCREENSHOTS=1, else a temp dir."""
    folder = SCREENSHOTS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        settle(page)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        return path

    return take


@pytest.fixture
def axe():
    """Run axe-core in the page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    runner = Axe()

    def check(page, label):
        settle(page)
        results = runner.run(page)
        bad = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"Accessibility violations on {label}:\n" + "\n".join(bad)

    return check


@pytest.fixture
def sign_in(page):
    def sign_in(username, password="password-123!"):
        page.goto("/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/**")
        assert "/login/" not in page.url

    return sign_in


@pytest.fixture
def groups(transactional_db):
    """The shipped groups. A live server's database is flushed between tests, and
    with it what the data migration made, so they are made again here."""
    from django.contrib.auth.models import Group, Permission

    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    client_permissions = Permission.objects.filter(
        content_type__app_label="api_clients", content_type__model="apiclient"
    )
    managers, _ = Group.objects.get_or_create(name="API client managers")
    managers.permissions.set([access_admin, *client_permissions])
    api_users, _ = Group.objects.get_or_create(name="API users")
    api_users.permissions.set([access_admin, client_permissions.get(codename="add_apiclient")])
    return managers, api_users


@pytest.fixture
def people(groups, make_user):
    return {
        "manager": make_user(
            "manager", group="API client managers", first_name="Morgan", last_name="Manager"
        ),
        "owner": make_user("owner", group="API users", first_name="Priya", last_name="Patel"),
        "other": make_user("other", group="API users", first_name="Tom", last_name="Okafor"),
    }
