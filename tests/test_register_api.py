"""The register API: providers, pagination, changes since, its OpenAPI document and docs."""

import datetime
import re
from urllib.parse import quote

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from helpers import bearer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from register.models import AccreditationStatus, ProviderType, TrainingProvider

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/v1/providers"


@pytest.fixture
def token(api_user, make_client):
    return make_client(api_user)[1]


@pytest.fixture
def api(client, token):
    """GET with the token; returns the response."""

    def get(path, **extra):
        return client.get(path, headers=bearer(token), **extra)

    return get


def make_provider(number, *, updated_at=None, deleted=False):
    provider = TrainingProvider.objects.create(
        operating_name=f"Provider {number:03d}",
        legal_name=f"Provider {number:03d} Limited",
        provider_type=ProviderType.SCHOOL if number % 2 else ProviderType.OTHER,
        code=f"{number:03d}",
        ukprn=f"1{number:07d}",
        urn=f"{100000 + number}" if number % 2 else "",
        accreditation_status=AccreditationStatus.ACCREDITED,
    )
    changes = {}
    if updated_at is not None:
        changes["updated_at"] = updated_at
    if deleted:
        changes["deleted_at"] = updated_at or datetime.datetime.now(datetime.UTC)
    if changes:
        # .update() skips save(), which would stamp updated_at with now.
        TrainingProvider.objects.filter(pk=provider.pk).update(**changes)
        provider.refresh_from_db()
    return provider


class TestProviders:
    def test_a_page_of_providers_by_operating_name(self, api):
        for number in (3, 1, 2):
            make_provider(number)

        response = api(PROVIDERS)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 3
        assert [p["operating_name"] for p in body["items"]] == [
            "Provider 001",
            "Provider 002",
            "Provider 003",
        ]
        first = body["items"][0]
        assert set(first) == {
            "id",
            "operating_name",
            "legal_name",
            "provider_type",
            "code",
            "ukprn",
            "urn",
            "accreditation_status",
            "updated_at",
        }
        assert first["code"] == "001"
        assert first["urn"] == "100001"
        assert body["items"][1]["urn"] is None  # blank URN reads as null

    def test_25_to_a_page_by_default_with_page_and_page_size(self, api):
        for number in range(1, 31):
            make_provider(number)

        first = api(PROVIDERS).json()
        second = api(f"{PROVIDERS}?page=2").json()
        small = api(f"{PROVIDERS}?page=3&page_size=4").json()
        beyond = api(f"{PROVIDERS}?page=99").json()

        assert first["count"] == second["count"] == 30
        assert len(first["items"]) == 25
        assert [p["code"] for p in second["items"]] == [f"{n:03d}" for n in range(26, 31)]
        assert [p["code"] for p in small["items"]] == ["009", "010", "011", "012"]
        assert beyond == {"items": [], "count": 30}

    @pytest.mark.parametrize(
        "query", ["page=0", "page=-1", "page_size=0", "page_size=101", "page=1000001"]
    )
    def test_pages_out_of_range_are_422(self, api, query):
        response = api(f"{PROVIDERS}?{query}")
        assert response.status_code == 422
        assert "detail" in response.json()

    def test_soft_deleted_providers_are_not_listed(self, api):
        make_provider(1)
        make_provider(2, deleted=True)

        body = api(PROVIDERS).json()

        assert body["count"] == 1
        assert [p["code"] for p in body["items"]] == ["001"]


