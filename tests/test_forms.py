"""The add and rename forms: the spec's messages, the expiry hint and the answers."""

import datetime
import json
import re

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_clients import dates
from api_clients.forms import ApiClientForm, RenameApiClientForm, example_expiry_date
from api_clients.services import delete_api_client, revoke_api_client

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)
HORIZON = datetime.date(2027, 11, 26)
OUT_OF_RANGE = "Expiry date must be between 26 November 2026 and 26 November 2027"

NAME_MESSAGES = {
    "Enter client name",
    "Client name must be 100 characters or fewer",
    "You already have an API client with this name",
}
DATE_MESSAGES = {
    "Enter expiry date",
    "Expiry date must include a day",
    "Expiry date must include a month",
    "Expiry date must include a year",
    "Expiry date must include a day and month",
    "Expiry date must include a day and year",
    "Expiry date must include a month and year",
    "Year must include 4 numbers",
    "Expiry date must be a real date",
}


@pytest.fixture
def pinned_today(monkeypatch):
    """Make today 26 November 2026 in the site's time zone."""
    monkeypatch.setattr(dates, "today", lambda: TODAY)
    return TODAY


def add_data(name="Student records system", day="27", month="3", year="2027"):
    return {
        "name": name,
        "expiry_date_day": day,
        "expiry_date_month": month,
        "expiry_date_year": year,
    }


def typed(date):
    return {"day": str(date.day), "month": str(date.month), "year": str(date.year)}


# -- Add: the name --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter client name"),
        ("   ", "Enter client name"),
        ("\t\n", "Enter client name"),
        ("\x00", "Enter client name"),
        ("a" * 101, "Client name must be 100 characters or fewer"),
        (" " + "é" * 101 + " ", "Client name must be 100 characters or fewer"),
        ("x" * 10_000, "Client name must be 100 characters or fewer"),
    ],
)
def test_name_messages(pinned_today, api_user, name, message):
    form = ApiClientForm(data=add_data(name=name), owner=api_user)
    assert form.errors == {"name": [message]}


@pytest.mark.parametrize(
    "name", ["Student records system", "STUDENT RECORDS SYSTEM", "  student Records system "]
)
def test_a_name_already_used_by_the_owner_is_refused(pinned_today, api_user, make_client, name):
    make_client(api_user, name="Student records system")
    form = ApiClientForm(data=add_data(name=name), owner=api_user)
    assert form.errors == {"name": ["You already have an API client with this name"]}


def test_another_owners_name_or_a_deleted_clients_name_is_free(
    pinned_today, api_user, other_api_user, make_client
):
    make_client(other_api_user, name="Student records system")
    deleted, _ = make_client(api_user, name="Old system")
    delete_api_client(deleted, user=api_user)
    for name in ("Student records system", "Old system"):
        form = ApiClientForm(data=add_data(name=name), owner=api_user)
        assert form.is_valid(), form.errors


def test_a_revoked_clients_name_is_still_taken(pinned_today, api_user, make_client):
    revoked, _ = make_client(api_user, name="Student records system")
    revoke_api_client(revoked, user=api_user)
    form = ApiClientForm(data=add_data(), owner=api_user)
    assert form.errors == {"name": ["You already have an API client with this name"]}


