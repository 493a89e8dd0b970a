"""Adding an API client over HTTP: the three steps, their messages and the one-time token."""

import contextlib
import copy
import datetime
import logging
import re
import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from helpers import (
    ADD_CHECK_URL,
    ADD_URL,
    INDEX_URL,
    SITE_HISTORY_URL,
    add_data,
    assert_kept_nowhere,
    bearer,
    between_message,
    buttons,
    caption,
    error_summary,
    field_error,
    heading,
    hidden_value,
    horizon,
    in_days,
    links,
    main_text,
    messages,
    page_title,
    soup,
    summary,
    text_of,
    unreadable_drafts,
    url,
)

from api_clients.dates import format_date, today
from api_clients.models import ApiClient, ApiClientLogEntry

pytestmark = pytest.mark.django_db

ALREADY_CREATED = "This API client has already been created. Its token cannot be shown again."
TOKEN_PATTERN = re.compile(r"rtp_[0-9A-Za-z]{30,}")


def start(client, **data):
    """Step 1, answered: returns the check page."""
    response = client.post(ADD_URL, add_data(**data))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == ADD_CHECK_URL
    return client.get(ADD_CHECK_URL)


def create(client, **data):
    """Steps 1 and 2: returns (check page, token page)."""
    check = start(client, **data)
    return check, client.post(ADD_CHECK_URL, {"submission": hidden_value(check, "submission")})


def token_on(response):
    return soup(response).select_one("textarea#api-client-token").get_text()


def date_parts(response):
    page = soup(response)
    return tuple(
        page.select_one(f"input[name=expiry_date_{part}]").get("value")
        for part in ("day", "month", "year")
    )


class TestStepOne:
    def test_the_form_and_its_texts(self, client, api_user):
        client.force_login(api_user)

        response = client.get(ADD_URL)

        assert response.status_code == 200
        assert page_title(response) == "Add API client"
        assert heading(response) == "Add API client"
        page = soup(response)
        # The asterisk is Wagtail's mark of a required field.
        assert text_of(page.select_one("label[for=id_name]")).replace(" *", "") == "Client name"
        fieldset = page.select_one("fieldset.api-clients-date")
        assert text_of(fieldset.legend).replace(" *", "") == "Expiry date"
        assert [text_of(label) for label in fieldset.select("label")] == ["Day", "Month", "Year"]
        assert [box["name"] for box in fieldset.select("input")] == [
            "expiry_date_day",
            "expiry_date_month",
            "expiry_date_year",
        ]
        hint = text_of(page.select_one("#id_expiry_date-helptext"))
        assert re.fullmatch(
            r"Must be within the next 12 months\. For example, \d{1,2} \d{1,2} \d{4}", hint
        )
        assert [text_of(b) for b in page.select("main form button")] == ["Continue"]
        assert links(response, "Cancel") == [INDEX_URL]

    def test_the_hints_example_is_a_valid_expiry_date(self, client, api_user):
        client.force_login(api_user)
        hint = text_of(soup(client.get(ADD_URL)).select_one("#id_expiry_date-helptext"))
        day, month, year = re.search(r"For example, (\d+) (\d+) (\d+)$", hint).groups()

        example = datetime.date(int(year), int(month), int(day))
        assert today() < example < horizon()
        response = client.post(
            ADD_URL, add_data(name="Example", day=day, month=month, year=year), follow=True
        )
        assert response.redirect_chain == [(ADD_CHECK_URL, 302)]
        assert summary(response)["Expiry date"][0] == format_date(example)

    def test_cancel_forgets_the_answers(self, client, api_user):
        client.force_login(api_user)
        start(client, name="Abandoned")

        client.get(INDEX_URL)
        fresh = client.get(ADD_URL)

        assert soup(fresh).select_one("input#id_name").get("value") is None
        assert client.get(ADD_CHECK_URL)["Location"] == ADD_URL

    def test_only_the_name_and_the_date_wait_in_the_session(self, client, api_user):
        client.force_login(api_user)
        start(client, name="Student records system", expiry_date=in_days(40))

        kept = [value for key, value in client.session.items() if not key.startswith("_auth")]

        # One draft: the answers and the random key of their submission, nothing else.
        [draft] = kept
        assert draft["name"] == "Student records system"
        assert draft["expiry_date"] == in_days(40).isoformat()
        assert set(draft) == {"name", "expiry_date", "submission"}
        assert re.fullmatch(r"[0-9a-f]{32}", draft["submission"])
        assert ApiClient.objects.count() == 0


