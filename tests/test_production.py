"""Running in production: error answers, 405 and HEAD, /health, sign-in
throttling, security headers and the log under a flood of refusals."""

import logging

import pytest
from django.conf import settings as django_settings
from django.template import loader
from django.test import Client

from api_clients.models import ApiClientUsage

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/v1/providers"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(api_user, make_client):
    return make_client(api_user)[1]


# --- a host that is not allowed ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "json"), [("/admin/", False), ("/admin/login/", False), (PROVIDERS, True)]
)
def test_a_host_that_is_not_allowed_gets_400_never_500(path, json):
    browser = Client(raise_request_exception=False)

    response = browser.get(path, headers={"Host": "attacker.example"})

    assert response.status_code == 400
    if json:
        assert response.json() == {"detail": "Bad request."}
    else:
        assert "Error 400" in response.content.decode()


@pytest.mark.parametrize("name", ["400.html", "403.html", "403_csrf.html", "404.html", "500.html"])
def test_every_error_template_renders_without_a_request_or_a_user(name, django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.render_to_string(name)
    assert "<title>" in html and "wagtailadmin/css/core.css" in html


def test_the_503_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.render_to_string("503.html")
    assert "Service unavailable" in html


# --- 405 and HEAD on the API -----------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", [PROVIDERS, "/api/v1/providers/1", "/api/v1/info"])
def test_a_method_an_endpoint_does_not_take_is_405_json_with_allow(client, token, method, path):
    response = getattr(client, method)(path, headers=bearer(token))

    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed."}
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "BREW"])
def test_any_other_method_is_405_json_too_checked_and_recorded(
    client, api_user, make_client, method
):
    own, token = make_client(api_user)

    for path, allowed in [(PROVIDERS, "GET, HEAD"), ("/api/v1/client", "GET, HEAD")]:
        response = client.generic(method, path, headers=bearer(token))
        assert response.status_code == 405, response.content[:200]
        assert response.json() == {"detail": "Method not allowed."}
        assert response["Allow"] == allowed
    # Checked like any request: no token, a 401 with its challenge.
    refused = client.generic(method, PROVIDERS)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    # Nor is a path that is no endpoint an HTML page, whatever the method.
    unknown = client.generic(method, "/api/v1/nope", headers=bearer(token))
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not found."})
    webhook = client.generic(method, "/api/v1/secret-scanning/github")
    assert webhook.status_code == 405 and webhook["Allow"] == "POST"
    assert webhook["Content-Type"].startswith("application/json")
    assert ApiClientUsage.objects.filter(client=own, method=method).count() == 3


def test_a_405_is_recorded_like_any_request_of_a_known_client(client, api_user, make_client):
    own, token = make_client(api_user)

    client.post(PROVIDERS, headers=bearer(token))

    usage = ApiClientUsage.objects.get(client=own)
    assert (usage.method, usage.path, usage.status_code) == ("POST", PROVIDERS, 405)


