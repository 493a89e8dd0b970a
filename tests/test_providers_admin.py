"""Staff edit training providers in the CMS as snippets; removing one soft-deletes it."""

import pytest
from django.urls import reverse
from helpers import bearer

from register.models import TrainingProvider

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_register_trainingprovider:list"
DELETE = "wagtailsnippets_register_trainingprovider:delete"
EDIT = "wagtailsnippets_register_trainingprovider:edit"


@pytest.fixture
def provider():
    return TrainingProvider.objects.create(
        operating_name="University of Lincoln",
        legal_name="University of Lincoln",
        provider_type="hei",
        code="1LN",
        ukprn="10007151",
        accreditation_status="accredited",
    )


@pytest.fixture
def api_headers(api_user, make_client):
    _, token = make_client(api_user)
    return bearer(token)


def test_deleting_a_provider_keeps_its_row_and_hides_it(client, superuser, provider, api_headers):
    client.force_login(superuser)
    assert client.get(reverse(DELETE, args=[provider.pk])).status_code == 200

    response = client.post(reverse(DELETE, args=[provider.pk]))

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.deleted_at is not None
    listing = client.get(reverse(LIST)).content.decode()
    assert reverse(EDIT, args=[provider.pk]) not in listing
    assert client.get(f"/api/v1/providers/{provider.pk}", headers=api_headers).status_code == 404
    assert client.get("/api/v1/providers", headers=api_headers).json()["count"] == 0


def test_editing_a_provider_moves_its_changed_time(client, superuser, provider, api_headers):
    before = provider.updated_at
    client.force_login(superuser)
    page = client.get(reverse(EDIT, args=[provider.pk]))
    assert page.status_code == 200

    response = client.post(
        reverse(EDIT, args=[provider.pk]),
        {
            "operating_name": "Lincoln University",
            "legal_name": "University of Lincoln",
            "provider_type": "hei",
            "code": "1LN",
            "ukprn": "10007151",
            "urn": "",
            "accreditation_status": "accredited",
        },
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.operating_name == "Lincoln University"
    assert provider.updated_at > before
    changed = client.get(
        "/api/v1/providers", {"changed_since": provider.updated_at.isoformat()}, headers=api_headers
    ).json()
    assert [item["operating_name"] for item in changed["items"]] == ["Lincoln University"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ukprn", "1234", "Enter 8 digits starting with 1"),
        ("code", "1l", "Enter 3 letters or digits, like 1TZ"),
        ("urn", "12", "Enter 5 or 6 digits"),
    ],
)
def test_bad_provider_details_get_a_message_and_change_nothing(
    client, superuser, provider, field, value, message
):
    client.force_login(superuser)
    data = {
        "operating_name": "Changed",
        "legal_name": "",
        "provider_type": "hei",
        "code": "1LN",
        "ukprn": "10007151",
        "urn": "",
        "accreditation_status": "accredited",
        field: value,
    }

    response = client.post(reverse(EDIT, args=[provider.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    provider.refresh_from_db()
    assert provider.operating_name == "University of Lincoln"


def test_api_users_cannot_reach_providers_in_the_admin(client, api_user, provider):
    client.force_login(api_user)
    for url in (
        reverse(LIST),
        reverse(EDIT, args=[provider.pk]),
        reverse(DELETE, args=[provider.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/")
    response = client.post(reverse(DELETE, args=[provider.pk]))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.deleted_at is None