class TestCheckYourAnswers:
    def test_the_page_and_its_texts(self, client, api_user):
        client.force_login(api_user)

        check = start(client, name="Student records system", expiry_date=in_days(40))

        assert page_title(check) == "Check your answers"
        assert heading(check) == "Check your answers"
        assert caption(check) == "Add API client"
        rows = summary(check)
        assert list(rows) == ["Client name", "Expiry date"]
        assert rows["Client name"][0] == "Student records system"
        assert rows["Expiry date"][0] == format_date(in_days(40))
        for label, (_, action) in rows.items():
            assert text_of(action.find("a")) == f"Change {label.lower()}"
        assert (
            "An authentication token will be created and shown once on the next page."
            in main_text(check)
        )
        [button] = buttons(check, "Create API client")
        assert button.find_parent("form")["action"] == ADD_CHECK_URL
        assert links(check, "Cancel") == [INDEX_URL]

    @pytest.mark.parametrize("row", ["Client name", "Expiry date"])
    def test_change_goes_back_with_the_answers_then_back_here(self, client, api_user, row):
        client.force_login(api_user)
        when = in_days(40)
        check = start(client, name="First answer", expiry_date=when)

        change_url = summary(check)[row][1].find("a")["href"]
        form_page = client.get(change_url)

        assert form_page.status_code == 200
        assert heading(form_page) == "Add API client"
        assert soup(form_page).select_one("input#id_name")["value"] == "First answer"
        assert date_parts(form_page) == (str(when.day), str(when.month), str(when.year))

        later = in_days(50)
        again = client.post(ADD_URL, add_data(name="Second answer", expiry_date=later), follow=True)

        assert again.redirect_chain == [(ADD_CHECK_URL, 302)]
        assert summary(again)["Client name"][0] == "Second answer"
        assert summary(again)["Expiry date"][0] == format_date(later)
        assert ApiClient.objects.count() == 0

    def test_the_check_page_without_answers_goes_to_step_one(self, client, api_user):
        client.force_login(api_user)

        assert client.get(ADD_CHECK_URL)["Location"] == ADD_URL
        response = client.post(ADD_CHECK_URL, {"submission": "made-up"})
        assert response["Location"] == ADD_URL
        assert ApiClient.objects.count() == 0

    def test_a_stale_check_page_asks_to_check_again(self, client, api_user):
        client.force_login(api_user)
        stale = hidden_value(start(client, name="First"), "submission")
        start(client, name="Second")

        response = client.post(ADD_CHECK_URL, {"submission": stale}, follow=True)

        assert response.redirect_chain == [(ADD_CHECK_URL, 302)]
        assert messages(response) == [("warning", "Check your answers again before you continue.")]
        assert summary(response)["Client name"][0] == "Second"
        assert ApiClient.objects.count() == 0

    def test_answers_that_went_stale_meanwhile_are_checked_again(
        self, client, api_user, make_client
    ):
        client.force_login(api_user)
        check = start(client, name="Taken meanwhile")
        make_client(api_user, name="taken MEANWHILE")

        response = client.post(ADD_CHECK_URL, {"submission": hidden_value(check, "submission")})

        assert response.status_code == 200
        assert page_title(response) == "Error: Add API client"
        assert field_error(response, "id_name") == "You already have an API client with this name"
        # The answers come back in the form, the date in its three boxes.
        page = soup(response)
        assert page.select_one("#id_name")["value"] == "Taken meanwhile"
        expiry = in_days(30)
        for box, value in (("day", expiry.day), ("month", expiry.month), ("year", expiry.year)):
            assert page.select_one(f"#id_expiry_date_{box}")["value"] == str(value)
        assert ApiClient.objects.count() == 1


