"""Generating a new token over HTTP: the three steps, their texts and the one-time rules.

The same rules as adding a client: the token is in one uncacheable response
only, and reloading, going back or posting the last step again never shows it
again nor renews twice.
"""

import contextlib
import copy
import datetime
import logging
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from helpers import (
    INDEX_URL,
    SITE_HISTORY_URL,
    add_data,
    assert_kept_nowhere,
    between_message,
    buttons,
    caption,
    error_summary,
    expire,
    field_error,
    heading,
    hidden_value,
    in_days,
    links,
    main_text,
    messages,
    page_title,
    soup,
    summary,
    table_rows,
    text_of,
    unreadable_drafts,
    url,
)
from test_admin_add import (
    TOKEN_PATTERN,
    token_on,
)

from api_clients.dates import format_date, format_time
from api_clients.models import ApiClient, ApiClientLogEntry
from api_clients.services import renew_api_client, revoke_api_client

pytestmark = pytest.mark.django_db

ALREADY_RENEWED = (
    "A new token has already been generated for this API client. It cannot be shown again."
)
ONLY_ACTIVE = "Only active API clients can be changed."
INFO = "/api/v1/info"


def renew_data(expiry_date=None, overlap="24h", **parts):
    data = add_data(expiry_date=expiry_date or in_days(200), **parts)
    data.pop("name")
    if overlap is not None:
        data["overlap"] = overlap
    return data


def start(client, api_client, **data):
    """Step 1, answered: returns the check page."""
    response = client.post(url("renew", api_client), renew_data(**data))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url("renew_check", api_client)
    return client.get(url("renew_check", api_client))


def renew(client, api_client, **data):
    """Steps 1 and 2: returns (check page, token page)."""
    check = start(client, api_client, **data)
    return check, client.post(
        url("renew_check", api_client), {"submission": hidden_value(check, "submission")}
    )


def works(token):
    return Client().get(INFO, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.fixture
def mine(api_user, make_client):
    """An active client of the API user, with its token: (client, token)."""
    return make_client(api_user, name="Student records system", expiry_date=in_days(20))


@pytest.fixture
def owner_browser(client, api_user):
    client.force_login(api_user)
    return client


class TestTheDetailsPage:
    def test_an_active_client_has_the_button(self, owner_browser, mine):
        page = owner_browser.get(url("inspect", mine[0]))
        assert links(page, "Generate new token") == [url("renew", mine[0])]

    @pytest.mark.parametrize("state", ["expired", "revoked"])
    def test_others_do_not(self, owner_browser, mine, api_user, state):
        api_client = mine[0]
        if state == "expired":
            expire(api_client)
        else:
            revoke_api_client(api_client, user=api_user)
        page = owner_browser.get(url("inspect", api_client))
        assert links(page, "Generate new token") == []
        # Nor does any route lead there: the rename flow's answer.
        response = owner_browser.get(url("renew", api_client), follow=True)
        assert messages(response) == [("error", ONLY_ACTIVE)]

    def test_a_viewer_does_not_see_it(self, client, make_user, mine):
        from django.contrib.auth.models import Permission

        viewer = make_user("viewer")
        viewer.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_apiclient"),
        )
        client.force_login(viewer)
        assert links(client.get(url("inspect", mine[0])), "Generate new token") == []

    def test_the_previous_token_row_while_it_works(self, owner_browser, mine, api_user):
        api_client, _ = mine
        assert "Previous token" not in summary(owner_browser.get(url("inspect", api_client)))
        renewed, _ = renew_api_client(
            api_client, expiry_date=in_days(100), overlap="1h", user=api_user
        )

        rows = summary(owner_browser.get(url("inspect", api_client)))
        assert rows["Previous token"][0] == (
            f"works until {format_time(renewed.previous_token_expires_at)}"
        )
        assert rows["Expiry date"][0] == format_date(in_days(100))
        revoke_api_client(renewed, user=api_user)
        assert "Previous token" not in summary(owner_browser.get(url("inspect", api_client)))

    def test_requests_with_the_previous_token_say_so(self, owner_browser, mine, api_user):
        api_client, old_token = mine
        _, new_token = renew_api_client(
            api_client, expiry_date=in_days(100), overlap="1h", user=api_user
        )
        assert works(old_token) and works(new_token)

        rows = table_rows(owner_browser.get(url("requests", api_client)), "main table.listing")
        statuses = [row[3] for row in rows]
        assert statuses == ["200", "200 (previous token)"]

    def test_no_row_once_the_previous_token_has_stopped(self, owner_browser, mine, api_user):
        renew_api_client(mine[0], expiry_date=in_days(100), overlap="0", user=api_user)
        assert "Previous token" not in summary(owner_browser.get(url("inspect", mine[0])))


