"""The suite on the oldest and the newest supported Wagtail, each with Django 5.2.

    nox -s "tests(oldest)"     Wagtail 7.0.x with the lowest declared Django,
                               django-guardian and cryptography; browser journeys left out
    nox -s "tests(newest)"     Wagtail 8.x, as the site runs it; browser journeys too
    nox -s django6             Wagtail 8.x with Django 6.0 (needs Python 3.12)

`.ci/run` runs "tests(oldest)"; the newest combination is its main suite. The
oldest session installs the lower bounds written in pyproject.toml, so a bound
lower than the code needs fails it.
"""

import re
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests(oldest)", "tests(newest)"]

ROOT = Path(__file__).parent


# The site's own API (site/register/api.py) adds operations to a bound router,
# which needs the django-ninja the site pins; the app alone passed on its floor, 1.4.2.
SITE_PINNED = {"django-ninja"}


def lower_bounds():
    """``name==lowest`` for each dependency of the app, from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for requirement in project["dependencies"]:
        name, lowest = re.fullmatch(r"([\w-]+)>=([\w.]+),.*", requirement).groups()
        if name in SITE_PINNED:
            continue
        # Wagtail: the newest patch of its oldest line, as an LTS site runs it.
        pins.append(f"{name}>={lowest},<7.1" if name == "wagtail" else f"{name}=={lowest}")
    return pins


def requirements_without(names):
    """The site's and the tests' requirements, leaving out the packages named."""
    lines = []
    for filename in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / filename).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-r"):
                continue
            if line.startswith("-e "):
                lines += ["-e", line.removeprefix("-e ").strip()]
                continue
            name = re.match(r"[\w.-]+", line)[0].lower()
            if name not in names:
                lines.append(line)
    return lines


def install(session, *pins):
    """The site and test requirements, with ``pins`` in place of the site's own versions.

    One pip run, so pip resolves the pins with everything else and nothing is
    installed only to be replaced.
    """
    pinned = {re.match(r"[\w.-]+", pin)[0].lower() for pin in pins}
    session.install(*requirements_without(pinned), *pins)
    session.run("python", "-m", "pip", "check")


@nox.session
@nox.parametrize("combination", ["oldest", "newest"], ids=["oldest", "newest"])
def tests(session, combination):
    if combination == "oldest":
        install(session, *lower_bounds())
        session.run("python", "-m", "pytest", "-m", "not e2e", *session.posargs)
    else:
        install(session, "wagtail>=8.0,<9", "Django>=5.2,<5.3")
        session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.12")
def django6(session):
    install(session, "wagtail>=8.0,<9", "Django>=6.0,<6.1")
    session.run("python", "-m", "pytest", "-m", "not e2e", *session.posargs)