class TestTokenPage:
    def test_the_token_page_and_its_texts(self, client, api_user):
        client.force_login(api_user)

        _, response = create(client, name="Student records system")

        assert response.status_code == 200
        assert page_title(response) == "API client token created"
        panel = soup(response).select_one(".api-clients-panel")
        assert text_of(panel.find("h1")) == "API client token created"
        assert "Student records system" in text_of(panel)
        token = token_on(response)
        assert TOKEN_PATTERN.fullmatch(token)
        box = soup(response).select_one("textarea#api-client-token")
        assert box.has_attr("readonly")
        assert "api-clients-token" in box["class"]
        [copy] = buttons(response, "Copy token")
        assert copy["data-action"] == "w-clipboard#copy"
        controller = copy.find_parent(attrs={"data-controller": True})
        assert "w-clipboard" in controller["data-controller"].split()
        assert controller.select_one("#api-client-token") is not None
        assert box["data-w-clipboard-target"] == "value"
        assert "Copy this token now. For security, it cannot be viewed again." in main_text(
            response
        )
        assert links(response, "Back to API clients") == [INDEX_URL]

    def test_the_response_is_not_cacheable(self, client, api_user):
        # Asked of the response itself, whoever sets the header (the view, Wagtail's URLs).
        client.force_login(api_user)

        _, response = create(client)

        assert token_on(response)
        cache_control = [part.strip() for part in response["Cache-Control"].split(",")]
        assert "no-store" in cache_control
        assert "private" in cache_control
        assert "no-cache" in cache_control

    def test_the_token_works_on_the_api(self, client, api_user):
        client.force_login(api_user)
        _, response = create(client, name="Working client")
        token = token_on(response)
        client.logout()

        api = client.get("/api/v1/info", headers=bearer(token))

        assert api.status_code == 200
        assert api.json()["client_name"] == "Working client"

    def test_the_client_is_created_for_the_user_with_its_history(self, client, api_user):
        client.force_login(api_user)

        create(client, name="Mine", expiry_date=in_days(60))

        created = ApiClient.objects.get()
        assert (created.name, created.expiry_date, created.owner) == ("Mine", in_days(60), api_user)
        entry = ApiClientLogEntry.objects.get()
        assert (entry.action, entry.user_id, entry.object_id) == (
            "api_clients.create",
            api_user.pk,
            str(created.pk),
        )
        # The API user may see it and only it.
        assert client.get(url("inspect", created)).status_code == 200

    def test_a_manager_adds_a_client_of_their_own(self, client, manager, api_user, make_client):
        make_client(api_user, name="Same name")
        client.force_login(manager)

        # Names are unique per creator: the API user's name is free for the manager.
        create(client, name="Same name")

        assert ApiClient.objects.filter(name="Same name", owner=manager).count() == 1


class TestTheTokenIsShownOnce:
    @pytest.fixture
    def journey(self, client, api_user, caplog):
        """Create a client, then do what people do after: every response is kept."""
        caplog.set_level(logging.DEBUG)
        client.force_login(api_user)
        responses = []

        def request(method, path, data=None):
            response = getattr(client, method)(path, data or {})
            responses.append(response)
            return response

        request("get", ADD_URL)
        request("post", ADD_URL, add_data(name="Once only"))
        check = request("get", ADD_CHECK_URL)
        submission = hidden_value(check, "submission")
        created = request("post", ADD_CHECK_URL, {"submission": submission})
        token = token_on(created)
        return {
            "client": client,
            "request": request,
            "responses": responses,
            "token_response": created,
            "token": token,
            "submission": submission,
        }

    def responses_with_token(self, journey):
        return [
            response
            for response in journey["responses"]
            if journey["token"] in response.content.decode()
        ]

    def test_reload_shows_the_client_not_the_token(self, journey):
        reload = journey["request"]("post", ADD_CHECK_URL, {"submission": journey["submission"]})

        api_client = ApiClient.objects.get()
        assert reload.status_code == 302
        assert reload["Location"] == url("inspect", api_client)
        follow = journey["request"]("get", reload["Location"])
        assert messages(follow) == [("warning", ALREADY_CREATED)]
        assert self.responses_with_token(journey) == [journey["token_response"]]

    def test_back_shows_the_client_not_the_token(self, journey):
        back = journey["request"]("get", ADD_CHECK_URL)

        api_client = ApiClient.objects.get()
        assert back.status_code == 302
        assert back["Location"] == url("inspect", api_client)
        follow = journey["request"]("get", back["Location"])
        assert messages(follow) == [("warning", ALREADY_CREATED)]
        # Back again, then "Create API client" on the page the browser kept.
        again = journey["request"]("post", ADD_CHECK_URL, {"submission": journey["submission"]})
        assert again["Location"] == url("inspect", api_client)
        assert ApiClient.objects.count() == 1
        assert self.responses_with_token(journey) == [journey["token_response"]]

    def test_a_double_submit_creates_one_client(self, journey):
        for _ in range(3):
            journey["request"]("post", ADD_CHECK_URL, {"submission": journey["submission"]})

        assert ApiClient.objects.count() == 1
        assert ApiClientLogEntry.objects.filter(action="api_clients.create").count() == 1
        assert self.responses_with_token(journey) == [journey["token_response"]]

    def test_the_token_is_kept_nowhere(self, journey, caplog):
        token = journey["token"]
        client = journey["client"]
        api_client = ApiClient.objects.get()
        request = journey["request"]
        # Everything the user could open afterwards.
        request("post", ADD_CHECK_URL, {"submission": journey["submission"]})
        request("get", ADD_CHECK_URL)
        for page in (
            INDEX_URL,
            url("index_results"),
            url("inspect", api_client),
            url("history", api_client),
            url("requests", api_client),
            SITE_HISTORY_URL,
            ADD_URL,
        ):
            assert request("get", page).status_code == 200

        assert self.responses_with_token(journey) == [journey["token_response"]]
        assert_kept_nowhere(token, journey["responses"], client, caplog)
        # Only the token's short, non-secret start is kept, to recognise it by.
        assert api_client.token_hint == token[:8]
        assert api_client.token_digest != token