class TestStepOne:
    def test_the_form_and_its_texts(self, owner_browser, mine):
        api_client = mine[0]
        response = owner_browser.get(url("renew", api_client))

        assert response.status_code == 200
        assert page_title(response) == "Generate a new token"
        assert heading(response) == "Generate a new token"
        assert caption(response) == "Student records system"
        page = soup(response)
        fieldset = page.select_one("fieldset.api-clients-date")
        assert text_of(fieldset.legend).replace(" *", "") == "Expiry date"
        assert [text_of(label) for label in fieldset.select("label")] == ["Day", "Month", "Year"]
        hint = text_of(page.select_one("#id_expiry_date-helptext"))
        assert re.fullmatch(
            r"Must be within the next 12 months\. For example, \d{1,2} \d{1,2} \d{4}", hint
        )
        radios = page.select_one("fieldset.api-clients-radios")
        assert (
            text_of(radios.legend).replace(" *", "")
            == "When should the current token stop working?"
        )
        assert [text_of(label) for label in radios.select("label")] == [
            "Straight away",
            "In 1 hour",
            "In 24 hours",
            "In 7 days",
        ]
        assert [text_of(b) for b in page.select("main form button")] == ["Continue"]
        assert links(response, "Cancel") == [url("inspect", api_client)]

    def test_no_choice_gets_the_message(self, owner_browser, mine):
        response = owner_browser.post(url("renew", mine[0]), renew_data(overlap=None))

        assert response.status_code == 200
        assert page_title(response) == "Error: Generate a new token"
        message = "Select when the current token should stop working"
        assert field_error(response, "id_overlap_0") == message or message in text_of(
            soup(response).select_one("fieldset.api-clients-radios")
        )
        assert error_summary(response) == [(message, "#id_overlap_0")]

    @pytest.mark.parametrize("overlap", ["2d", "", "0; DROP TABLE", "7D"])
    def test_a_choice_not_offered_gets_the_message(self, owner_browser, mine, overlap):
        response = owner_browser.post(url("renew", mine[0]), renew_data(overlap=overlap))
        assert response.status_code == 200
        assert error_summary(response) == [
            ("Select when the current token should stop working", "#id_overlap_0")
        ]

    @pytest.mark.parametrize(
        ("parts", "message"),
        [
            ({"day": "", "month": "", "year": ""}, "Enter expiry date"),
            ({"day": ""}, "Expiry date must include a day"),
            ({"month": "", "year": ""}, "Expiry date must include a month and year"),
            ({"year": "27"}, "Year must include 4 numbers"),
            ({"day": "31", "month": "4"}, "Expiry date must be a real date"),
            ({"month": "13"}, "Expiry date must be a real date"),
            ({"day": "x"}, "Expiry date must be a real date"),
        ],
    )
    def test_the_add_flows_date_messages(self, owner_browser, mine, parts, message):
        response = owner_browser.post(url("renew", mine[0]), renew_data(**parts))

        assert response.status_code == 200
        assert field_error(response, "id_expiry_date") == message
        assert error_summary(response)[0][0] == message
        assert ApiClient.objects.get().expiry_date == in_days(20)

    @pytest.mark.parametrize("days", [-1, 400])
    def test_dates_out_of_range(self, owner_browser, mine, days):
        response = owner_browser.post(url("renew", mine[0]), renew_data(expiry_date=in_days(days)))
        assert field_error(response, "id_expiry_date") == between_message()

    def test_month_names_are_accepted(self, owner_browser, mine):
        when = in_days(100)
        response = owner_browser.post(
            url("renew", mine[0]),
            renew_data(expiry_date=when, month=f" {when.strftime('%b').lower()} "),
            follow=True,
        )
        assert summary(response)["New expiry date"][0] == format_date(when)

    @pytest.mark.parametrize(
        "data",
        [
            {},
            {"expiry_date_day": ["1", "2"], "overlap": ["0", "7d"]},
            {"overlap": "\x00", "expiry_date_year": "9" * 500},
        ],
    )
    def test_any_input_gets_a_page_not_an_error(self, owner_browser, mine, data):
        response = owner_browser.post(url("renew", mine[0]), data)
        assert response.status_code in (200, 302)


