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