# (field, inputs, message): every message of the spec's validation table, two inputs or more.
def _validation_cases():
    year = str(today().year + 1)
    cases = [
        (
            "id_name",
            # Zero-width characters only: a name that would look blank everywhere.
            [{"name": ""}, {"name": "   "}, {"name": "\t \n"}, {"name": "\u200b \u200d\ufeff"}],
            "Enter client name",
        ),
        (
            "id_name",
            [{"name": "x" * 101}, {"name": "  " + "y" * 150 + "  "}],
            "Client name must be 100 characters or fewer",
        ),
        (
            "id_name",
            [{"name": "taken name"}, {"name": "  TAKEN Name "}],
            "You already have an API client with this name",
        ),
        (
            "id_expiry_date",
            [{"day": "", "month": "", "year": ""}, {"day": " ", "month": "  ", "year": " "}],
            "Enter expiry date",
        ),
        (
            "id_expiry_date",
            [{"day": "", "month": "3", "year": year}, {"day": " ", "month": "March", "year": year}],
            "Expiry date must include a day",
        ),
        (
            "id_expiry_date",
            [{"day": "1", "month": "", "year": year}, {"day": "27", "month": " ", "year": year}],
            "Expiry date must include a month",
        ),
        (
            "id_expiry_date",
            [{"day": "1", "month": "3", "year": ""}, {"day": "27", "month": "jan", "year": " "}],
            "Expiry date must include a year",
        ),
        (
            "id_expiry_date",
            [{"day": "", "month": "", "year": year}, {"day": " ", "month": " ", "year": "2027"}],
            "Expiry date must include a day and month",
        ),
        (
            "id_expiry_date",
            [{"day": "", "month": "3", "year": ""}, {"day": "", "month": "Sept", "year": " "}],
            "Expiry date must include a day and year",
        ),
        (
            "id_expiry_date",
            [{"day": "1", "month": "", "year": ""}, {"day": "31", "month": " ", "year": ""}],
            "Expiry date must include a month and year",
        ),
        (
            "id_expiry_date",
            [
                {"day": "1", "month": "3", "year": "27"},
                {"day": "1", "month": "3", "year": "20277"},
                {"day": "1", "month": "3", "year": "202"},
            ],
            "Year must include 4 numbers",
        ),
        (
            "id_expiry_date",
            [
                {"day": "31", "month": "4", "year": year},
                {"day": "1", "month": "13", "year": year},
                {"day": "ab", "month": "3", "year": year},
                {"day": "1", "month": "Marchember", "year": year},
                {"day": "30", "month": "2", "year": year},
            ],
            "Expiry date must be a real date",
        ),
    ]
    return [
        pytest.param(field, inputs, message, id=f"{message}-{index}")
        for field, inputs_list, message in cases
        for index, inputs in enumerate(inputs_list)
    ]


def _out_of_range_inputs():
    yesterday = today() - datetime.timedelta(days=1)
    too_late = horizon() + datetime.timedelta(days=1)
    far = datetime.date(today().year + 10, 1, 1)
    return [
        pytest.param(date, id=name)
        for name, date in (("yesterday", yesterday), ("day-after-horizon", too_late), ("far", far))
    ]


def post_step_one(client, name="Good name", **parts):
    data = add_data(name=name)
    data.update({f"expiry_date_{part}": value for part, value in parts.items()})
    return client.post(ADD_URL, data)