class TestCheckYourAnswers:
    def test_the_page_and_its_texts(self, owner_browser, mine):
        api_client = mine[0]
        check = start(owner_browser, api_client, expiry_date=in_days(150), overlap="1h")

        assert page_title(check) == "Check your answers"
        assert caption(check) == "Generate a new token"
        rows = summary(check)
        assert list(rows) == ["Client name", "New expiry date", "Current token stops working"]
        assert rows["Client name"][0] == "Student records system"
        assert rows["Client name"][1].find("a") is None
        assert rows["New expiry date"][0] == format_date(in_days(150))
        assert rows["Current token stops working"][0] == "In 1 hour"
        for label, change in (
            ("New expiry date", "Change new expiry date"),
            ("Current token stops working", "Change when the current token stops working"),
        ):
            assert text_of(rows[label][1].find("a")) == change
        assert "A new token will be created and shown once on the next page." in main_text(check)
        [button] = buttons(check, "Generate new token")
        assert button.find_parent("form")["action"] == url("renew_check", api_client)
        assert links(check, "Cancel") == [url("inspect", api_client)]

    def test_a_choice_past_the_expiry_date_says_so(self, owner_browser, api_user, make_client):
        api_client, _ = make_client(api_user, name="Soon", expiry_date=in_days(2))
        check = start(owner_browser, api_client, overlap="7d")
        assert summary(check)["Current token stops working"][0] == (
            f"In 7 days, but no later than the end of {format_date(in_days(2))}, when it expires"
        )

    def test_a_new_expiry_date_sooner_than_the_choice_cuts_it_short_too(
        self, owner_browser, api_user, make_client
    ):
        from api_clients.lifecycle import token_expires_at

        api_client, _ = make_client(api_user, name="Later", expiry_date=in_days(100))
        check, done = renew(owner_browser, api_client, expiry_date=in_days(0), overlap="7d")

        # Both tokens stop when the client expires, at the end of its new date.
        assert summary(check)["Current token stops working"][0] == (
            f"In 7 days, but no later than the end of {format_date(in_days(0))}, when it expires"
        )
        assert done.status_code == 200
        renewed = ApiClient.objects.get(pk=api_client.pk)
        assert renewed.previous_token_expires_at == token_expires_at(in_days(0))
        assert format_time(renewed.previous_token_expires_at) in main_text(done)

    @pytest.mark.parametrize(
        ("row", "anchor"),
        [
            ("New expiry date", "#id_expiry_date_day"),
            ("Current token stops working", "#id_overlap_0"),
        ],
    )
    def test_change_goes_back_with_the_answers_then_back_here(
        self, owner_browser, mine, row, anchor
    ):
        api_client = mine[0]
        when = in_days(150)
        check = start(owner_browser, api_client, expiry_date=when, overlap="7d")
        change_url = summary(check)[row][1].find("a")["href"]
        assert change_url.endswith(anchor)

        form_page = owner_browser.get(change_url)
        page = soup(form_page)
        assert page.select_one("#id_expiry_date_day")["value"] == str(when.day)
        assert page.select_one("input[name=overlap][value='7d']").has_attr("checked")

        again = owner_browser.post(
            url("renew", api_client), renew_data(expiry_date=in_days(160), overlap="0"), follow=True
        )
        assert summary(again)["New expiry date"][0] == format_date(in_days(160))
        assert summary(again)["Current token stops working"][0] == "Straight away"
        assert ApiClient.objects.get().expiry_date == in_days(20)

    def test_without_answers_it_goes_to_step_one(self, owner_browser, mine):
        api_client = mine[0]
        assert owner_browser.get(url("renew_check", api_client))["Location"] == url(
            "renew", api_client
        )
        response = owner_browser.post(url("renew_check", api_client), {"submission": "x"})
        assert response["Location"] == url("renew", api_client)

    def test_a_stale_page_asks_to_check_again(self, owner_browser, mine):
        api_client = mine[0]
        stale = hidden_value(start(owner_browser, api_client), "submission")
        start(owner_browser, api_client, overlap="7d")
        response = owner_browser.post(
            url("renew_check", api_client), {"submission": stale}, follow=True
        )
        assert messages(response) == [("warning", "Check your answers again before you continue.")]
        assert ApiClient.objects.get().previous_token_digest is None

    def test_a_date_gone_stale_is_checked_again(self, owner_browser, mine):
        api_client = mine[0]
        check = start(owner_browser, api_client, expiry_date=in_days(0))
        later = timezone.now() + datetime.timedelta(days=1)
        from unittest import mock

        with mock.patch("django.utils.timezone.now", return_value=later):
            response = owner_browser.post(
                url("renew_check", api_client), {"submission": hidden_value(check, "submission")}
            )
        assert response.status_code == 200
        assert page_title(response) == "Error: Generate a new token"
        assert field_error(response, "id_expiry_date").startswith("Expiry date must be between")
        assert ApiClient.objects.get().previous_token_digest is None