class TestChangedSince:
    @pytest.fixture
    def providers(self):
        return [
            make_provider(1, updated_at=datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)),
            make_provider(2, updated_at=datetime.datetime(2026, 1, 20, 9, 0, tzinfo=datetime.UTC)),
            make_provider(3, updated_at=datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC)),
        ]

    def codes(self, response):
        assert response.status_code == 200, response.content
        return [p["code"] for p in response.json()["items"]]

    @pytest.mark.parametrize(
        ("since", "expected"),
        [
            ("2026-01-20T09:00:00Z", ["002", "003"]),  # at or after
            ("2026-01-20T09:00:01Z", ["003"]),
            ("2026-01-20T09:00:00", ["002", "003"]),  # no offset: UTC
            ("2026-01-20T09:00:01", ["003"]),
            ("2026-01-20T10:00:00+01:00", ["002", "003"]),  # with an offset
            ("2026-01-20T10:00:01+01:00", ["003"]),
            ("2026-07-01T09:00:00+01:00", ["003"]),
            ("2026-07-01T09:00:01+01:00", []),
            ("2026-01-20T04:00:00-05:00", ["002", "003"]),
            ("2026-01-01", ["001", "002", "003"]),  # a date alone: its midnight
            ("2030-01-01T00:00:00Z", []),
        ],
    )
    def test_only_what_changed_at_or_after_the_time(self, api, providers, since, expected):
        assert self.codes(api(PROVIDERS, data={"changed_since": since})) == expected

    def test_the_count_follows_the_filter(self, api, providers):
        body = api(PROVIDERS, data={"changed_since": "2026-01-15T00:00:00Z"}).json()
        assert body["count"] == 2

    def test_saving_a_provider_marks_it_changed(self, api, providers):
        providers[0].legal_name = "Renamed Limited"
        providers[0].save(update_fields=["legal_name"])

        assert self.codes(api(PROVIDERS, data={"changed_since": "2026-07-02T00:00:00Z"})) == ["001"]

    @pytest.mark.parametrize(
        ("since", "expected"),
        [
            ("0001-01-01T00:00:00+14:00", ["001", "002", "003"]),  # before year 1 in UTC
            ("9999-12-31T23:59:59-14:00", []),  # after year 9999 in UTC
        ],
    )
    def test_times_beyond_the_ends_of_the_calendar_in_utc(self, api, providers, since, expected):
        assert self.codes(api(PROVIDERS, data={"changed_since": since})) == expected

    @pytest.mark.parametrize(
        "since", ["yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "2026-01-01T25:00", ""]
    )
    def test_bad_times_are_422(self, api, providers, since):
        response = api(PROVIDERS, data={"changed_since": since})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "changed_since"]


class TestProviderDetail:
    def test_one_provider(self, api):
        provider = make_provider(7)

        response = api(f"{PROVIDERS}/{provider.pk}")

        assert response.status_code == 200
        assert response.json()["id"] == provider.pk
        assert response.json()["operating_name"] == "Provider 007"

    def test_a_soft_deleted_provider_is_404(self, api):
        provider = make_provider(7, deleted=True)

        response = api(f"{PROVIDERS}/{provider.pk}")

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_a_missing_provider_is_404(self, api):
        response = api(f"{PROVIDERS}/987654")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_a_provider_needs_a_token_too(self, client):
        provider = make_provider(7)
        response = client.get(f"{PROVIDERS}/{provider.pk}")
        assert response.status_code == 401

    def test_a_missing_provider_is_401_without_a_token(self, client):
        # Without a token nothing is revealed, not even what exists.
        assert client.get(f"{PROVIDERS}/987654").status_code == 401