def assert_shows_error(response, field_id, message, title="Error: Add API client"):
    assert response.status_code == 200
    assert page_title(response) == title
    assert field_error(response, field_id) == message
    summary_messages = error_summary(response)
    assert message in [text for text, _ in summary_messages]
    # Each summary link leads to a box on the page.
    for _, href in summary_messages:
        assert soup(response).select_one(href) is not None, href


class TestValidation:
    @pytest.mark.parametrize(("field_id", "inputs", "message"), _validation_cases())
    def test_each_message_at_the_field_and_in_the_summary(
        self, client, api_user, make_client, field_id, inputs, message
    ):
        make_client(api_user, name="Taken name")
        client.force_login(api_user)
        name = inputs.pop("name", "Good name")

        response = post_step_one(client, name=name, **inputs)

        assert_shows_error(response, field_id, message)
        assert ApiClient.objects.count() == 1
        assert client.get(ADD_CHECK_URL)["Location"] == ADD_URL  # no answers kept

    @pytest.mark.parametrize("date", _out_of_range_inputs())
    def test_dates_out_of_range(self, client, api_user, date):
        client.force_login(api_user)

        response = client.post(ADD_URL, add_data(expiry_date=date))

        assert_shows_error(response, "id_expiry_date", between_message())

    def test_the_range_message_names_today_and_the_horizon_a_year_on(self, client, api_user):
        client.force_login(api_user)
        leap_day = datetime.datetime(2024, 2, 29, 12, tzinfo=datetime.UTC)

        with mock.patch("django.utils.timezone.now", return_value=leap_day):
            response = client.post(ADD_URL, add_data(expiry_date=datetime.date(2025, 3, 1)))

        message = "Expiry date must be between 29 February 2024 and 28 February 2025"
        assert_shows_error(response, "id_expiry_date", message)

    @pytest.mark.parametrize("date", [pytest.param(0, id="today"), pytest.param(None, id="last")])
    def test_the_range_includes_both_ends(self, client, api_user, date):
        client.force_login(api_user)
        expiry_date = today() if date == 0 else horizon()

        response = client.post(ADD_URL, add_data(expiry_date=expiry_date))

        assert response.status_code == 302
        assert response["Location"] == ADD_CHECK_URL

    @pytest.mark.parametrize(
        ("day", "month", "year"),
        [("01", "jan", None), (" 7 ", "January", None), ("9", "Sept", None), ("09", "09", None)],
    )
    def test_accepted_spellings(self, client, api_user, day, month, year):
        client.force_login(api_user)
        year = str(today().year + 1)

        response = client.post(
            ADD_URL, add_data(name="Spelling", day=day, month=month, year=year), follow=True
        )

        assert response.redirect_chain == [(ADD_CHECK_URL, 302)]

    def test_several_errors_at_once_and_the_answers_kept(self, client, api_user):
        client.force_login(api_user)

        response = post_step_one(client, name="", day="31", month="4", year="2027")

        assert [text for text, _ in error_summary(response)] == [
            "Enter client name",
            "Expiry date must be a real date",
        ]
        assert date_parts(response) == ("31", "4", "2027")

    def test_the_summary_links_to_the_box_at_fault(self, client, api_user):
        client.force_login(api_user)

        response = post_step_one(client, day="1", month="", year="2027")

        assert error_summary(response) == [
            ("Expiry date must include a month", "#id_expiry_date_month")
        ]

    @pytest.mark.parametrize(
        "data",
        [
            {"name": "x\x00y", "expiry_date_day": "\x00"},
            {"name": ["a", "b"]},
            {"expiry_date_day": "9" * 5000, "expiry_date_month": "9" * 5000},
            {"name": "🙂" * 101},
            {},
        ],
    )
    def test_any_input_gets_a_page_not_an_error(self, client, api_user, data):
        client.force_login(api_user)

        response = client.post(ADD_URL, data)

        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert page_title(response).startswith("Error: ")
            assert error_summary(response)


