"""What a person does in the API clients section, in a real browser."""

import datetime
import json
import re
import urllib.error
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from api_clients.dates import add_months, today
from api_clients.models import ApiClient, ApiClientUsage, RefusalReason

pytestmark = pytest.mark.django_db(transaction=True)


def call_api(live_server, token):
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/providers", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def fill_date(page, date):
    page.fill("#id_expiry_date_day", str(date.day))
    page.fill("#id_expiry_date_month", str(date.month))
    page.fill("#id_expiry_date_year", str(date.year))


def test_manager_journey(page, live_server, people, sign_in, screenshot, axe, make_client):
    make_client(people["owner"], name="Student records system")
    make_client(people["other"], name="Apply for teacher training")
    sign_in("manager")

    page.get_by_role("link", name="API clients").first.click()
    page.wait_for_url("**/admin/api-clients/")
    expect(page.locator("h1")).to_have_text("API clients")
    # Managers see who created each.
    expect(page.locator("#listing-results").get_by_text("Priya Patel")).to_be_visible()
    screenshot(page, "list")
    axe(page, "the list")

    page.get_by_role("link", name="Add API client").click()
    expect(page.get_by_text("Must be within the next 12 months. For example,")).to_be_visible()
    screenshot(page, "add-form")
    axe(page, "the add form")

    next_year = today().year + 1
    page.fill("#id_expiry_date_day", "31")
    page.fill("#id_expiry_date_month", "4")
    page.fill("#id_expiry_date_year", str(next_year))
    page.get_by_role("button", name="Continue").click()
    # The title changes once the answer to the POST has loaded; wait for it.
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("[data-error-summary]")
    assert "Enter client name" in summary.inner_text()
    assert "Expiry date must be a real date" in summary.inner_text()
    screenshot(page, "add-form-errors")
    axe(page, "the add form with errors")

    expiry = add_months(today(), 6)
    page.fill("#id_name", "Placement service")
    fill_date(page, expiry)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/new/check/")
    expect(page.get_by_text("Placement service")).to_be_visible()
    axe(page, "check your answers")

    # Change the name from the check page, then come back to it.
    page.get_by_role("link", name="Change client name").click()
    expect(page.locator("#id_name")).to_have_value("Placement service")
    expect(page.locator("#id_expiry_date_day")).to_have_value(str(expiry.day))
    page.fill("#id_name", "Placement matching service")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/new/check/")
    expect(page.get_by_text("Placement matching service")).to_be_visible()
    expect(
        page.get_by_text("An authentication token will be created and shown once on the next page.")
    ).to_be_visible()
    screenshot(page, "check-answers")

    page.get_by_role("button", name="Create API client").click()
    page.get_by_text("API client token created").first.wait_for()
    token = page.input_value("#api-client-token")
    assert re.fullmatch(r"rtp_[0-9A-Za-z]{38}", token)
    font = page.eval_on_selector("#api-client-token", "el => getComputedStyle(el).fontFamily")
    assert "mono" in font.lower()
    screenshot(page, "token-created")
    axe(page, "the token page")

    page.get_by_role("button", name="Copy token").click()
    page.get_by_text("Token copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token

    status, body = call_api(live_server, token)
    assert status == 200 and body["count"] == 0

    page.get_by_role("link", name="Back to API clients").click()
    page.get_by_role("link", name="Placement matching service").click()
    # The API call above is recorded.
    expect(page.locator(".api-clients-summary__row", has_text="Last used")).not_to_contain_text(
        "Never"
    )
    screenshot(page, "details")
    axe(page, "the details page")

    page.get_by_role("link", name="Change client name").click()
    expect(page.locator("h1#page-heading")).to_have_text("Change client name")
    screenshot(page, "rename-form")
    axe(page, "the rename form")
    page.fill("#id_name", "Placement matching")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save API client").click()
    page.get_by_text("API client updated").wait_for()
    expect(page.locator("h1#page-heading")).to_contain_text("Placement matching")

    page.get_by_role("link", name="Revoke API client").click()
    expect(page.get_by_text("Revoking an API client cannot be undone.")).to_be_visible()
    screenshot(page, "revoke-confirm")
    axe(page, "the revoke confirmation")
    page.get_by_role("button", name="Revoke API client").click()
    page.get_by_text("API client revoked").wait_for()
    expect(page.locator("h1#page-heading").get_by_text("Revoked")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)
    screenshot(page, "revoked-details")
    axe(page, "the revoked details page")

    status, body = call_api(live_server, token)
    assert status == 401

    page.get_by_role("link", name="Delete API client").click()
    expect(page.get_by_text("Deleting an API client cannot be undone.")).to_be_visible()
    screenshot(page, "delete-confirm")
    axe(page, "the delete confirmation")
    page.get_by_role("button", name="Delete API client").click()
    page.get_by_text("API client deleted").wait_for()
    expect(page.get_by_role("link", name="Placement matching")).to_have_count(0)
    screenshot(page, "list-after-delete")
    assert ApiClient.objects.filter(name="Placement matching", deleted_at__isnull=False).exists()


def test_empty_list(page, people, sign_in, screenshot, axe):
    sign_in("manager")
    page.goto("/admin/api-clients/")
    expect(page.get_by_text("There are no API clients.")).to_be_visible()
    screenshot(page, "list-empty")
    axe(page, "the empty list")


def test_api_only_user_journey(page, people, sign_in, screenshot, axe, make_client):
    own, _ = make_client(people["owner"], name="Student records system")
    theirs, _ = make_client(people["other"], name="Apply for teacher training")
    sign_in("owner")

    # The dashboard sends them to their list.
    page.wait_for_url("**/admin/api-clients/")
    expect(page.get_by_role("link", name="Student records system")).to_be_visible()
    expect(page.get_by_text("Apply for teacher training")).to_have_count(0)
    # Their menu: "API clients" and nothing else; their account stays in the footer.
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link")).to_have_count(1)
    expect(menu.get_by_role("link", name="API clients")).to_be_visible()
    expect(menu.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name="Priya")).to_be_visible()
    screenshot(page, "api-user-list")
    axe(page, "the API user's list")

    # Another user's client: a refusal, and none of its data.
    response = page.goto(f"/admin/api-clients/inspect/{theirs.pk}/")
    assert response.status == 404
    assert "Apply for teacher training" not in page.content()

    # Another admin area: refused.
    page.goto("/admin/pages/")
    page.get_by_text("Sorry, you do not have permission to access this area.").wait_for()
    assert "/admin/pages/" not in page.url

    page.goto(f"/admin/api-clients/inspect/{own.pk}/")
    expect(page.locator("h1#page-heading")).to_contain_text("Student records system")


