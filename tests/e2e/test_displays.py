"""Every page of the section, axe-clean in the dark theme, on a phone and at 200% zoom.

Each page state (errors included) is visited on each display and checked with
axe for serious and critical violations. On narrow displays the summary lists
stack and the token is never cut off.
"""

import datetime

import pytest
from playwright.sync_api import expect

from api_clients.dates import today
from api_clients.models import ApiClient, ApiClientDailyUsage, ApiClientUsage, RefusalReason
from api_clients.services import revoke_api_client

pytestmark = pytest.mark.django_db(transaction=True)

DISPLAYS = {
    "light": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"},
    # The admin's own Dark theme (the manager's account setting), on a light OS.
    "dark": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"},
    "phone": {"viewport": {"width": 375, "height": 812}, "color_scheme": "light"},
    # The OS setting, which the admin follows by default (its theme is "system").
    "dark-phone": {"viewport": {"width": 375, "height": 812}, "color_scheme": "dark"},
    # A 1280-pixel window at 200% zoom lays out like a 640-pixel one at twice the density.
    "zoom-200": {
        "viewport": {"width": 640, "height": 450},
        "device_scale_factor": 2,
        "color_scheme": "light",
    },
}
NARROW = {"phone", "dark-phone"}


@pytest.fixture(params=list(DISPLAYS))
def display(request):
    return request.param


