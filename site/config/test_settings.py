"""Settings for the test suite: the site's own, with a test key and a fast hasher."""

import os

os.environ.setdefault("ALLOW_DEVELOPMENT_KEY", "true")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WAGTAILADMIN_BASE_URL = "http://testserver"