class TestRenameValidation:
    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Enter client name"),
            ("    ", "Enter client name"),
            ("z" * 101, "Client name must be 100 characters or fewer"),
            (" " + "z" * 120, "Client name must be 100 characters or fewer"),
            ("Other feed", "You already have an API client with this name"),
            ("  OTHER FEED ", "You already have an API client with this name"),
        ],
    )
    def test_each_message_at_the_field_and_in_the_summary(
        self, client, api_user, make_client, name, message
    ):
        api_client, _ = make_client(api_user, name="My feed")
        make_client(api_user, name="Other feed")
        client.force_login(api_user)

        response = client.post(url("rename", api_client), {"name": name})

        assert_shows_error(response, "id_name", message, title="Error: Change client name")
        assert ApiClient.objects.get(pk=api_client.pk).name == "My feed"

    def test_another_owners_name_is_free(self, client, api_user, other_api_user, make_client):
        api_client, _ = make_client(api_user, name="My feed")
        make_client(other_api_user, name="Their feed")
        client.force_login(api_user)

        response = client.post(url("rename", api_client), {"name": "Their feed"})

        assert response.status_code == 302
        assert response["Location"] == url("rename_check", api_client)

    def test_a_name_taken_meanwhile_is_refused_on_saving(self, client, api_user, make_client):
        api_client, _ = make_client(api_user, name="My feed")
        client.force_login(api_user)
        client.post(url("rename", api_client), {"name": "New feed"})
        check = client.get(url("rename_check", api_client))
        make_client(api_user, name="new FEED")

        response = client.post(
            url("rename_check", api_client), {"submission": hidden_value(check, "submission")}
        )

        assert_shows_error(
            response,
            "id_name",
            "You already have an API client with this name",
            title="Error: Change client name",
        )
        assert ApiClient.objects.get(pk=api_client.pk).name == "My feed"


def test_a_fresh_session_cannot_use_anothers_submission(api_user, other_api_user):
    """A submission value means nothing outside the session that made it."""
    first, second = Client(), Client()
    first.force_login(api_user)
    second.force_login(other_api_user)
    _, token_page = create(first, name="First's")
    submission = hidden_value(start(second, name="Second's"), "submission")

    assert token_page.status_code == 200
    replay = first.post(ADD_CHECK_URL, {"submission": submission})

    # The first session's own client, whose token is gone; nothing of the second's.
    mine = ApiClient.objects.get()
    assert mine.owner == api_user
    assert replay.status_code == 302
    assert replay["Location"] == url("inspect", mine)
    assert token_on(token_page) not in replay.content.decode()


@pytest.mark.django_db(transaction=True)
def test_final_posts_sent_at_once_create_one_client_and_show_one_token(superuser):
    """Clicks sent at once: each request has its own database connection and reads
    the session before any of them saved it. SQLite takes one writer at a time,
    so there they queue, as they would on a SQLite site. (A superuser: the shipped
    groups do not survive the flush of transactional tests.)"""
    browser = Client()
    browser.force_login(superuser)
    submission = hidden_value(start(browser, name="Raced"), "submission")
    callers = 4
    barrier = threading.Barrier(callers)
    one_at_a_time = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    responses = []

    def click():
        twin = Client()
        twin.cookies = copy.deepcopy(browser.cookies)
        barrier.wait()
        try:
            with one_at_a_time:
                responses.append(twin.post(ADD_CHECK_URL, {"submission": submission}))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    api_client = ApiClient.objects.get()
    shown = [response for response in responses if TOKEN_PATTERN.search(response.content.decode())]
    assert len(shown) == 1
    assert sorted(response.status_code for response in responses) == [200] + [302] * (callers - 1)
    assert {r["Location"] for r in responses if r.status_code == 302} == {
        url("inspect", api_client)
    }
    assert ApiClientLogEntry.objects.filter(action="api_clients.create").count() == 1


def test_the_add_flow_needs_no_cache(client, api_user, settings):
    # A shared cache that never answers: nothing in the add flow may depend on it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    client.force_login(api_user)
    check, created = create(client, name="No cache")
    again = client.post(ADD_CHECK_URL, {"submission": hidden_value(check, "submission")})

    assert created.status_code == 200
    assert TOKEN_PATTERN.search(created.content.decode())
    assert again["Location"] == url("inspect", ApiClient.objects.get(name="No cache"))


@pytest.mark.parametrize(
    "draft", list(unreadable_drafts({"name": "Example", "expiry_date": "2027-01-01"})), ids=repr
)
def test_answers_the_add_flow_cannot_read_send_it_back_to_its_first_step(client, api_user, draft):
    client.force_login(api_user)
    session = client.session
    session["api_clients:add"] = draft
    session.save()

    assert client.get(ADD_CHECK_URL)["Location"] == ADD_URL
    assert client.post(ADD_CHECK_URL, {"submission": "a" * 32})["Location"] == ADD_URL
    assert not ApiClient.objects.exists()
