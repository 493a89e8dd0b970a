import pytest

pytestmark = pytest.mark.django_db


def test_a_token_reads_the_register(client, api_user, make_client):
    _, token = make_client(api_user)
    response = client.get("/api/v1/info", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["client_name"] == "Student records system"
