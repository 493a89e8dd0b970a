"""A token never reaches an error report, even when something fails while it is held."""

import sys
from unittest import mock

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from api_clients import tokens
from api_clients.auth import ApiClientAuth
from api_clients.dates import today
from api_clients.models import ApiClient
from api_clients.services import create_api_client

pytestmark = pytest.mark.django_db

KNOWN = tokens.generate_token()


def report_of(request=None):
    reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_text() + reporter.get_traceback_html()


# With DEBUG on, Django shows every variable by design (a developer's own machine).
def test_a_failure_while_creating_keeps_the_token_out_of_the_report(settings, api_user):
    settings.DEBUG = False
    with (
        mock.patch("api_clients.services.tokens.generate_token", return_value=KNOWN),
        mock.patch("api_clients.services.log", side_effect=RuntimeError("audit log down")),
    ):
        try:
            create_api_client(owner=api_user, name="Failing", expiry_date=today())
        except RuntimeError:
            report = report_of()
    assert "audit log down" in report
    assert KNOWN not in report
    assert KNOWN[4:] not in report


def test_a_failure_while_checking_a_token_keeps_it_out_of_the_report(settings):
    settings.DEBUG = False
    request = RequestFactory().get("/api/v1/info", headers={"Authorization": f"Bearer {KNOWN}"})
    with mock.patch.object(
        ApiClient.objects, "find_by_token_digests", side_effect=RuntimeError("database down")
    ):
        try:
            ApiClientAuth()(request)
        except RuntimeError:
            report = report_of(request)
    assert "database down" in report
    assert KNOWN not in report