class TestTokenPage:
    def test_the_page_and_its_texts(self, owner_browser, mine):
        api_client, old_token = mine
        _, response = renew(owner_browser, api_client, overlap="24h")

        assert response.status_code == 200
        assert page_title(response) == "New token created"
        panel = soup(response).select_one(".api-clients-panel")
        assert text_of(panel.find("h1")) == "New token created"
        assert "Student records system" in text_of(panel)
        token = token_on(response)
        assert TOKEN_PATTERN.fullmatch(token)
        assert token != old_token
        [copy_button] = buttons(response, "Copy token")
        assert copy_button["data-action"] == "w-clipboard#copy"
        text = main_text(response)
        assert "Copy this token now. For security, it cannot be viewed again." in text
        renewed = ApiClient.objects.get()
        assert (
            f"The previous token stops working on {format_time(renewed.previous_token_expires_at)}."
            in text
        )
        assert links(response, "Back to API clients") == [INDEX_URL]
        assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
        assert works(token) and works(old_token)

    def test_straight_away(self, owner_browser, mine):
        api_client, old_token = mine
        _, response = renew(owner_browser, api_client, overlap="0")

        assert "The previous token no longer works." in main_text(response)
        assert "stops working on" not in main_text(response)
        assert works(token_on(response))
        assert not works(old_token)

    def test_the_client_keeps_its_identity_and_history(self, owner_browser, mine, api_user):
        api_client, _ = mine
        before = ApiClient.objects.get()
        renew(owner_browser, api_client, expiry_date=in_days(222), overlap="1h")

        after = ApiClient.objects.get()
        assert (after.pk, after.name, after.owner, after.created_at) == (
            before.pk,
            before.name,
            before.owner,
            before.created_at,
        )
        assert after.expiry_date == in_days(222)
        entry = ApiClientLogEntry.objects.get(action="api_clients.renew")
        assert entry.user_id == api_user.pk
        assert entry.data == {
            "expiry_date": {"old": in_days(20).isoformat(), "new": in_days(222).isoformat()},
            "previous_token_stops_at": after.previous_token_expires_at.isoformat(),
        }
        history = owner_browser.get(url("history", api_client))
        assert "Generated a new token" in main_text(history)
        assert (
            f"Expiry date changed from {format_date(in_days(20))} to {format_date(in_days(222))}"
            in main_text(history)
        )

    def test_the_history_report_labels_it(self, client, superuser, mine):
        renew_api_client(mine[0], expiry_date=in_days(99), overlap="0", user=superuser)
        client.force_login(superuser)
        report = client.get(SITE_HISTORY_URL + "?action=api_clients.renew")
        assert report.status_code == 200
        assert "Generated a new token" in main_text(report)


class TestTheTokenIsShownOnce:
    @pytest.fixture
    def journey(self, owner_browser, mine, caplog):
        caplog.set_level(logging.DEBUG)
        api_client = mine[0]
        responses = []

        def request(method, path, data=None):
            response = getattr(owner_browser, method)(path, data or {})
            responses.append(response)
            return response

        request("get", url("renew", api_client))
        request("post", url("renew", api_client), renew_data())
        check = request("get", url("renew_check", api_client))
        submission = hidden_value(check, "submission")
        renewed = request("post", url("renew_check", api_client), {"submission": submission})
        return {
            "api_client": api_client,
            "request": request,
            "responses": responses,
            "token_response": renewed,
            "token": token_on(renewed),
            "submission": submission,
        }

    def with_token(self, journey):
        return [r for r in journey["responses"] if journey["token"] in r.content.decode()]

    def test_reload_shows_the_client_not_the_token(self, journey):
        api_client = journey["api_client"]
        digest = ApiClient.objects.get().token_digest
        reload = journey["request"](
            "post", url("renew_check", api_client), {"submission": journey["submission"]}
        )
        assert reload["Location"] == url("inspect", api_client)
        follow = journey["request"]("get", reload["Location"])
        assert messages(follow) == [("warning", ALREADY_RENEWED)]
        assert ApiClient.objects.get().token_digest == digest
        assert self.with_token(journey) == [journey["token_response"]]

    def test_back_shows_the_client_not_the_token(self, journey):
        api_client = journey["api_client"]
        back = journey["request"]("get", url("renew_check", api_client))
        assert back["Location"] == url("inspect", api_client)
        assert messages(journey["request"]("get", back["Location"])) == [
            ("warning", ALREADY_RENEWED)
        ]
        assert self.with_token(journey) == [journey["token_response"]]

    def test_a_repeated_final_post_renews_once(self, journey):
        api_client = journey["api_client"]
        for _ in range(3):
            journey["request"](
                "post", url("renew_check", api_client), {"submission": journey["submission"]}
            )
        assert ApiClientLogEntry.objects.filter(action="api_clients.renew").count() == 1
        assert works(journey["token"])
        assert self.with_token(journey) == [journey["token_response"]]

    def test_the_token_is_kept_nowhere(self, journey, owner_browser, caplog):
        token = journey["token"]
        api_client = journey["api_client"]
        request = journey["request"]
        for page in (
            INDEX_URL,
            url("inspect", api_client),
            url("history", api_client),
            url("requests", api_client),
            SITE_HISTORY_URL,
        ):
            assert request("get", page).status_code == 200
        assert self.with_token(journey) == [journey["token_response"]]
        assert_kept_nowhere(token, journey["responses"], owner_browser, caplog)