def tab_to(page, predicate, *, backwards=False, limit=80):
    """Press Tab (or Shift+Tab) until the focused element matches; return it."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(predicate):
            return
    raise AssertionError(f"could not reach {predicate} with {key}")


def focus_is_visible(page):
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return el.matches(':focus-visible') &&
                ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
                 style.boxShadow !== 'none');
        }"""
    )


def test_keyboard_only_add_flow(page, people, sign_in, until):
    sign_in("owner")
    page.goto("/admin/api-clients/")

    tab_to(page, "() => document.activeElement.textContent.trim() === 'Add API client'")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/new/")

    # Submit with nothing: the error summary takes focus.
    tab_to(page, "() => document.activeElement.id === 'id_name'")
    page.keyboard.press("Enter")
    until(page, "() => document.activeElement.hasAttribute('data-error-summary')")
    assert "Enter client name" in page.evaluate("document.activeElement.innerText")

    tab_to(page, "() => document.activeElement.id === 'id_name'")
    assert focus_is_visible(page)
    page.keyboard.type("Keyboard client")
    expiry = add_months(today(), 3)
    for box, value in (("day", expiry.day), ("month", expiry.month), ("year", expiry.year)):
        tab_to(page, f"() => document.activeElement.id === 'id_expiry_date_{box}'")
        page.keyboard.type(str(value))
    # Back to the name with Shift+Tab, to check the order runs both ways.
    tab_to(page, "() => document.activeElement.id === 'id_name'", backwards=True)
    tab_to(page, "() => document.activeElement.textContent.trim() === 'Continue'")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/new/check/")

    tab_to(page, "() => document.activeElement.textContent.trim() === 'Create API client'")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.get_by_text("API client token created").first.wait_for()
    assert page.input_value("#api-client-token").startswith("rtp_")
    tab_to(page, "() => document.activeElement.textContent.trim() === 'Copy token'")
    assert focus_is_visible(page)
    assert ApiClient.objects.filter(name="Keyboard client").count() == 1


