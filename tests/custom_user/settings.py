"""The test site's settings with ``custom_user.Person`` as the user model."""

from config.test_settings import *  # noqa: F403

# Wagtail's user forms need an ``is_active`` field: the API needs none of them.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "wagtail.users"] + ["custom_user"]  # noqa: F405
AUTH_USER_MODEL = "custom_user.Person"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
