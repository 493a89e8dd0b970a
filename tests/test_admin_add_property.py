"""Whatever is typed into "Add API client", the page answers with the spec's words."""

import pytest
from helpers import ADD_CHECK_URL, ADD_URL, between_message, error_summary, field_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PARTS = ("a day", "a month", "a year", "a day and month", "a day and year", "a month and year")
NAME_MESSAGES = {
    "Enter client name",
    "Client name must be 100 characters or fewer",
    "You already have an API client with this name",
}


def date_messages():
    return {
        "Enter expiry date",
        *(f"Expiry date must include {part}" for part in PARTS),
        "Year must include 4 numbers",
        "Expiry date must be a real date",
        between_message(),
    }


# Text of every kind, surrogates apart (a browser cannot send them), with a bias
# towards what people really type in a date box.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
date_box = st.one_of(
    any_text,
    st.integers(-10, 10_000).map(str),
    st.sampled_from(["", " ", "jan", "Sept", "February", "31", "0", "2027", "27", "１２"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.one_of(any_text, st.just("Student records system")),
    day=date_box,
    month=date_box,
    year=date_box,
)
def test_any_input_gets_the_check_page_or_exactly_one_message_per_field(
    client, api_user, name, day, month, year
):
    client.force_login(api_user)

    response = client.post(
        ADD_URL,
        {
            "name": name,
            "expiry_date_day": day,
            "expiry_date_month": month,
            "expiry_date_year": year,
        },
    )

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"] == ADD_CHECK_URL
        return
    name_error, date_error = (
        field_error(response, "id_name"),
        field_error(response, "id_expiry_date"),
    )
    assert name_error or date_error
    assert name_error in NAME_MESSAGES | {""}
    assert date_error in date_messages() | {""}
    summary = [text for text, _ in error_summary(response)]
    assert summary == [message for message in (name_error, date_error) if message]