def test_back_and_reload_never_show_the_token_again(page, people, sign_in):
    sign_in("owner")
    page.goto("/admin/api-clients/new/")
    page.fill("#id_name", "Once only")
    fill_date(page, today() + datetime.timedelta(days=30))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Create API client").click()
    token = page.input_value("#api-client-token")

    page.on("dialog", lambda dialog: dialog.accept())  # "Confirm form resubmission"
    page.reload()
    page.wait_for_load_state()
    assert token not in page.content()
    expect(page.get_by_text("This API client has already been created.")).to_be_visible()

    page.go_back()
    page.wait_for_load_state()
    assert token not in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert token not in page.content()
    assert ApiClient.objects.filter(name="Once only").count() == 1


def test_a_manager_finds_clients_from_the_dashboard(
    page, people, sign_in, screenshot, axe, make_client, make_user
):
    for number in range(14):
        make_client(
            people["other"],
            name=f"Partner feed {number + 1}",
            expiry_date=today() + datetime.timedelta(days=200),
        )
    soon, _ = make_client(
        people["owner"], name="Student records system", expiry_date=today() + datetime.timedelta(9)
    )
    expired, _ = make_client(people["owner"], name="Old finance export")
    ApiClient.objects.filter(pk=expired.pk).update(expiry_date=today() - datetime.timedelta(2))
    leaver = make_user("leaver", group="API users", first_name="Sam", last_name="Leaver")
    make_client(leaver, name="Timetabling sync")
    leaver.is_active = False
    leaver.save()
    ApiClientUsage.objects.create(
        client=expired,
        requested_at=timezone.now() - datetime.timedelta(hours=2),
        method="GET",
        path="/api/v1/providers",
        status_code=401,
        duration_ms=3,
        refusal_reason=RefusalReason.EXPIRED,
    )
    sign_in("manager")

    page.goto("/admin/")
    panel = page.locator("#api-clients-overview-section")
    expect(panel.get_by_role("link", name="15 Active clients")).to_be_visible()
    expect(
        panel.get_by_role("link", name="1 Refused requests in the last 24 hours")
    ).to_be_visible()
    screenshot(page, "dashboard")

    panel.get_by_role("link", name="1 Expiring within 30 days").click()
    expect(page.get_by_role("link", name="Student records system")).to_be_visible()
    expect(page.get_by_text("Expires in 9 days")).to_be_visible()
    expect(page.locator("#listing-results tbody tr")).to_have_count(1)

    # The dashboard's search box finds clients by their owner's name.
    page.goto("/admin/")
    page.get_by_placeholder("Search API clients…").fill("Leaver")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/api-clients/?q=Leaver")
    expect(page.get_by_role("link", name="Timetabling sync")).to_be_visible()
    expect(page.locator("#listing-results tbody tr")).to_have_count(1)

    page.goto("/admin/api-clients/")
    statuses = [
        s.strip() for s in page.locator("#listing-results td .w-status").all_text_contents()
    ]
    assert {"Active", "Expired", "Owner deactivated"} <= set(statuses)
    expect(page.get_by_role("navigation", name="Pagination")).to_be_visible()
    screenshot(page, "list-statuses", height=1500)
    axe(page, "the list with every status")

    page.get_by_role("link", name="Last used").click()
    page.wait_for_url("**ordering=last_used_at**")
    axe(page, "the list sorted by last use")


def call_client_endpoint(live_server, token):
    """GET /api/v1/client with a token: (status, body, the expiry header)."""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/client", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
            return (
                response.status,
                json.loads(response.read()),
                response.headers.get("API-Client-Token-Expires"),
            )
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("API-Client-Token-Expires")