class TestHostileTimings:
    def test_a_client_that_expired_while_the_form_was_open(self, owner_browser, mine):
        api_client = mine[0]
        check = start(owner_browser, api_client)
        expire(api_client)

        response = owner_browser.post(
            url("renew_check", api_client),
            {"submission": hidden_value(check, "submission")},
            follow=True,
        )
        assert messages(response) == [("error", ONLY_ACTIVE)]
        assert not TOKEN_PATTERN.search(response.content.decode())
        assert ApiClient.objects.get().previous_token_digest is None

    def test_a_client_revoked_while_the_form_was_open(self, owner_browser, mine, manager):
        api_client, old_token = mine
        check = start(owner_browser, api_client)
        revoke_api_client(api_client, user=manager)

        response = owner_browser.post(
            url("renew_check", api_client),
            {"submission": hidden_value(check, "submission")},
            follow=True,
        )
        assert messages(response) == [("error", ONLY_ACTIVE)]
        assert not TOKEN_PATTERN.search(response.content.decode())
        assert not works(old_token)


def _at_once(*actions):
    """Run the actions in threads released together; SQLite queues its writers."""
    barrier = threading.Barrier(len(actions))
    one_at_a_time = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    results = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            with one_at_a_time:
                results[index] = action()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_final_posts_sent_at_once_renew_once_and_show_one_token(
    shipped_groups, api_user, make_client
):
    api_client, _ = make_client(api_user)
    browser = Client()
    browser.force_login(api_user)
    submission = hidden_value(start(browser, api_client), "submission")

    def click():
        twin = Client()
        twin.cookies = copy.deepcopy(browser.cookies)
        return twin.post(url("renew_check", api_client), {"submission": submission})

    responses = _at_once(click, click, click, click)

    shown = [r for r in responses if TOKEN_PATTERN.search(r.content.decode())]
    assert len(shown) == 1
    assert sorted(r.status_code for r in responses) == [200, 302, 302, 302]
    assert ApiClientLogEntry.objects.filter(action="api_clients.renew").count() == 1
    assert works(token_on(shown[0]))


@pytest.mark.django_db(transaction=True)
def test_a_renewal_racing_a_revoke_leaves_a_revoked_client_and_no_live_token(
    shipped_groups, api_user, manager, make_client
):
    api_client, old_token = make_client(api_user)
    browser = Client()
    browser.force_login(api_user)
    submission = hidden_value(start(browser, api_client), "submission")

    def renew_click():
        return browser.post(url("renew_check", api_client), {"submission": submission})

    def revoke_click():
        staff = Client()
        staff.force_login(manager)
        return staff.post(url("revoke", api_client))

    renewed, revoked = _at_once(renew_click, revoke_click)

    assert revoked.status_code == 302
    assert ApiClient.objects.get().is_revoked
    assert not works(old_token)
    for token in TOKEN_PATTERN.findall(renewed.content.decode()):
        assert not works(token)


@pytest.mark.parametrize(
    "draft", list(unreadable_drafts({"expiry_date": "2027-01-01", "overlap": "24h"})), ids=repr
)
def test_answers_the_renew_flow_cannot_read_send_it_back_to_its_first_step(
    owner_browser, mine, draft
):
    api_client, token = mine
    session = owner_browser.session
    session[f"api_clients:renew:{api_client.pk}"] = draft
    session.save()

    check = url("renew_check", api_client)
    assert owner_browser.get(check)["Location"] == url("renew", api_client)
    assert owner_browser.post(check, {"submission": "a" * 32})["Location"] == url(
        "renew", api_client
    )
    assert works(token)
    assert ApiClient.objects.get().previous_token_digest in ("", None)