class TestOpenApi:
    @pytest.fixture
    def document(self, client):
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        return response.json()

    def test_it_is_a_valid_openapi_document(self, document):
        validate(document)  # raises if the document breaks the OpenAPI schema
        assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
        assert document["info"]["title"] == "Register of training providers API"

    def test_it_lists_the_four_operations_and_the_secret_scanning_endpoint(self, document):
        assert {path: set(item) for path, item in document["paths"].items()} == {
            "/api/v1/client": {"get"},
            "/api/v1/info": {"get"},
            "/api/v1/providers": {"get"},
            "/api/v1/providers/{provider_id}": {"get"},
            "/api/v1/secret-scanning/github": {"post"},
        }

    def test_every_register_operation_needs_the_bearer_token(self, document):
        schemes = document["components"]["securitySchemes"]
        assert len(schemes) == 1
        ((name, scheme),) = schemes.items()
        assert scheme["type"] == "http"
        assert scheme["scheme"] == "bearer"
        for path_item in document["paths"].values():
            if "get" not in path_item:
                continue  # GitHub signs its reports instead
            operation = path_item["get"]
            assert operation["security"] == [{name: []}]
            assert "401" in operation["responses"]
            assert "429" in operation["responses"]

    def test_every_register_operation_documents_its_refusals_and_their_headers(
        self, document, client
    ):
        examples = {}
        headers = {"401": "WWW-Authenticate", "429": "Retry-After", "503": "Retry-After"}
        for path, path_item in document["paths"].items():
            if "get" not in path_item:
                continue
            operation = path_item["get"]
            assert operation["summary"], path
            for status, header in headers.items():
                response = operation["responses"][status]
                assert response["description"], (path, status)
                assert response["headers"][header]["required"] is True, (path, status)
                content = response["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/ErrorOut"), (path, status)
                examples[status] = content["example"]
        # The examples are the bodies the API really sends.
        assert examples["401"] == client.get("/api/v1/info").json()

    def test_the_list_documents_its_parameters(self, document):
        parameters = {
            p["name"] for p in document["paths"]["/api/v1/providers"]["get"]["parameters"]
        }
        assert {"page", "page_size", "changed_since"} <= parameters


class TestDocs:
    def test_the_docs_are_served_by_the_site_itself(self, client):
        response = client.get("/api/v1/docs")

        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn" not in html.lower()
        assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
        assert "/api/v1/openapi.json" in html
        assets = re.findall(r"""(?:src|href)=["']/static/([^"']+)["']""", html)
        assert any(asset.endswith(".js") for asset in assets)
        for asset in assets:
            assert finders.find(asset), f"{asset} is not among the site's static files"


JSON_4XX = re.compile(r"application/json")


def assert_json_4xx(response, *, allow_ok=False):
    allowed = range(200, 500) if allow_ok else range(400, 500)
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    assert JSON_4XX.match(response["Content-Type"])
    response.json()


