"""Settings for the test suite: the site's own, with a test key and a fast hasher."""

import os

# A key of the test suite's own: the site refuses its public development key
# whenever DEBUG is off, as it is under test.
os.environ.setdefault("SECRET_KEY", "test-suite-only-key-" + "x" * 40)

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WAGTAILADMIN_BASE_URL = "http://testserver"

# The test client and the browser journeys speak plain HTTP to the site; the
# production values are checked through manage.py and the real server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Static files come from the apps' folders (nothing is collected under test).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests run in parallel workers (pytest-xdist), and a test that clears the
# cache empties its whole Redis database: each worker takes a database of its
# own, counting down from the one REDIS_URL names (gw0 keeps it).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and CACHES["default"]["BACKEND"].endswith("RedisCache"):  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    _url = urlsplit(CACHES["default"]["LOCATION"])  # noqa: F405
    _base = int(_url.path.strip("/") or 0)
    _path = f"/{(_base - int(_worker[2:])) % 16}"
    CACHES["default"]["LOCATION"] = urlunsplit(_url._replace(path=_path))  # noqa: F405

# The suite's own database work (each worker creating, migrating and dropping a
# test database, on a busy machine) may take longer than a request may. The
# site's limit is tested through the production settings, in servers of their own.
if DATABASES["default"]["ENGINE"] == "config.postgresql":  # noqa: F405
    DATABASES["default"]["OPTIONS"]["statement_timeout"] = 60000  # noqa: F405