def test_a_405_without_a_token_is_a_401_and_rate_limited_like_any_other(client, settings):
    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "ADDRESS_RATE_LIMIT": "2/min"}
    statuses = [client.delete(PROVIDERS).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert not ApiClientUsage.objects.exists()


def _every_get_path():
    """Every path of the API's document that answers GET, with an example id filled in."""
    from register.api import api

    paths = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    return sorted(
        path.replace("{provider_id}", "999")
        for path, operations in paths.items()
        if "get" in operations
    )


@pytest.mark.parametrize("path", _every_get_path())
def test_head_answers_wherever_get_does(client, token, path):
    get = client.get(path, headers=bearer(token))
    head = client.head(path, headers=bearer(token))

    assert head.status_code == get.status_code
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""


def test_head_without_a_token_is_401(client):
    response = client.head(PROVIDERS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_openapi_document_does_not_list_head_or_the_405_answers(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/info", "/api/v1/providers", "/api/v1/providers/{provider_id}"):
        assert set(paths[path]) == {"get"}
    assert not {"head", "put", "patch", "delete", "options"} & {
        method for operations in paths.values() for method in operations
    }


# --- /health -----------------------------------------------------------------


def test_health_is_200_json_without_a_token_and_is_not_recorded(client, token, settings):
    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "ADDRESS_RATE_LIMIT": "2/min"}
    responses = [client.get("/health", headers=bearer(token)) for _ in range(5)]

    assert [response.status_code for response in responses] == [200] * 5
    assert responses[0].json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in responses[0]["Cache-Control"]
    assert client.head("/health").status_code == 200
    assert not ApiClientUsage.objects.exists()


def test_health_refuses_writes(client):
    assert client.post("/health").status_code == 405


# --- admin sign-in throttling ------------------------------------------------

LOCKED_OUT = "Too many failed sign-in attempts. Try again in 15 minutes."


def sign_in(browser, username, password, address="198.51.100.7"):
    return browser.post(
        "/admin/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_five_failures_lock_the_username_and_address_out_even_with_the_right_password(
    client, manager
):
    for _ in range(4):
        response = sign_in(client, "manager", "wrong")
        assert response.status_code == 200
        assert LOCKED_OUT not in response.content.decode()
    fifth = sign_in(client, "manager", "wrong")
    right = sign_in(client, "manager", "password-123!")

    for response in (fifth, right):
        assert response.status_code == 429
        assert LOCKED_OUT in response.content.decode()
        assert 'id="id_username"' in response.content.decode()  # the real sign-in form
    assert client.get("/admin/").status_code == 302  # not signed in

    # Another address, or another username from this one, is not locked out.
    assert sign_in(client, "manager", "password-123!", address="203.0.113.9").status_code == 302


def test_successful_sign_ins_are_unaffected_and_reset_the_count(client, manager):
    for _ in range(4):
        sign_in(client, "manager", "wrong")
    assert sign_in(client, "manager", "password-123!").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "manager", "wrong").status_code == 200
    assert sign_in(client, "manager", "password-123!").status_code == 302


def test_staff_unlock_a_username_with_axes_reset(client, manager):
    from django.core.management import call_command

    for _ in range(5):
        sign_in(client, "manager", "wrong")
    assert sign_in(client, "manager", "password-123!").status_code == 429

    call_command("axes_reset_username", "manager")

    assert sign_in(client, "manager", "password-123!").status_code == 302


def test_the_lockout_lasts_15_minutes(client, manager):
    import datetime
    from unittest import mock

    from django.utils import timezone

    for _ in range(5):
        sign_in(client, "manager", "wrong-password")
    locked_at = timezone.now()

    def sign_in_later(delay):
        # The sign-in throttle tells the time of each attempt by this clock.
        with mock.patch("axes.handlers.proxy.now", return_value=locked_at + delay):
            return sign_in(client, "manager", "password-123!")

    assert sign_in_later(datetime.timedelta(minutes=14, seconds=50)).status_code == 429
    assert sign_in_later(datetime.timedelta(minutes=15, seconds=10)).status_code == 302


# --- security headers ----------------------------------------------------------


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    policy = client.get("/admin/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"


def test_over_https_every_answer_carries_hsts(client):
    response = client.get("/health", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"


# --- a flood of refusals -----------------------------------------------------


def test_a_flood_of_refused_requests_writes_at_most_one_line_each_below_warning(
    client, token, settings, caplog
):
    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "ADDRESS_RATE_LIMIT": "5/min"}
    browser = Client(raise_request_exception=False)
    caplog.set_level(logging.DEBUG)
    refused = []
    for _ in range(10):  # 401s, then 429s
        refused.append(client.get(PROVIDERS, headers=bearer("rtp_not_a_token")).status_code)
    for _ in range(5):
        refused.append(client.post(PROVIDERS, headers=bearer(token)).status_code)
        refused.append(browser.get(PROVIDERS, headers={"Host": "evil.example"}).status_code)
        refused.append(client.get("/api/v1/nothing-here", headers=bearer(token)).status_code)
    assert set(refused) == {400, 401, 404, 405, 429}

    lines = [record for record in caplog.records if record.name.startswith("django")]
    assert len(lines) <= len(refused)
    assert all(record.levelno < logging.WARNING for record in lines), [
        (record.levelname, record.getMessage()) for record in lines
    ]
    assert all(record.exc_info is None for record in lines)


def test_failed_sign_ins_and_a_lockout_write_at_most_one_line_each_below_warning(
    client, manager, caplog
):
    caplog.set_level(logging.DEBUG)
    statuses = []
    for _ in range(7):  # four failures, the fifth locks out, then refused while locked out
        caplog.clear()
        statuses.append(sign_in(client, "manager", "wrong-password").status_code)
        lines = [(record.name, record.levelname, record.getMessage()) for record in caplog.records]
        shown = [line for line in lines if logging.getLevelName(line[1]) >= logging.INFO]
        assert len(shown) <= 1, lines
        assert all(logging.getLevelName(line[1]) < logging.WARNING for line in lines), lines

    assert statuses == [200] * 4 + [429] * 3


def test_an_endpoint_without_token_auth_refuses_other_methods_with_its_own_auth():
    from ninja import NinjaAPI

    from register.api import refuse_other_methods

    other = NinjaAPI(urls_namespace="refusal_test")

    @other.post("/hook", auth=None)
    def hook(request):
        return {}

    refuse_other_methods(other.default_router)

    operations = other.default_router.path_operations["/hook"].operations
    refusal = next(operation for operation in operations if "GET" in operation.methods)
    assert refusal.auth_param is None
    assert "POST" not in refusal.methods and "HEAD" in refusal.methods


@pytest.mark.parametrize(("value", "errors"), [("skip", []), ("refuse", []), ("ignore", ["E007"])])
def test_what_to_do_without_the_cache_is_checked(settings, value, errors):
    from api_clients.checks import check_api_clients_settings

    settings.API_CLIENTS = {**django_settings.API_CLIENTS, "RATE_LIMIT_WITHOUT_CACHE": value}
    found = [error.id.rsplit(".", 1)[1] for error in check_api_clients_settings(None)]

    assert found == errors


def test_the_secret_scanning_endpoint_refuses_get_with_405_without_a_token(client):
    response = client.get("/api/v1/secret-scanning/github")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"detail": "Method not allowed."}