class TestHostileInput:
    """Whatever arrives, the answer is a JSON 4xx, never a 500 or an HTML page."""

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer " + "A" * 100_000,
            "Bearer " + "rtp_" + "x" * 8_000,
            "Bearer rtp_\x00\x01\x02\x7f" + "a" * 34,
            "Bearer rtp_ééééééééééééééééééééééééééééééééééééééé",
            "Bearer \u202erevoked",
            "Bearer rtp_" + "\u0661" * 38,  # Arabic-Indic digits are digits to Python
            "Bearer\ttab",
            "Bearer\r\nX-Injected: yes",
            "Basic " + "=" * 5000,
            " " * 10_000,
        ],
        ids=[
            "huge",
            "long-token",
            "control",
            "non-ascii",
            "bidi",
            "unicode-digits",
            "tab",
            "crlf",
            "basic",
            "spaces",
        ],
    )
    def test_hostile_authorization_headers(self, client, header):
        response = client.get(PROVIDERS, headers={"Authorization": header})
        assert_json_4xx(response)
        assert response.status_code == 401

    @pytest.mark.parametrize(
        "query",
        [
            "page=99999999999999999999999999",
            "page=-1",
            "page=1e3",
            "page=%00",
            "page_size=-5",
            "page=%ff%fe",
            "page=\xff",  # a raw latin-1 byte, as a server hands it on
            "changed_since=%ff%fe",
            "changed_since=\x00",
            "changed_since=2026-01-01T00:00:00%2B99:00",
            "changed_since=" + "9" * 10_000,
            "changed_since=2026-01-01&changed_since=2026-02-01&changed_since=x",
        ],
    )
    def test_hostile_query_strings(self, api, query):
        response = api(PROVIDERS, QUERY_STRING=query)
        assert_json_4xx(response)
        assert response.status_code == 422

    @pytest.mark.parametrize("query", ["page[]=1", "%=%=%", "&&&", "x=%ff%fe", "=" * 5000])
    def test_unknown_parameters_are_ignored(self, api, query):
        make_provider(1)
        response = api(PROVIDERS, QUERY_STRING=query)
        assert response.status_code == 200
        assert response.json()["count"] == 1

    @pytest.mark.parametrize(
        "provider_id",
        [
            "-1",
            "0",
            "99999999999999999999999",
            "9223372036854775808",
            "1.5",
            "1e3",
            "abc",
            "%00",
            "%ff",
            "%E2%80%AE1",
            "%20",
        ],
    )
    def test_hostile_provider_ids(self, api, provider_id):
        response = api(f"{PROVIDERS}/{provider_id}")
        assert_json_4xx(response)
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/nope",
            "/api/v1/providers/1/extra",
            "/api/v1/providers/",
            "/api/v1/info/",
            "/api/v1/nope%0A",  # a line break, which Django's path converter does not match
            "/api/v1/providers/%2F%0A",
        ],
    )
    def test_paths_that_are_no_endpoint_answer_in_json(self, client, api, path):
        assert client.get(path).status_code == 401
        response = api(path)
        assert_json_4xx(response)
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "path", ["/api", "/api/", "/api/v1", "/api/v1/", "/api/v2/providers", "/api/v2/providers/"]
    )
    @pytest.mark.parametrize("method", ["get", "head", "post", "delete"])
    def test_paths_under_the_api_that_no_version_serves_answer_in_json(
        self, client, token, path, method
    ):
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            response = getattr(client, method)(path, headers=headers)
            # Neither an HTML page nor a redirect to one, for a POST without a CSRF token too.
            assert response.status_code == 404, (response.status_code, response.get("Location"))
            assert response["Content-Type"] == "application/json"
            if method != "head":
                assert response.json() == {"detail": "Not found."}

    def test_a_page_that_does_not_exist_outside_the_api_is_still_the_sites_html(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_the_largest_allowed_page_is_empty_not_an_error(self, api):
        make_provider(1)
        response = api(f"{PROVIDERS}?page=1000000&page_size=100")
        assert response.status_code == 200
        assert response.json() == {"items": [], "count": 1}

    def test_the_largest_id_is_a_404(self, api):
        response = api(f"{PROVIDERS}/{2**63 - 1}")
        assert response.status_code == 404


# Hypothesis runs many examples in one test (and one database transaction);
# each starts with empty rate-limit counters.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What a WSGI server can hand on: PEP 3333 strings hold latin-1 characters.
latin1_text = st.text(alphabet=st.characters(max_codepoint=255), max_size=300)


@FUZZ
@given(query=latin1_text)
def test_any_query_string_gets_a_json_answer(api, query):
    cache.clear()
    response = api(PROVIDERS, QUERY_STRING=query)
    assert_json_4xx(response, allow_ok=True)
    assert response.status_code in (200, 422)


@FUZZ
@given(
    changed_since=st.one_of(
        st.datetimes(
            timezones=st.one_of(
                st.none(),
                st.builds(
                    datetime.timezone,
                    st.timedeltas(
                        min_value=datetime.timedelta(hours=-23, minutes=-59),
                        max_value=datetime.timedelta(hours=23, minutes=59),
                    ),
                ),
            )
        ).map(datetime.datetime.isoformat),
        st.dates().map(datetime.date.isoformat),
        latin1_text,
    )
)
def test_any_changed_since_gets_a_json_answer(api, changed_since):
    cache.clear()
    response = api(PROVIDERS, data={"changed_since": changed_since})
    assert_json_4xx(response, allow_ok=True)
    assert response.status_code in (200, 422)


@FUZZ
@given(provider_id=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_any_provider_id_gets_a_json_answer(api, provider_id):
    cache.clear()
    response = api(f"{PROVIDERS}/{quote(provider_id, safe='')}")
    assert_json_4xx(response, allow_ok=True)
    assert response.status_code in (200, 404, 422)


@FUZZ
@given(header=st.one_of(latin1_text, latin1_text.map("Bearer {}".format)))
def test_any_authorization_header_is_refused_in_json(client, header):
    cache.clear()
    response = client.get(PROVIDERS, headers={"Authorization": header})
    assert_json_4xx(response)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")
