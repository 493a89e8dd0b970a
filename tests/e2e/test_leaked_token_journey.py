"""A token found in public, in a real browser: GitHub reports it, its owner sees why."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.secret_scanning_helpers import ENDPOINT, SigningKey, keys_document

pytestmark = pytest.mark.django_db(transaction=True)

LEAK_URL = "https://github.com/someone/project/blob/abc123/settings.py"


def test_github_reports_a_token_and_its_owner_sees_why_it_was_revoked(
    page, live_server, people, sign_in, screenshot, axe, make_client, settings, tmp_path
):
    key = SigningKey("github-key")
    keys = tmp_path / "keys.json"
    keys.write_bytes(keys_document(key.entry()))
    settings.API_CLIENTS = {**settings.API_CLIENTS, "SECRET_SCANNING_KEYS": str(keys)}
    api_client, token = make_client(people["owner"], name="Student records system")
    body = json.dumps([{"token": token, "type": "rtp", "url": LEAK_URL, "source": "content"}])
    request = urllib.request.Request(
        f"{live_server.url}{ENDPOINT}",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": key.identifier,
            "Github-Public-Key-Signature": key.sign(body.encode()),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
        assert json.loads(response.read())[0]["label"] == "true_positive"

    sign_in("owner")
    page.goto(f"/admin/api-clients/inspect/{api_client.pk}/")

    heading = page.locator("#page-heading")
    expect(heading).to_contain_text("Revoked")
    expect(heading).to_contain_text(f"Token found in public at {LEAK_URL}")
    expect(heading.get_by_role("link", name=LEAK_URL)).to_have_attribute("href", LEAK_URL)
    expect(page.get_by_role("link", name="Revoke API client")).to_have_count(0)
    assert "{#" not in page.locator("main").inner_text()  # no template comment leaks out
    screenshot(page, "revoked-leaked-details")
    axe(page, "the details of a client revoked for a leaked token")
