"""`manage.py check` fails when nobody could sign in, or guardian's backend is missing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from api_clients.checks import check_authentication_backends

MODEL = "django.contrib.auth.backends.ModelBackend"
GUARDIAN = "guardian.backends.ObjectPermissionBackend"


def ids(errors):
    return sorted(error.id for error in errors)


@pytest.mark.parametrize(
    "backends",
    [
        [MODEL, GUARDIAN],
        [GUARDIAN, "django.contrib.auth.backends.AllowAllUsersModelBackend"],
        ["django.contrib.auth.backends.RemoteUserBackend", MODEL, GUARDIAN],
    ],
)
def test_a_password_backend_and_guardian_pass(settings, backends):
    settings.AUTHENTICATION_BACKENDS = backends
    assert check_authentication_backends(None) == []


def test_guardian_alone_locks_everyone_out_and_says_how_to_fix_it(settings):
    # Taken literally, "add guardian's backend" to a site that never named the
    # setting replaces Django's default ModelBackend.
    settings.AUTHENTICATION_BACKENDS = [GUARDIAN]

    errors = check_authentication_backends(None)

    assert ids(errors) == ["api_clients.E010"]
    assert "password" in errors[0].msg
    assert f"AUTHENTICATION_BACKENDS = [{MODEL!r}, {GUARDIAN!r}]" in errors[0].hint


@pytest.mark.parametrize("backends", [[MODEL], ["django.contrib.auth.backends.ModelBackend"]])
def test_without_guardian_api_users_cannot_see_their_clients(settings, backends):
    settings.AUTHENTICATION_BACKENDS = backends

    errors = check_authentication_backends(None)

    assert ids(errors) == ["api_clients.E011"]
    assert GUARDIAN in errors[0].msg
    assert GUARDIAN in errors[0].hint


def test_a_remote_user_backend_signs_nobody_in_with_a_password(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.RemoteUserBackend", GUARDIAN]
    assert ids(check_authentication_backends(None)) == ["api_clients.E010"]


def test_an_empty_list_fails_both_ways(settings):
    settings.AUTHENTICATION_BACKENDS = []
    assert ids(check_authentication_backends(None)) == ["api_clients.E010", "api_clients.E011"]


def test_a_backend_that_cannot_be_imported_is_named(settings):
    settings.AUTHENTICATION_BACKENDS = ["no.such.Backend", MODEL, GUARDIAN]

    errors = check_authentication_backends(None)

    assert ids(errors) == ["api_clients.E009"]
    assert "'no.such.Backend'" in errors[0].msg


def test_manage_py_check_fails_with_the_fix(settings):
    settings.AUTHENTICATION_BACKENDS = [GUARDIAN]

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())

    assert "api_clients.E010" in str(raised.value)
    assert MODEL in str(raised.value)


def test_without_a_proxy_count_the_address_limit_would_trust_any_forwarded_header(settings):
    from api_clients.checks import check_api_clients_settings

    del settings.NINJA_NUM_PROXIES

    warnings = check_api_clients_settings(None)

    assert ids(warnings) == ["api_clients.W004"]
    assert "X-Forwarded-For" in warnings[0].msg
    assert "0 when there are none" in warnings[0].hint
    settings.NINJA_NUM_PROXIES = 0
    assert check_api_clients_settings(None) == []
