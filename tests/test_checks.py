"""System checks: a bad API_CLIENTS value or missing middleware fails `manage.py check`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from api_clients.checks import MIDDLEWARE_PATH, check_api_clients_settings
from api_clients.conf import DEFAULTS, get_setting


def ids(errors):
    return sorted(error.id for error in errors)


def check(**kwargs):
    """Run `manage.py check` and return its output; raises SystemCheckError on errors."""
    out = io.StringIO()
    call_command("check", stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def test_the_sites_settings_pass():
    assert check_api_clients_settings(None) == []
    assert "no issues" in check()


def test_an_empty_or_missing_dict_means_the_defaults(settings):
    settings.API_CLIENTS = {}
    assert check_api_clients_settings(None) == []
    assert get_setting("CLIENT_RATE_LIMIT") == DEFAULTS["CLIENT_RATE_LIMIT"]
    del settings.API_CLIENTS
    assert check_api_clients_settings(None) == []
    assert get_setting("USAGE_RETENTION_DAYS") == 90


@pytest.mark.parametrize("value", [["CLIENT_RATE_LIMIT", "600/min"], None, "600/min", 5])
def test_the_setting_must_be_a_dict(settings, value):
    settings.API_CLIENTS = value
    assert ids(check_api_clients_settings(None)) == ["api_clients.E001"]


def test_unknown_keys_are_errors(settings):
    settings.API_CLIENTS = {"CLIENT_RATE_LIMITS": "10/min", "expiry_horizon_months": 6}
    errors = check_api_clients_settings(None)
    assert ids(errors) == ["api_clients.E002", "api_clients.E002"]
    assert "'CLIENT_RATE_LIMITS'" in errors[0].msg
    assert "EXPIRY_HORIZON_MONTHS" in errors[0].hint


@pytest.mark.parametrize(
    "key", ["EXPIRY_HORIZON_MONTHS", "USAGE_RETENTION_DAYS", "RECENT_USAGE_DAYS"]
)
@pytest.mark.parametrize("value", [0, -1, "12", 1.5, True, None])
def test_counts_must_be_whole_numbers_of_one_or_more(settings, key, value):
    settings.API_CLIENTS = {key: value}
    errors = check_api_clients_settings(None)
    assert ids(errors) == ["api_clients.E003"]
    assert key in errors[0].msg


@pytest.mark.parametrize(
    "key", ["EXPIRY_HORIZON_MONTHS", "USAGE_RETENTION_DAYS", "RECENT_USAGE_DAYS"]
)
def test_good_counts_pass(settings, key):
    settings.API_CLIENTS = {key: 1}
    assert check_api_clients_settings(None) == []


@pytest.mark.parametrize("key", ["CLIENT_RATE_LIMIT", "ADDRESS_RATE_LIMIT"])
@pytest.mark.parametrize(
    "value",
    [
        "600",
        "600/minute",
        "0/min",
        "-1/min",
        "ten/min",
        "10/0min",  # a period of no time at all
        "10/00s",
        "10/min\n",
        " 10/min",
        "10 / min",
        "",
        None,
        600,
    ],
)
def test_rates_must_read_like_600_per_min(settings, key, value):
    settings.API_CLIENTS = {key: value}
    errors = check_api_clients_settings(None)
    assert ids(errors) == ["api_clients.E004"]
    assert key in errors[0].msg


@pytest.mark.parametrize(
    "value", ["1/s", "5/sec", "600/min", "600/m", "100/h", "100/hour", "1000/d", "9/day", "10/5min"]
)
def test_good_rates_pass(settings, value):
    settings.API_CLIENTS = {"CLIENT_RATE_LIMIT": value, "ADDRESS_RATE_LIMIT": value}
    assert check_api_clients_settings(None) == []


def test_the_middleware_must_be_installed(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    errors = check_api_clients_settings(None)
    assert ids(errors) == ["api_clients.E005"]
    assert MIDDLEWARE_PATH in errors[0].msg


def test_every_problem_is_reported_at_once(settings):
    settings.API_CLIENTS = {"NOPE": 1, "RECENT_USAGE_DAYS": 0, "CLIENT_RATE_LIMIT": "fast"}
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    assert ids(check_api_clients_settings(None)) == [
        "api_clients.E002",
        "api_clients.E003",
        "api_clients.E004",
        "api_clients.E005",
    ]


@pytest.mark.parametrize(
    ("api_clients", "remove_middleware", "error_id"),
    [
        ([], False, "api_clients.E001"),
        ({"UNKNOWN": 1}, False, "api_clients.E002"),
        ({"EXPIRY_HORIZON_MONTHS": 0}, False, "api_clients.E003"),
        ({"ADDRESS_RATE_LIMIT": "lots"}, False, "api_clients.E004"),
        ({}, True, "api_clients.E005"),
    ],
)
def test_manage_py_check_fails_with_the_id(settings, api_clients, remove_middleware, error_id):
    settings.API_CLIENTS = api_clients
    if remove_middleware:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]

    with pytest.raises(SystemCheckError) as error:
        check()

    assert error_id in str(error.value)


def test_an_unknown_setting_name_is_a_programming_error():
    with pytest.raises(KeyError):
        get_setting("NOT_A_SETTING")


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("EXPIRY_HORIZON_MONTHS", 100_000, "api_clients.E003"),
        ("RECENT_USAGE_DAYS", 10**7, "api_clients.E003"),
        ("USAGE_RETENTION_DAYS", 10**9, "api_clients.E003"),
        ("CLIENT_RATE_LIMIT", "1/99999999999999999999day", "api_clients.E004"),
        ("ADDRESS_RATE_LIMIT", "5/367day", "api_clients.E004"),
    ],
)
def test_values_too_large_to_work_are_errors(settings, key, value, error):
    settings.API_CLIENTS = {key: value}
    assert ids(check_api_clients_settings(None)) == [error]


def test_the_largest_sensible_values_pass(settings):
    settings.API_CLIENTS = {
        "EXPIRY_HORIZON_MONTHS": 120,
        "RECENT_USAGE_DAYS": 366,
        "USAGE_RETENTION_DAYS": 36_500,
        "CLIENT_RATE_LIMIT": "1000000/366day",
    }
    assert check_api_clients_settings(None) == []


def test_without_the_admin_middleware_a_warning(settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "api_clients.middleware.ApiOnlyUserAdminMiddleware"
    ]
    assert ids(check_api_clients_settings(None)) == ["api_clients.W001"]


@pytest.mark.parametrize("value", [[30, 7, 1], (14,), [], [3660]])
def test_reminder_days_that_pass(settings, value):
    settings.API_CLIENTS = {"EXPIRY_REMINDER_DAYS": value}
    assert check_api_clients_settings(None) == []


@pytest.mark.parametrize("value", [30, "30,7,1", [0], [-1], [7, "1"], [True], [1.5], [3661], None])
def test_reminder_days_must_be_a_list_of_days(settings, value):
    settings.API_CLIENTS = {"EXPIRY_REMINDER_DAYS": value}
    errors = check_api_clients_settings(None)
    assert ids(errors) == ["api_clients.E013"]
    assert "EXPIRY_REMINDER_DAYS" in errors[0].msg


def test_the_sites_report_is_the_apps():
    assert "no issues" in check(tags=["urls"])


@pytest.mark.urls("wagtail_only_urls")
def test_wagtails_own_site_history_report_is_a_warning_with_the_fix():
    out = io.StringIO()
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", tags=["urls"], fail_level="WARNING", stdout=out, stderr=out)

    message = str(raised.value)
    assert "api_clients.W005" in message
    assert 'path("cms/", include("api_clients.admin_urls"))' in message
