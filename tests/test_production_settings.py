"""The production environment, as the README documents it, through manage.py and dev.py."""

import subprocess
import sys

import pytest
from test_settings import ROOT, run_manage, settings_value

# The README's "Production" section, word for word in its values' shape.
PRODUCTION = {
    "SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
    "ALLOWED_HOSTS": "register.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://register.example.org",
    "WAGTAILADMIN_BASE_URL": "https://register.example.org",
    "DATABASE_URL": "postgres://register@db.internal:5432/register",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECURE_PROXY_SSL_HEADER": "true",
    "NUM_PROXIES": "1",
    "SECURE_HSTS_PRELOAD": "true",
    "EMAIL_HOST": "smtp.example.org",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "true",
    "EMAIL_HOST_USER": "register",
    "EMAIL_HOST_PASSWORD": "smtp-password",
    "DEFAULT_FROM_EMAIL": "Register of training providers <noreply@register.example.org>",
    "SERVER_EMAIL": "errors@register.example.org",
}


def test_check_deploy_is_silent_with_the_documented_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_names_what_is_missing_without_the_proxy_settings():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECURE_HSTS_PRELOAD"}
    result = run_manage("check", "--deploy", **env)
    assert "security.W021" in result.stderr


@pytest.mark.parametrize("escape", [{}, {"ALLOW_DEVELOPMENT_KEY": "true"}])
def test_the_public_development_key_never_runs_with_debug_off(escape):
    development_key = "django-insecure-development-only-key-do-not-use-in-production"
    result = run_manage("check", SECRET_KEY=development_key, **escape)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_email_comes_from_the_environment_with_djangos_names():
    expression = (
        "settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, "
        "settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD, "
        "settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL, settings.WAGTAILADMIN_BASE_URL"
    )
    assert settings_value(f"({expression})", **PRODUCTION) == str(
        (
            "django.core.mail.backends.smtp.EmailBackend",
            "smtp.example.org",
            587,
            True,
            "register",
            "smtp-password",
            PRODUCTION["DEFAULT_FROM_EMAIL"],
            "errors@register.example.org",
            "https://register.example.org",
        )
    )


def test_email_goes_to_the_console_with_debug_on_and_to_files_when_asked(tmp_path):
    assert (
        settings_value("settings.EMAIL_BACKEND", DEBUG="true")
        == "django.core.mail.backends.console.EmailBackend"
    )
    backend = "django.core.mail.backends.filebased.EmailBackend"
    assert settings_value(
        "(settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH)",
        DEBUG="true",
        EMAIL_BACKEND=backend,
        EMAIL_FILE_PATH=str(tmp_path),
    ) == str((backend, str(tmp_path)))


def test_production_defaults_are_secure_with_debug_off():
    values = settings_value(
        "(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.DEBUG)",
        SECRET_KEY=PRODUCTION["SECRET_KEY"],
    )
    assert values == str((True, True, True, 31_536_000, False))


def test_a_site_behind_a_proxy_that_redirects_itself_can_say_so():
    assert settings_value(
        "(settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER)",
        SECURE_SSL_REDIRECT="false",
        SECURE_PROXY_SSL_HEADER="true",
        SECRET_KEY=PRODUCTION["SECRET_KEY"],
    ) == str((False, ("HTTP_X_FORWARDED_PROTO", "https")))


def test_a_bad_number_in_the_environment_is_one_clear_line():
    result = run_manage("check", SECRET_KEY=PRODUCTION["SECRET_KEY"], EMAIL_PORT="twenty-five")
    assert result.returncode != 0
    assert "EMAIL_PORT must be a whole number, not 'twenty-five'." in result.stderr


def test_serve_refuses_to_start_without_a_secret_key_in_one_line():
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("SECRET_KEY is not set")