def test_names_are_trimmed_and_may_be_exactly_100_characters(pinned_today, api_user):
    form = ApiClientForm(data=add_data(name="  " + "a" * 100 + "  "), owner=api_user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "a" * 100


def test_control_characters_are_dropped_from_names(pinned_today, api_user):
    form = ApiClientForm(data=add_data(name="Student\x00 records\r\n"), owner=api_user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Student records"


def test_the_name_box_does_not_cut_long_names_short(pinned_today, api_user):
    soup = BeautifulSoup(str(ApiClientForm(owner=api_user)["name"]), "html.parser")
    box = soup.find("input")
    assert box["name"] == "name"
    assert not box.has_attr("maxlength")
    assert not box.has_attr("required")


def test_labels():
    form = ApiClientForm(owner=None)
    assert form["name"].label == "Client name"
    assert form["expiry_date"].label == "Expiry date"


# -- Add: the expiry date -------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "message"),
    [
        (TODAY - datetime.timedelta(days=1), OUT_OF_RANGE),
        (HORIZON + datetime.timedelta(days=1), OUT_OF_RANGE),
        (datetime.date(2000, 1, 1), OUT_OF_RANGE),
        (datetime.date(9999, 12, 31), OUT_OF_RANGE),
    ],
)
def test_out_of_range_dates(pinned_today, api_user, date, message):
    form = ApiClientForm(data=add_data(**typed(date)), owner=api_user)
    assert form.errors == {"expiry_date": [message]}


@pytest.mark.parametrize("date", [TODAY, HORIZON, TODAY + datetime.timedelta(days=1)])
def test_the_range_includes_its_ends(pinned_today, api_user, date):
    form = ApiClientForm(data=add_data(**typed(date)), owner=api_user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry_date"] == date


def test_the_horizon_is_a_setting(pinned_today, api_user, settings):
    settings.API_CLIENTS = {"EXPIRY_HORIZON_MONTHS": 6}
    late = ApiClientForm(data=add_data(day="27", month="5", year="2027"), owner=api_user)
    assert late.errors == {
        "expiry_date": ["Expiry date must be between 26 November 2026 and 26 May 2027"]
    }
    last_day = ApiClientForm(data=add_data(day="26", month="May", year="2027"), owner=api_user)
    assert last_day.is_valid(), last_day.errors


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Enter expiry date"),
        (("", "3", "2027"), "Expiry date must include a day"),
        (("1", "", "2027"), "Expiry date must include a month"),
        (("1", "3", ""), "Expiry date must include a year"),
        (("", "", "2027"), "Expiry date must include a day and month"),
        (("", "3", ""), "Expiry date must include a day and year"),
        (("1", "", ""), "Expiry date must include a month and year"),
        (("1", "3", "27"), "Year must include 4 numbers"),
        (("31", "4", "2027"), "Expiry date must be a real date"),
        # Impossible outranks out of range: 30 February 2020 is both.
        (("30", "2", "2020"), "Expiry date must be a real date"),
    ],
)
def test_the_form_shows_the_fields_one_message(pinned_today, api_user, parts, message):
    day, month, year = parts
    form = ApiClientForm(data=add_data(day=day, month=month, year=year), owner=api_user)
    assert form.errors == {"expiry_date": [message]}


def test_both_fields_report_at_once(pinned_today, api_user):
    form = ApiClientForm(data=add_data(name="", day="", month="", year=""), owner=api_user)
    assert form.errors == {"name": ["Enter client name"], "expiry_date": ["Enter expiry date"]}


# -- Add: the hint ----------------------------------------------------------------


HINT = re.compile(r"Must be within the next (\d+) months?\. For example, (\d+) (\d+) (\d{4})")


def hint_parts(form):
    match = HINT.fullmatch(str(form["expiry_date"].help_text))
    assert match, form["expiry_date"].help_text
    months, day, month, year = match.groups()
    return int(months), (day, month, year)


def test_the_hint_reads_like_the_spec(pinned_today):
    assert ApiClientForm(owner=None)["expiry_date"].help_text == (
        "Must be within the next 12 months. For example, 27 3 2027"
    )