def test_renewal_journey(page, live_server, people, sign_in, screenshot, axe, make_client):
    """An owner generates a new token; the old one keeps working for the chosen overlap."""
    api_client, old_token = make_client(
        people["owner"],
        name="Student records system",
        expiry_date=today() + datetime.timedelta(days=12),
    )
    sign_in("owner")
    page.goto(f"/admin/api-clients/inspect/{api_client.pk}/")

    page.get_by_role("link", name="Generate new token").click()
    expect(page.locator("h1#page-heading")).to_have_text("Generate a new token")
    expect(page.get_by_text("When should the current token stop working?")).to_be_visible()
    screenshot(page, "renew-form")
    axe(page, "the renew form")

    # Nothing chosen, and an impossible date: both messages, at the fields and above.
    page.fill("#id_expiry_date_day", "30")
    page.fill("#id_expiry_date_month", "2")
    page.fill("#id_expiry_date_year", str(today().year + 1))
    page.get_by_role("button", name="Continue").click()
    # The title changes once the answer to the POST has loaded; wait for it.
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("[data-error-summary]")
    assert "Expiry date must be a real date" in summary.inner_text()
    assert "Select when the current token should stop working" in summary.inner_text()
    axe(page, "the renew form with errors")
    page.get_by_role("link", name="Select when the current token should stop working").click()
    expect(page.locator("#id_overlap_0")).to_be_focused()

    new_expiry = add_months(today(), 9)
    fill_date(page, new_expiry)
    page.get_by_label("In 24 hours").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check/")
    expect(page.get_by_text("In 24 hours")).to_be_visible()
    expect(
        page.get_by_text("A new token will be created and shown once on the next page.")
    ).to_be_visible()
    screenshot(page, "renew-check-answers")
    axe(page, "check your answers for a new token")

    # Change when the current token stops, then come back.
    page.get_by_role("link", name="Change when the current token stops working").click()
    expect(page.get_by_label("In 24 hours")).to_be_checked()
    page.get_by_label("In 7 days").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check/")
    expect(page.get_by_text("In 7 days")).to_be_visible()

    page.get_by_role("button", name="Generate new token").click()
    page.get_by_text("New token created").first.wait_for()
    token = page.input_value("#api-client-token")
    assert re.fullmatch(r"rtp_[0-9A-Za-z]{38}", token)
    expect(page.get_by_text("The previous token stops working on")).to_be_visible()
    screenshot(page, "renew-token-created")
    axe(page, "the new token page")

    page.get_by_role("button", name="Copy token").click()
    page.get_by_text("Token copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token

    # Both work, each saying when it stops.
    status, body, header = call_client_endpoint(live_server, token)
    assert (status, body["token"], body["expiry_date"]) == (200, "current", new_expiry.isoformat())
    assert header == body["expires_at"]
    status, body, header = call_client_endpoint(live_server, old_token)
    assert (status, body["token"]) == (200, "previous")
    assert header == body["expires_at"]

    # Back: the token is not shown again, and nothing is renewed twice.
    page.go_back()
    page.wait_for_load_state("load")
    assert token not in page.content()
    page.goto(f"/admin/api-clients/inspect/{api_client.pk}/")
    expect(page.locator(".api-clients-summary__row", has_text="Previous token")).to_contain_text(
        "works until"
    )
    screenshot(page, "renewed-details")
    axe(page, "the details page of a renewed client")
    assert ApiClient.objects.get().expiry_date == new_expiry


def test_api_docs_render_under_the_content_security_policy(page, live_server):
    """The interactive docs load their own scripts and styles, and nothing is refused."""
    response = page.goto("/api/v1/docs")
    assert "Content-Security-Policy" in {name.title() for name in response.headers}
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Register of training providers API"
    )
    expect(page.locator(".opblock-summary-path").first).to_be_visible()


def test_admin_sign_in_is_refused_after_five_failures(page, people):
    page.goto("/admin/login/")
    for _ in range(5):
        page.fill("#id_username", "manager")
        page.fill("#id_password", "not-the-password")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")

    page.fill("#id_username", "manager")
    page.fill("#id_password", "password-123!")
    page.click("button[type=submit]")

    expect(
        page.get_by_text("Too many failed sign-in attempts. Try again in 15 minutes.")
    ).to_be_visible()
    assert "/admin/login/" in page.url
