"""Refusals and missing pages answer in the admin's look, never Django's bare pages."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_another_users_client_is_an_admin_404_page(client, api_user, other_api_user, make_client):
    theirs, _ = make_client(other_api_user, name="Someone else's system")
    client.force_login(api_user)

    response = client.get(f"/admin/api-clients/inspect/{theirs.pk}/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "Error 404" in body
    assert "Someone else&#x27;s system" not in body and "Someone else's system" not in body


def test_a_post_without_csrf_token_is_an_admin_403_page(api_user, make_client):
    own, _ = make_client(api_user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(api_user)

    response = browser.post(f"/admin/api-clients/revoke/{own.pk}/")

    assert response.status_code == 403
    body = response.content.decode()
    assert re.search(r"<title>\s*Error 403: Forbidden", body)
    assert "You do not have permission to do that." in body
    own.refresh_from_db()
    assert own.revoked_at is None


@pytest.mark.parametrize("suffix", ["history/", "history-results/"])
def test_a_history_filter_with_a_huge_user_id_is_no_error(client, api_user, make_client, suffix):
    own, _ = make_client(api_user)
    client.force_login(api_user)

    response = client.get(f"/admin/api-clients/{suffix}{own.pk}/", {"user": "9" * 30})

    assert response.status_code == 200