@pytest.mark.parametrize(
    "today",
    [
        TODAY,
        datetime.date(2027, 1, 31),
        datetime.date(2028, 2, 29),
        datetime.date(2026, 12, 31),
        datetime.date(2026, 9, 1),
    ],
)
@pytest.mark.parametrize("horizon", [1, 6, 12, 24])
def test_the_hints_example_is_accepted(monkeypatch, settings, api_user, today, horizon):
    monkeypatch.setattr(dates, "today", lambda: today)
    settings.API_CLIENTS = {"EXPIRY_HORIZON_MONTHS": horizon}
    months, (day, month, year) = hint_parts(ApiClientForm(owner=api_user))
    assert months == horizon
    assert not any(part.startswith("0") for part in (day, month))
    form = ApiClientForm(data=add_data(day=day, month=month, year=year), owner=api_user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry_date"] > today


def test_the_hints_example_is_accepted_today(api_user):
    _, (day, month, year) = hint_parts(ApiClientForm(owner=api_user))
    form = ApiClientForm(data=add_data(day=day, month=month, year=year), owner=api_user)
    assert form.is_valid(), form.errors


def test_one_month_is_singular(pinned_today, settings):
    settings.API_CLIENTS = {"EXPIRY_HORIZON_MONTHS": 1}
    assert str(ApiClientForm(owner=None)["expiry_date"].help_text).startswith(
        "Must be within the next 1 month. "
    )


def test_the_example_is_about_a_third_of_the_way(pinned_today):
    assert example_expiry_date() == datetime.date(2027, 3, 27)


# -- Answers between steps -------------------------------------------------------------


def test_answers_are_json_safe(pinned_today, api_user):
    form = ApiClientForm(
        data=add_data(name=" Student records system ", month="Mar"), owner=api_user
    )
    assert form.answers == {"name": "Student records system", "expiry_date": "2027-03-27"}
    assert json.loads(json.dumps(form.answers)) == form.answers


def test_answers_need_a_valid_form(pinned_today, api_user):
    with pytest.raises(ValueError):
        ApiClientForm(owner=api_user).answers
    with pytest.raises(ValueError):
        ApiClientForm(data=add_data(name=""), owner=api_user).answers


def test_answers_posted_back_are_validated_again(pinned_today, api_user):
    answers = ApiClientForm(data=add_data(), owner=api_user).answers
    posted = QueryDict(mutable=True)
    posted.update({"csrfmiddlewaretoken": "x", **answers})
    form = ApiClientForm.from_answers(posted, owner=api_user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "Student records system",
        "expiry_date": datetime.date(2027, 3, 27),
    }


def test_answers_that_became_wrong_between_steps_are_caught(pinned_today, api_user, make_client):
    answers = ApiClientForm(data=add_data(), owner=api_user).answers
    make_client(api_user, name="Student records system")
    form = ApiClientForm.from_answers(answers, owner=api_user)
    assert form.errors == {"name": ["You already have an API client with this name"]}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, {"name": ["Enter client name"], "expiry_date": ["Enter expiry date"]}),
        # Answers no form gave: the date boxes come back empty.
        ({"name": "x", "expiry_date": "2027-02-30"}, {"expiry_date": ["Enter expiry date"]}),
        ({"name": "x", "expiry_date": "27 3 2027"}, {"expiry_date": ["Enter expiry date"]}),
        ({"name": "x", "expiry_date": ["2027-03-27"]}, {"expiry_date": ["Enter expiry date"]}),
        ({"name": "x", "expiry_date": "2026-11-25"}, {"expiry_date": [OUT_OF_RANGE]}),
        (
            {"name": "y" * 101, "expiry_date": "2027-03-27"},
            {"name": ["Client name must be 100 characters or fewer"]},
        ),
    ],
)
def test_tampered_answers_get_the_usual_messages(pinned_today, api_user, answers, errors):
    assert ApiClientForm.from_answers(answers, owner=api_user).errors == errors


def test_answers_as_initial_fill_the_boxes_again(pinned_today, api_user):
    answers = {"name": "Student records system", "expiry_date": "2027-03-07"}
    form = ApiClientForm(initial=ApiClientForm.initial_from_answers(answers), owner=api_user)
    soup = BeautifulSoup(str(form["name"]) + str(form["expiry_date"]), "html.parser")
    values = {box["name"]: box.get("value") for box in soup.find_all("input")}
    assert values == {
        "name": "Student records system",
        "expiry_date_day": "7",
        "expiry_date_month": "3",
        "expiry_date_year": "2027",
    }
    assert not form.is_bound


def test_the_whole_form_renders_with_errors(pinned_today, api_user):
    form = ApiClientForm(data=add_data(name="", day="31", month="4"), owner=api_user)
    html = str(form)
    assert "Enter client name" in html
    assert "Expiry date must be a real date" in html
    assert html.count('aria-invalid="true"') == 4