@pytest.fixture
def context(browser, live_server, display):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        timezone_id="Europe/London",
        **DISPLAYS[display],
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def clients(people, make_user, make_client):
    """Clients in every status, over a page, some with usage and refusals."""
    owner, other = people["owner"], people["other"]
    made = {}
    for number in range(14):
        made[f"Bulk {number}"], _ = make_client(
            other, name=f"Partner feed {number + 1}", expiry_date=today() + datetime.timedelta(200)
        )
    made["active"], _ = make_client(
        owner, name="Placement matching service", expiry_date=today() + datetime.timedelta(12)
    )
    made["expired"], _ = make_client(owner, name="Old finance export")
    ApiClient.objects.filter(pk=made["expired"].pk).update(
        expiry_date=today() - datetime.timedelta(3)
    )
    made["revoked"], _ = make_client(owner, name="Leaky script")
    revoke_api_client(made["revoked"], user=people["manager"])
    leaver = make_user("leaver", group="API users", first_name="Sam", last_name="Leaver")
    made["owner_gone"], _ = make_client(leaver, name="Timetabling sync")
    leaver.is_active = False
    leaver.save()
    now = datetime.datetime.now(datetime.UTC)
    for hours, refusal, client in [
        (1, "", made["active"]),
        (2, RefusalReason.RATE_LIMITED, made["active"]),
        (3, RefusalReason.REVOKED, made["revoked"]),
        (5, RefusalReason.OWNER_INACTIVE, made["owner_gone"]),
    ]:
        ApiClientUsage.objects.create(
            client=client,
            requested_at=now - datetime.timedelta(hours=hours),
            method="GET",
            path="/api/v1/providers",
            status_code=401
            if refusal in {"revoked", "owner_inactive"}
            else 429
            if refusal
            else 200,
            duration_ms=4,
            refusal_reason=refusal,
        )
    # Past the rate limit, refusals are counted by day rather than recorded.
    ApiClientDailyUsage.objects.create(
        client=made["active"],
        date=today(),
        reason=RefusalReason.RATE_LIMITED,
        unrecorded=1_250,
    )
    made["manager"] = people["manager"]
    return made


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_every_page_of_the_section(page, display, clients, sign_in, axe, screenshot):
    checked = []

    def check(label):
        axe(page, f"{label} ({display})")
        checked.append(label)
        if display in NARROW:
            assert no_sideways_scroll(page), f"{label} scrolls sideways on a {display}"

    if display == "dark":
        from wagtail.users.models import UserProfile

        profile = UserProfile.get_for_user(clients["manager"])
        profile.theme = UserProfile.AdminColorThemes.DARK
        profile.save()
    sign_in("manager")
    page.goto("/admin/")
    if display in {"dark", "dark-phone"}:
        assert (
            page.evaluate(
                "getComputedStyle(document.body).getPropertyValue('color-scheme')"
                " || getComputedStyle(document.documentElement).colorScheme"
            )
            == "dark"
        )
    expect(page.locator("#api-clients-overview-section")).to_be_visible()
    check("the dashboard")
    if display == "dark":
        screenshot(page, "dashboard-dark")

    page.goto("/admin/api-clients/")
    expect(page.locator("td .w-status", has_text="Owner deactivated")).to_be_visible()
    check("the list")
    page.goto("/admin/api-clients/?p=2")
    check("the list's second page")
    page.goto("/admin/api-clients/?q=nothing-matches-this")
    check("a search with no results")
    page.goto("/admin/api-clients/?status=expiring_soon&ordering=-last_used_at")
    check("a filtered, sorted list")
    if display == "dark":
        page.goto("/admin/api-clients/")
        screenshot(page, "list-dark")

    page.goto("/admin/api-clients/new/")
    check("the add form")
    page.get_by_role("button", name="Continue").click()
    page.locator("[data-error-summary]").wait_for()
    check("the add form with errors")
    # The error summary's words and the field's message are read with the field.
    described = page.eval_on_selector(
        "#id_name",
        "el => el.getAttribute('aria-describedby').split(' ')"
        ".every(id => document.getElementById(id))",
    )
    assert described
    page.fill("#id_name", "Placement matching service for schools in the north west")
    expiry = today() + datetime.timedelta(40)
    page.fill("#id_expiry_date_day", str(expiry.day))
    page.fill("#id_expiry_date_month", str(expiry.month))
    page.fill("#id_expiry_date_year", str(expiry.year))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/new/check/")
    check("check your answers")
    if display in NARROW:
        # The summary list stacks: each value starts under its label, not beside it.
        row = page.locator(".api-clients-summary__row").first
        label_box = row.locator("dt").bounding_box()
        value_box = row.locator("dd").first.bounding_box()
        assert value_box["y"] >= label_box["y"] + label_box["height"] - 1
        assert abs(value_box["x"] - label_box["x"]) < 2
    page.get_by_role("button", name="Create API client").click()
    page.get_by_text("API client token created").first.wait_for()
    check("the token page")
    token_box = page.locator("#api-client-token")
    assert page.evaluate(
        "el => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight",
        token_box.element_handle(),
    ), "the token is cut off"
    # The panel and the token field under it are as wide as each other.
    panel_width = page.locator(".api-clients-panel").bounding_box()["width"]
    assert abs(panel_width - token_box.bounding_box()["width"]) < 2
    if display == "dark-phone":
        screenshot(page, "token-created-phone")

    active = clients["active"]
    page.goto(f"/admin/api-clients/inspect/{active.pk}/")
    check("the details page")
    if display == "phone":
        screenshot(page, "details-phone")
    page.goto(f"/admin/api-clients/inspect/{clients['owner_gone'].pk}/")
    check("an owner-deactivated client's page")
    page.goto(f"/admin/api-clients/inspect/{clients['revoked'].pk}/")
    check("a revoked client's page")
    page.goto(f"/admin/api-clients/rename/{active.pk}/")
    check("the rename form")
    page.fill("#id_name", " ")
    page.get_by_role("button", name="Continue").click()
    page.locator("[data-error-summary]").wait_for()
    check("the rename form with errors")
    page.goto(f"/admin/api-clients/renew/{active.pk}/")
    check("the renew form")
    page.get_by_role("button", name="Continue").click()
    page.locator("[data-error-summary]").wait_for()
    check("the renew form with errors")
    renewed = today() + datetime.timedelta(90)
    page.fill("#id_expiry_date_day", str(renewed.day))
    page.fill("#id_expiry_date_month", str(renewed.month))
    page.fill("#id_expiry_date_year", str(renewed.year))
    page.get_by_label("In 7 days").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check/")
    check("check your answers for a new token")
    page.get_by_role("button", name="Generate new token").click()
    page.get_by_text("New token created").first.wait_for()
    check("the new token page")
    page.goto(f"/admin/api-clients/inspect/{active.pk}/")
    check("a renewed client's page")
    page.goto(f"/admin/api-clients/revoke/{active.pk}/")
    check("the revoke confirmation")
    page.goto(f"/admin/api-clients/delete/{active.pk}/")
    check("the delete confirmation")
    page.goto(f"/admin/api-clients/history/{active.pk}/")
    check("the history")
    page.goto(f"/admin/api-clients/requests/{active.pk}/")
    check("the requests")
    page.goto("/admin/api-clients/refused-requests/")
    expect(page.get_by_text("Timetabling sync")).to_be_visible()
    expect(page.get_by_text("Counted, not listed")).to_be_visible()
    check("the refused requests")

    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    check("the API docs")
    # An operation opened, with its parameters and responses: the wide
    # responses table scrolls in its own box, the page does not.
    page.locator(".opblock-summary-control").nth(1).click()
    page.locator(".opblock-body .responses-table").first.wait_for()
    check("an operation in the API docs")

    assert len(checked) == 26
