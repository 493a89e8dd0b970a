"""A GOV.UK day/month/year date field for Django forms: ``GovukDateField``.

It follows the GOV.UK Design System's date input: three boxes
("Day", "Month", "Year") and one message per field, the highest-priority one:

1. nothing entered: "Enter expiry date"
2. one or two boxes empty: "Expiry date must include a day" (or "a month",
   "a year", "a day and month", "a day and year", "a month and year")
3. a year of digits that are not four: "Year must include 4 numbers"
4. anything else that is not a date: "Expiry date must be a real date"
5. out of range: the form's own rule, not the field's (for example
   "Expiry date must be between 26 November 2026 and 26 November 2027")

A malformed year (rule 3) outranks an impossible date (rule 4): it is a fault in
one box that the user can see and fix, while "must be a real date" is about the
date as a whole. A year containing anything but digits ("2O27", "-2027") is
not a year of the wrong length, so it reads as "must be a real date".

Boxes accept ASCII digits with leading zeros, month names in full or short
("jan", "January", "Sept", any case), and surrounding spaces. Other digits
("١٢", "１２"), signs, underscores and decimal points are not read as numbers:
Python's ``int()`` would accept some of them, the rules above do not.

Nothing here knows about API clients: the field is named by its label, and
its template is ``api_clients/widgets/date_input.html``.
"""

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

DAY, MONTH, YEAR = "day", "month", "year"
DATE_PARTS = (DAY, MONTH, YEAR)

# English names only: calendar.month_name follows the process locale.
_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
MONTH_NUMBERS.update({name[:3]: number for name, number in list(MONTH_NUMBERS.items())})
MONTH_NUMBERS["sept"] = 9

_DIGITS = re.compile(r"[0-9]+")

# A box that held something other than text (a list inside a list, an object):
# present, so never "missing", but never a number either.
_UNREADABLE = object()

# Problems, in priority order; each is also the ValidationError code.
EMPTY = "required"
INCOMPLETE = "incomplete"
YEAR_LENGTH = "year_length"
NOT_REAL = "invalid"

YEAR_LENGTH_MESSAGE = "Year must include 4 numbers"


@dataclass(frozen=True)
class DateReading:
    """What three date boxes say: a date, or the problem and the boxes at fault.

    ``problem`` is None for a date, ``EMPTY`` when nothing was entered, else one of
    ``INCOMPLETE`` (``parts`` are the missing boxes), ``YEAR_LENGTH`` or ``NOT_REAL``.
    """

    date: datetime.date | None = None
    problem: str | None = None
    parts: tuple[str, ...] = ()


def last_value(value):
    """One value of a form field: the last of repeated values, as ``QueryDict.get()`` gives.

    Plain dicts given as form data may hold a list where a request's data would
    hold one value; any field that reads such data asks this.
    """
    if isinstance(value, list | tuple):
        return value[-1] if value else None
    return value