# -- Rename -------------------------------------------------------------------------


def test_rename_starts_from_the_current_name(api_user, make_client):
    client, _ = make_client(api_user)
    form = RenameApiClientForm(client=client)
    assert form["name"].value() == "Student records system"
    assert list(form.fields) == ["name"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter client name"),
        ("  ", "Enter client name"),
        ("a" * 101, "Client name must be 100 characters or fewer"),
        ("b" * 200, "Client name must be 100 characters or fewer"),
        ("Finance system", "You already have an API client with this name"),
        ("FINANCE SYSTEM ", "You already have an API client with this name"),
    ],
)
def test_rename_messages(api_user, make_client, name, message):
    client, _ = make_client(api_user)
    make_client(api_user, name="Finance system")
    form = RenameApiClientForm(data={"name": name}, client=client)
    assert form.errors == {"name": [message]}


@pytest.mark.parametrize("name", ["Student records system", "STUDENT records system", "New name"])
def test_a_client_may_keep_or_recase_its_own_name(api_user, make_client, name):
    client, _ = make_client(api_user)
    form = RenameApiClientForm(data={"name": name}, client=client)
    assert form.is_valid(), form.errors
    assert form.answers == {"name": name}


def test_rename_checks_names_against_the_owner_not_the_editor(
    api_user, other_api_user, make_client
):
    client, _ = make_client(api_user)
    make_client(other_api_user, name="Finance system")
    form = RenameApiClientForm(data={"name": "Finance system"}, client=client)
    assert form.is_valid(), form.errors


def test_rename_answers_posted_back_are_validated_again(api_user, make_client):
    client, _ = make_client(api_user)
    answers = RenameApiClientForm(data={"name": " Finance system "}, client=client).answers
    assert answers == {"name": "Finance system"}
    assert RenameApiClientForm.from_answers(answers, client=client).is_valid()
    make_client(api_user, name="finance SYSTEM")
    form = RenameApiClientForm.from_answers(answers, client=client)
    assert form.errors == {"name": ["You already have an API client with this name"]}


# -- Any input whatsoever -------------------------------------------------------------

surrogates = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1)
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])),
    st.builds(lambda *texts: "".join(texts), st.text(), surrogates, st.text()),
    st.sampled_from(["Student records system", "student RECORDS system ", "a" * 101]),
)
box = st.one_of(any_text, st.integers(min_value=-5, max_value=3000).map(str), st.none())
in_range = st.dates(min_value=TODAY - datetime.timedelta(days=3), max_value=HORIZON).map(
    lambda date: (str(date.day), str(date.month), str(date.year))
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=any_text, parts=st.one_of(st.tuples(box, box, box), in_range))
def test_property_any_answers_give_valid_data_or_one_message_per_field(
    pinned_today, api_user, make_client, name, parts
):
    if not api_user.api_clients.exists():
        make_client(api_user, name="Student records system")
    day, month, year = parts
    form = ApiClientForm(data=add_data(name=name, day=day, month=month, year=year), owner=api_user)
    if form.is_valid():
        assert 0 < len(form.cleaned_data["name"]) <= 100
        assert TODAY <= form.cleaned_data["expiry_date"] <= HORIZON
        json.dumps(form.answers)
    for field, messages in form.errors.items():
        assert len(messages) == 1
        allowed = NAME_MESSAGES if field == "name" else DATE_MESSAGES | {OUT_OF_RANGE}
        assert messages[0] in allowed
    str(form)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=any_text)
def test_property_any_new_name_gives_a_name_or_one_message(api_user, make_client, name):
    client = api_user.api_clients.first() or make_client(api_user)[0]
    form = RenameApiClientForm(data={"name": name}, client=client)
    if form.is_valid():
        assert form.cleaned_data["name"] == form.cleaned_data["name"].strip()
        assert form.cleaned_data["name"].encode("utf-8")
    else:
        assert list(form.errors) == ["name"]
        [message] = form.errors["name"]
        assert message in NAME_MESSAGES
