"""The GOV.UK day/month/year date field and its widget, on their own."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from api_clients.date_field import GovukDateField, GovukDateWidget, last_value, read_date


class DateForm(forms.Form):
    expiry_date = GovukDateField(label="Expiry date")


def boxes(day, month, year, name="expiry_date"):
    return {f"{name}_day": day, f"{name}_month": month, f"{name}_year": year}


def error_for(day, month, year):
    form = DateForm(data=boxes(day, month, year))
    assert not form.is_valid()
    return form.errors["expiry_date"]


MESSAGES = {
    "Enter expiry date": [("", "", ""), ("  ", "\t", " "), (None, None, None)],
    "Expiry date must include a day": [("", "3", "2027"), (" ", "March", "2027")],
    "Expiry date must include a month": [("27", "", "2027"), ("1", "  ", "2027")],
    "Expiry date must include a year": [("27", "3", ""), ("1", "jan", " ")],
    "Expiry date must include a day and month": [("", "", "2027"), (" ", None, "2026")],
    "Expiry date must include a day and year": [("", "3", ""), ("", "june", " ")],
    "Expiry date must include a month and year": [("27", "", ""), ("5", " ", None)],
    "Year must include 4 numbers": [
        ("27", "3", "27"),
        ("27", "3", "202"),
        ("1", "1", "20270"),
        # A malformed year outranks an impossible date.
        ("31", "4", "27"),
        ("ab", "13", "7"),
        ("27", "3", "9" * 5000),
    ],
    "Expiry date must be a real date": [
        ("31", "4", "2027"),
        ("29", "2", "2027"),
        ("27", "13", "2027"),
        ("27", "0", "2027"),
        ("ab", "3", "2027"),
        ("0", "3", "2027"),
        ("32", "3", "2027"),
        ("-1", "3", "2027"),
        ("27", "Marchy", "2027"),
        ("27", "Sept.", "2027"),
        ("27", "3", "2O27"),
        ("27", "3", "-2027"),
        ("27", "3", "0000"),
        ("1_0", "3", "2027"),
        ("\u0661\u0662", "3", "2027"),  # Arabic-Indic digits
        ("\uff11\uff12", "3", "2027"),  # full-width digits
        ("1.0", "3", "2027"),
        ("+1", "3", "2027"),
        ("9" * 5000, "3", "2027"),
        ("1" + "0" * 5000, "1", "2027"),
        ("27", "\u017fept", "2027"),  # long s: lower-cases to itself, case-folds to "s"
    ],
}


ALL_FIELD_MESSAGES = set(MESSAGES)


@pytest.mark.parametrize(
    ("parts", "message"),
    [(parts, message) for message, cases in MESSAGES.items() for parts in cases],
)
def test_each_problem_has_its_one_message(parts, message):
    assert error_for(*parts) == [message]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("27", "3", "2027"), datetime.date(2027, 3, 27)),
        (("07", "03", "2027"), datetime.date(2027, 3, 7)),
        (("007", "0003", "2027"), datetime.date(2027, 3, 7)),
        ((" 7 ", "\t3 ", "  2027\n"), datetime.date(2027, 3, 7)),
        (("1", "jan", "2027"), datetime.date(2027, 1, 1)),
        (("1", "January", "2027"), datetime.date(2027, 1, 1)),
        (("1", "Sept", "2027"), datetime.date(2027, 9, 1)),
        (("1", "sept", "2027"), datetime.date(2027, 9, 1)),
        (("1", "sep", "2027"), datetime.date(2027, 9, 1)),
        (("1", "JUNE", "2027"), datetime.date(2027, 6, 1)),
        (("1", " fEb ", "2028"), datetime.date(2028, 2, 1)),
        (("29", "feb", "2028"), datetime.date(2028, 2, 29)),
        (("31", "december", "2026"), datetime.date(2026, 12, 31)),
        (("31", "Dec", "2026"), datetime.date(2026, 12, 31)),
        (("1", "may", "2027"), datetime.date(2027, 5, 1)),
        (("\u00a01\u3000", "1", "2027"), datetime.date(2027, 1, 1)),  # unicode spaces
        ((1, 1, 2027), datetime.date(2027, 1, 1)),
    ],
)
def test_accepted_inputs(parts, expected):
    form = DateForm(data=boxes(*parts))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry_date"] == expected


def test_the_label_names_the_field_in_messages():
    field = GovukDateField(label="Start date")
    with pytest.raises(ValidationError) as empty:
        field.clean(("", "", ""))
    with pytest.raises(ValidationError) as incomplete:
        field.clean(("", "1", "2027"))
    with pytest.raises(ValidationError) as impossible:
        field.clean(("30", "2", "2027"))
    assert empty.value.messages == ["Enter start date"]
    assert incomplete.value.messages == ["Start date must include a day"]
    assert impossible.value.messages == ["Start date must be a real date"]


def test_an_acronym_in_the_label_keeps_its_capitals():
    with pytest.raises(ValidationError) as error:
        GovukDateField(label="API expiry date").clean(("", "", ""))
    assert error.value.messages == ["Enter API expiry date"]


def test_error_name_overrides_the_label():
    field = GovukDateField(label="When", error_name="the date it ends")
    with pytest.raises(ValidationError) as error:
        field.clean(("", "", "2027"))
    assert error.value.messages == ["The date it ends must include a day and month"]


def test_an_optional_field_may_be_empty_but_not_incomplete():
    field = GovukDateField(label="Expiry date", required=False)
    assert field.clean(("", " ", None)) is None
    with pytest.raises(ValidationError) as error:
        field.clean(("1", "", ""))
    assert error.value.messages == ["Expiry date must include a month and year"]


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        ["1"],
        ["1", "2", "3", "4"],
        {"day": "1"},
        42,
        object(),
        (["27"], [], ["2027"]),
        ([["27"]], "3", "2027"),
        (object(), "3", "2027"),
        (True, "3", "2027"),
        (b"27", "3", "2027"),
        "27 3 2027",
        "2027-02-30",
        "2027-3-1",
        "20270301",
        "\x00",
        "\ud800",
    ],
)
def test_any_value_gives_a_date_or_one_message(value):
    field = GovukDateField(label="Expiry date")
    try:
        result = field.clean(value)
    except ValidationError as error:
        assert len(error.messages) == 1
        assert error.messages[0] in ALL_FIELD_MESSAGES
    else:
        assert isinstance(result, datetime.date)


def test_dates_are_read_as_they_are():
    field = GovukDateField(label="Expiry date")
    assert field.clean(datetime.date(2027, 3, 27)) == datetime.date(2027, 3, 27)
    assert field.clean(datetime.datetime(2027, 3, 27, 23, 59)) == datetime.date(2027, 3, 27)


def test_a_single_value_under_the_fields_own_name_is_not_a_date():
    # Only the three boxes are read: text that looks like a date is not typed into them.
    form = DateForm(data={"expiry_date": "2027-03-27"})
    assert form.errors["expiry_date"] == ["Enter expiry date"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", "3"), (["1", "2"], "2"), (("1",), "1"), ([], None), (None, None)],
)
def test_the_last_of_repeated_values_is_the_value(value, expected):
    assert last_value(value) == expected


def test_repeated_boxes_read_the_last_value_as_a_request_does():
    form = DateForm(data={**boxes("", "3", "2027"), "expiry_date_day": ["40", "7"]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry_date"] == datetime.date(2027, 3, 7)


def test_a_date_put_in_the_boxes_as_data_reads_back_as_that_date():
    widget = GovukDateWidget()
    data = widget.data_for("expiry_date", datetime.date(2027, 3, 7))
    assert data == {"expiry_date_day": "7", "expiry_date_month": "3", "expiry_date_year": "2027"}
    form = DateForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"expiry_date": datetime.date(2027, 3, 7)}
    assert widget.data_for("expiry_date", None) == dict.fromkeys(data, "")


def test_nothing_submitted_at_all_is_empty():
    form = DateForm(data={})
    assert form.errors["expiry_date"] == ["Enter expiry date"]


def test_repeated_values_read_the_last_like_a_browser_form():
    from django.http import QueryDict

    data = QueryDict(
        "expiry_date_day=1&expiry_date_day=27&expiry_date_month=3&expiry_date_year=2027"
    )
    form = DateForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry_date"] == datetime.date(2027, 3, 27)


def test_has_changed_compares_dates_not_spelling():
    field = GovukDateField(label="Expiry date")
    assert not field.has_changed(datetime.date(2027, 3, 1), ("01", "mar", "2027"))
    assert field.has_changed(datetime.date(2027, 3, 1), ("2", "3", "2027"))
    assert field.has_changed(None, ("2", "3", "2027"))


# -- Any input whatsoever ---------------------------------------------------

# Every general category. Surrogates ("Cs") only come when asked for on their
# own: hypothesis drops them from a mixed alphabet.
surrogates = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1)
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])),
    st.builds(lambda *texts: "".join(texts), st.text(), surrogates, st.text()),
)


def spaced(strategy):
    return st.builds(
        lambda left, text, right: left + text + right,
        st.sampled_from(["", " ", "\t", "\u00a0", "0", "00"]),
        strategy,
        st.sampled_from(["", " ", "\n"]),
    )


# Text near the valid inputs, so that dates are reached too.
dateish_text = st.one_of(
    spaced(st.integers(min_value=-40, max_value=3000).map(str)),
    spaced(st.sampled_from(["jan", "Sept", "JUNE", "february", "Dec", "sept.", "١٢", "1_0"])),
)
box = st.one_of(any_text, dateish_text, st.none())
typed_dates = st.dates().map(lambda date: (str(date.day), str(date.month), str(date.year)))
any_boxes = st.one_of(st.tuples(box, box, box), typed_dates)


@settings(max_examples=500, deadline=None)
@given(parts=any_boxes)
def test_property_any_typed_text_gives_a_date_or_exactly_one_message(parts):
    form = DateForm(data=boxes(*parts))
    if form.is_valid():
        assert isinstance(form.cleaned_data["expiry_date"], datetime.date)
    else:
        assert list(form.errors) == ["expiry_date"]
        [message] = form.errors["expiry_date"]
        assert message in ALL_FIELD_MESSAGES
    # The page with the errors renders too, and keeps what was typed.
    html = str(form["expiry_date"])
    assert html.count("<input") == 3


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(any_text, st.lists(box), st.tuples(box, box, box), st.integers()))
def test_property_any_value_reads_without_raising(value):
    reading = read_date(value)
    assert (reading.date is None) != (reading.problem is None)


# -- The widget ---------------------------------------------------------------


def render(form, field="expiry_date"):
    return BeautifulSoup(str(form[field]), "html.parser")


def inputs(soup):
    return {
        tag["id"].rsplit("_", 1)[1]: tag for tag in soup.find_all("input", attrs={"type": "text"})
    }


def invalid_boxes(form):
    return {part for part, tag in inputs(render(form)).items() if tag.get("aria-invalid") == "true"}


def test_three_labelled_boxes_with_their_own_ids_and_names():
    soup = render(DateForm(initial={"expiry_date": datetime.date(2027, 3, 7)}))
    boxes_found = soup.find_all("input")
    assert [tag["name"] for tag in boxes_found] == [
        "expiry_date_day",
        "expiry_date_month",
        "expiry_date_year",
    ]
    assert [tag["id"] for tag in boxes_found] == [
        "id_expiry_date_day",
        "id_expiry_date_month",
        "id_expiry_date_year",
    ]
    labels = {label["for"]: label.get_text(strip=True) for label in soup.find_all("label")}
    assert labels == {
        "id_expiry_date_day": "Day",
        "id_expiry_date_month": "Month",
        "id_expiry_date_year": "Year",
    }
    assert [tag["value"] for tag in boxes_found] == ["7", "3", "2027"]
    assert not any(tag.has_attr("aria-invalid") for tag in boxes_found)


def test_numeric_keyboards_for_day_and_year_but_not_month():
    found = inputs(render(DateForm()))
    assert found["day"]["inputmode"] == "numeric"
    assert found["year"]["inputmode"] == "numeric"
    assert not found["month"].has_attr("inputmode")
    assert all(tag["type"] == "text" for tag in found.values())


def test_year_box_is_wider_than_day_and_month():
    found = inputs(render(DateForm()))
    assert "3ch" in found["day"]["style"]
    assert "3ch" in found["month"]["style"]
    assert "5ch" in found["year"]["style"]


def test_labels_point_at_the_first_box():
    form = DateForm()
    assert form["expiry_date"].id_for_label == "id_expiry_date_day"
    assert DateForm(auto_id=False)["expiry_date"].id_for_label == ""


@pytest.mark.parametrize(
    ("parts", "first_at_fault"),
    [
        (("", "", ""), "day"),
        (("", "3", "2027"), "day"),
        (("27", "", ""), "month"),
        (("27", "3", " "), "year"),
        (("27", "3", "27"), "year"),
        (("27", "13", "2027"), "month"),
        (("27", "13", "2O27"), "month"),
        (("31", "4", "2027"), "day"),
    ],
)
def test_with_errors_the_link_target_is_the_first_box_at_fault(parts, first_at_fault):
    form = DateForm(data=boxes(*parts))
    assert not form.is_valid()
    assert form["expiry_date"].id_for_label == f"id_expiry_date_{first_at_fault}"
    # The id exists on the page.
    assert render(form).find(id=f"id_expiry_date_{first_at_fault}") is not None


def test_without_ids_the_boxes_sit_inside_their_labels():
    soup = render(DateForm(auto_id=False))
    labels = soup.find_all("label")
    assert [label.get_text(strip=True) for label in labels] == ["Day", "Month", "Year"]
    assert [label.find("input")["name"] for label in labels] == [
        "expiry_date_day",
        "expiry_date_month",
        "expiry_date_year",
    ]


@pytest.mark.parametrize(
    ("parts", "at_fault"),
    [
        (("", "", ""), {"day", "month", "year"}),
        (("", "3", "2027"), {"day"}),
        (("27", " ", "2027"), {"month"}),
        (("27", "3", ""), {"year"}),
        (("", "", "2027"), {"day", "month"}),
        (("", "3", ""), {"day", "year"}),
        (("27", "", ""), {"month", "year"}),
        (("27", "3", "27"), {"year"}),
        (("27", "13", "2027"), {"month"}),
        (("0", "3", "2027"), {"day"}),
        (("x", "y", "2027"), {"day", "month"}),
        (("31", "4", "2027"), {"day", "month", "year"}),
        (("29", "2", "2027"), {"day", "month", "year"}),
    ],
)
def test_only_the_boxes_at_fault_are_marked_invalid(parts, at_fault):
    form = DateForm(data=boxes(*parts))
    assert not form.is_valid()
    assert invalid_boxes(form) == at_fault


def test_a_valid_date_with_a_form_error_marks_every_box():
    form = DateForm(data=boxes("27", "3", "2027"))
    assert form.is_valid()
    form.add_error("expiry_date", "Expiry date must be between one day and another")
    assert invalid_boxes(form) == {"day", "month", "year"}


def test_no_box_is_marked_without_errors():
    form = DateForm(data=boxes("27", "3", "2027"))
    assert form.is_valid()
    assert invalid_boxes(form) == set()


@pytest.mark.parametrize(
    "parts",
    [
        (" 31 ", "April", "2027"),
        ("", "sept.", " 27"),
        ('"><script>alert(1)</script>', "13", "x" * 300),
    ],
)
def test_what_was_typed_is_kept_after_an_error(parts):
    form = DateForm(data=boxes(*parts))
    assert not form.is_valid()
    found = inputs(render(form))
    typed = dict(zip(["day", "month", "year"], parts, strict=True))
    for part, tag in found.items():
        assert tag.get("value", "") == typed[part]


def test_typed_text_is_escaped():
    form = DateForm(data=boxes("<b>1</b>", "3", "2027"))
    assert "<b>" not in str(form["expiry_date"])


def test_an_initial_date_shows_as_three_boxes():
    found = inputs(render(DateForm(initial={"expiry_date": datetime.date(2027, 3, 7)})))
    assert {part: tag["value"] for part, tag in found.items()} == {
        "day": "7",
        "month": "3",
        "year": "2027",
    }


def test_the_widget_has_no_opinion_about_empty_or_broken_initial_values():
    widget = GovukDateWidget()
    assert widget.decompress(None) == [None, None, None]
    assert widget.decompress("not a date") == [None, None, None]
    assert widget.decompress(datetime.date(2027, 12, 1)) == ["1", "12", "2027"]


def test_the_widget_reports_omission_only_when_nothing_was_sent():
    widget = GovukDateWidget()
    assert widget.value_omitted_from_data({}, {}, "expiry_date")
    assert not widget.value_omitted_from_data({"expiry_date_year": ""}, {}, "expiry_date")