def _part_text(value):
    """One box's value as stripped text, or ``_UNREADABLE``."""
    value = last_value(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _UNREADABLE


def _number(text, largest):
    """The number in ASCII-digit ``text`` if it is from 1 to ``largest``, else None."""
    if text is _UNREADABLE or not _DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0")
    # Bounded before int(): a thousand-digit box is not a number worth converting.
    if not significant or len(significant) > len(str(largest)):
        return None
    number = int(significant)
    return number if number <= largest else None


def _month_number(text):
    if text is _UNREADABLE:
        return None
    # isascii() first: lower() maps some non-ASCII letters onto ASCII ones.
    if text.isascii() and text.lower() in MONTH_NUMBERS:
        return MONTH_NUMBERS[text.lower()]
    return _number(text, 12)


def _read_parts(day_text, month_text, year_text):
    texts = dict(zip(DATE_PARTS, (day_text, month_text, year_text), strict=True))
    missing = tuple(part for part in DATE_PARTS if texts[part] == "")
    if len(missing) == len(DATE_PARTS):
        return DateReading(problem=EMPTY, parts=DATE_PARTS)
    if missing:
        return DateReading(problem=INCOMPLETE, parts=missing)
    if (
        year_text is not _UNREADABLE
        and _DIGITS.fullmatch(year_text)
        and len(year_text) != len("YYYY")
    ):
        return DateReading(problem=YEAR_LENGTH, parts=(YEAR,))
    numbers = {
        DAY: _number(day_text, 31),
        MONTH: _month_number(month_text),
        YEAR: _number(year_text, 9999),
    }
    wrong = tuple(part for part in DATE_PARTS if numbers[part] is None)
    if wrong:
        return DateReading(problem=NOT_REAL, parts=wrong)
    try:
        return DateReading(date=datetime.date(numbers[YEAR], numbers[MONTH], numbers[DAY]))
    except ValueError:
        # Each box is plausible but together they are not a date (31 4 2027).
        return DateReading(problem=NOT_REAL, parts=DATE_PARTS)


def read_date(value):
    """Read a date field's value: a date, or what was typed as (day, month, year).

    Never raises: whatever ``value`` is, the answer is a ``DateReading``.
    """
    if isinstance(value, datetime.datetime):
        return DateReading(date=value.date())
    if isinstance(value, datetime.date):
        return DateReading(date=value)
    if value is None or value == "":
        return DateReading(problem=EMPTY, parts=DATE_PARTS)
    if isinstance(value, list | tuple) and len(value) == len(DATE_PARTS):
        return _read_parts(*(_part_text(part) for part in value))
    return DateReading(problem=NOT_REAL, parts=DATE_PARTS)


def _error_name(label):
    """How messages name a field: "Expiry date" reads "expiry date", "API key" stays."""
    text = str(label or "date").strip() or "date"
    first_word = text.split(" ", 1)[0]
    if len(first_word) > 1 and first_word.isupper():
        return text
    return text[:1].lower() + text[1:]


def date_error_message(reading, name):
    """The GOV.UK message for a reading's problem, naming the field ``name``."""
    subject = name[:1].upper() + name[1:]
    if reading.problem == EMPTY:
        return f"Enter {name}"
    if reading.problem == INCOMPLETE:
        return f"{subject} must include a {' and '.join(reading.parts)}"
    if reading.problem == YEAR_LENGTH:
        return YEAR_LENGTH_MESSAGE
    return f"{subject} must be a real date"


def format_example_date(date):
    """A date as typed into the three boxes: "27 3 2027"."""
    return f"{date.day} {date.month} {date.year}"


class GovukDateWidget(forms.MultiWidget):
    """Three labelled text boxes, "Day", "Month" and "Year", for one date.

    Boxes are named and identified ``<name>_day``, ``<name>_month`` and
    ``<name>_year``. On a re-render they hold exactly what was typed. When the
    field has errors, only the boxes at fault are marked ``aria-invalid``. The
    legend and hint belong to the page (a ``<fieldset>`` around the widget).
    """

    template_name = "api_clients/widgets/date_input.html"
    labels = {DAY: "Day", MONTH: "Month", YEAR: "Year"}
    # Wagtail's inputs are 100% wide with 1.25rem of padding each side.
    widths = {DAY: "calc(3ch + 2.5rem)", MONTH: "calc(3ch + 2.5rem)", YEAR: "calc(5ch + 2.5rem)"}

    def __init__(self, attrs=None):
        widgets = {}
        for part in DATE_PARTS:
            part_attrs = {
                "class": f"api-clients-date-input__input api-clients-date-input__input--{part}",
                "style": f"width: {self.widths[part]};",
                "spellcheck": "false",
            }
            # Month stays a plain text box: month names are accepted too.
            if part != MONTH:
                part_attrs["inputmode"] = "numeric"
            widgets[part] = forms.TextInput(attrs=part_attrs)
        super().__init__(widgets, attrs)

    def decompress(self, value):
        reading = read_date(value)
        if reading.date is None:
            return [None, None, None]
        date = reading.date
        return [str(date.day), str(date.month), str(date.year)]

    def value_from_datadict(self, data, files, name):
        return tuple(data.get(name + suffix) for suffix in self.widgets_names)

    def data_for(self, name, value):
        """The form data that puts ``value`` (a date, or None) in the boxes, as if typed."""
        boxes = self.decompress(value)
        return {
            name + suffix: "" if box is None else box
            for suffix, box in zip(self.widgets_names, boxes, strict=True)
        }

    def id_for_label(self, id_):
        # Error summaries and labels lead to the first box.
        return f"{id_}_{DAY}" if id_ else ""

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        final_attrs = context["widget"]["attrs"]
        final_attrs.pop("type", None)
        id_ = final_attrs.pop("id", None)
        has_errors = str(final_attrs.pop("aria-invalid", "")).lower() == "true"
        if isinstance(value, list | tuple) and len(value) == len(DATE_PARTS):
            # What was typed, as typed: only non-text values are turned into text.
            typed = [_displayed(part) for part in value]
        else:
            typed = self.decompress(value)
        at_fault = ()
        if has_errors:
            reading = read_date(value)
            # A date that reads fine yet has errors is out of range: the whole date.
            at_fault = reading.parts if reading.problem else DATE_PARTS
        subwidgets = []
        for part, suffix, widget, part_value in zip(
            DATE_PARTS, self.widgets_names, self.widgets, typed, strict=True
        ):
            part_attrs = dict(final_attrs)
            if id_:
                part_attrs["id"] = f"{id_}_{part}"
            if part in at_fault:
                part_attrs["aria-invalid"] = "true"
            subwidget = widget.get_context(name + suffix, part_value, part_attrs)["widget"]
            subwidget["label"] = self.labels[part]
            subwidget["part"] = part
            subwidgets.append(subwidget)
        context["widget"]["subwidgets"] = subwidgets
        context["widget"]["wrapper_id"] = id_
        return context


def _displayed(value):
    value = last_value(value)
    return value if value is None or isinstance(value, str) else str(value)


class GovukDateBoundField(BoundField):
    """A date field on a form, whose ``id_for_label`` leads to the first box at fault.

    An error summary links to ``#{{ field.id_for_label }}``: for "Expiry date must
    include a month" that is the month box, as the GOV.UK pattern asks.
    """

    @property
    def id_for_label(self):
        id_ = self.field.widget.attrs.get("id") or self.auto_id
        if not id_:
            return ""
        part = DAY
        if self.errors:
            reading = read_date(self.value())
            if reading.problem:
                part = reading.parts[0]
        return f"{id_}_{part}"


class GovukDateField(forms.Field):
    """A date typed into three boxes, validated with the GOV.UK date input messages.

    Messages name the field by its label with a lower-case first letter ("Enter
    expiry date", "Expiry date must include a day"); pass ``error_name`` to name
    it otherwise. Cleans to a ``datetime.date``, or None when empty and not
    required. Range checks belong to the form.
    """

    widget = GovukDateWidget
    bound_field_class = GovukDateBoundField

    def __init__(self, *, error_name=None, **kwargs):
        self._error_name = error_name
        super().__init__(**kwargs)

    @property
    def error_name(self):
        return self._error_name or _error_name(self.label)

    def to_python(self, value):
        reading = read_date(value)
        if reading.date is not None or reading.problem == EMPTY:
            return reading.date
        raise ValidationError(date_error_message(reading, self.error_name), code=reading.problem)

    def validate(self, value):
        if value is None and self.required:
            reading = DateReading(problem=EMPTY, parts=DATE_PARTS)
            raise ValidationError(date_error_message(reading, self.error_name), code=EMPTY)

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        return read_date(initial).date != read_date(data).date
