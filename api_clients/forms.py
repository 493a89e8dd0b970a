"""The API client forms: add (name and expiry date), rename, and renew (a new token).

The expiry date is a ``GovukDateField`` (``date_field.py``); the rules a name
and a date must meet are the services' (``services.validate_name``,
``services.validate_expiry_date``), asked here so that a form shows them.
"""

import datetime

from django import forms

from . import dates, lifecycle, services
from .conf import get_setting
from .date_field import GovukDateField, format_example_date, last_value
from .text import remove_untypeable

# Characters no one can type into a one-line box: control characters (browsers
# drop line breaks from text inputs anyway) and lone surrogates (not encodable,
# so no database can store or even look them up).


class ClientNameField(forms.CharField):
    """The client name: trimmed, without control characters.

    Its length and uniqueness are the service's rules (``services.validate_name``),
    checked by the form, so that no ``maxlength`` attribute cuts a pasted name
    short without a word.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Client name")
        kwargs.setdefault("error_messages", {"required": "Enter client name"})
        super().__init__(**kwargs)

    def to_python(self, value):
        return remove_untypeable(super().to_python(last_value(value))).strip()


class AnswersFormMixin:
    """Answers carried between the steps of a flow as plain, JSON-safe values.

    ``form.answers`` is the cleaned data as strings (dates in ISO 8601), ready to
    keep in the session between steps. ``Form.from_answers(answers, ...)`` binds a
    form to such answers on the check-your-answers step, as if they were typed
    again (a date into its three boxes), so that they are validated again by
    the same rules. ``Form.initial_from_answers(answers)`` gives them back as
    ``initial`` values, to show a step again.
    """

    answer_fields = ()

    @property
    def answers(self):
        if not self.is_valid():
            raise ValueError("Answers come only from a valid form.")
        return {name: _to_answer(self.cleaned_data[name]) for name in self.answer_fields}

    @classmethod
    def initial_from_answers(cls, answers):
        return {
            name: _from_answer(cls.base_fields[name], answers.get(name))
            for name in cls.answer_fields
        }

    @classmethod
    def draft_from_session(cls, value):
        """Answers kept in the session with their ``submission`` key, or None.

        Whatever does not read as this form's answers (a field missing, a date
        that is not one, a choice not offered: from an older release, say)
        counts as no answers, and the flow starts again at its first step.
        """
        if not isinstance(value, dict) or not isinstance(value.get("submission"), str):
            return None
        for name in cls.answer_fields:
            field, answer = cls.base_fields[name], value.get(name)
            if answer is None:
                return None
            if isinstance(field, GovukDateField) and _from_answer(field, answer) is None:
                return None
            if isinstance(field, forms.ChoiceField) and not field.valid_value(answer):
                return None
        return value

    @classmethod
    def from_answers(cls, answers, **kwargs):
        data = {}
        for name, value in cls.initial_from_answers(answers).items():
            field = cls.base_fields[name]
            if isinstance(field, GovukDateField):
                data.update(field.widget.data_for(name, value))
            else:
                data[name] = "" if value is None else value
        return cls(data=data, **kwargs)


def _to_answer(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _from_answer(field, value):
    if not isinstance(field, GovukDateField) or value is None:
        return value
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None  # not an answer this form gave: the boxes come back empty


def expiry_date_help_text(on=None):
    """The expiry date hint: "Must be within the next 12 months. For example, 27 3 2027"."""
    months = get_setting("EXPIRY_HORIZON_MONTHS")
    return (
        f"Must be within the next {months} month{'' if months == 1 else 's'}. "
        f"For example, {format_example_date(example_expiry_date(on))}"
    )


def example_expiry_date(on=None):
    """A valid expiry date to show as an example: a third of the way to the horizon."""
    earliest, latest = dates.expiry_bounds(on)
    return earliest + (latest - earliest) // 3


class ApiClientForm(AnswersFormMixin, forms.Form):
    """Step 1 of "Add API client": the client's name and expiry date.

    ``owner`` is who will own the client: names must be unique among its clients.
    """

    answer_fields = ("name", "expiry_date")
    # The browser's own validation would pre-empt the GOV.UK messages.
    use_required_attribute = False

    name = ClientNameField()
    expiry_date = GovukDateField(label="Expiry date")

    def __init__(self, *args, owner, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)
        self.fields["expiry_date"].help_text = expiry_date_help_text()

    def clean_name(self):
        return services.validate_name(self.cleaned_data["name"], owner=self.owner)

    def clean_expiry_date(self):
        return services.validate_expiry_date(self.cleaned_data["expiry_date"])


class RenameApiClientForm(AnswersFormMixin, forms.Form):
    """ "Change client name": a new name for ``client``, unique among its owner's clients."""

    answer_fields = ("name",)
    use_required_attribute = False

    name = ClientNameField()

    def __init__(self, *args, client, **kwargs):
        self.client = client
        kwargs["initial"] = {"name": client.name, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)

    def clean_name(self):
        return services.validate_name(
            self.cleaned_data["name"], owner=self.client.owner, exclude=self.client
        )


OVERLAP_LABELS = {
    "0": "Straight away",
    "1h": "In 1 hour",
    "24h": "In 24 hours",
    "7d": "In 7 days",
}
# The overlaps are the lifecycle's; a missing label fails at import, not on a page.
OVERLAP_CHOICES = [(key, OVERLAP_LABELS[key]) for key in lifecycle.OVERLAPS]
OVERLAP_REQUIRED_MESSAGE = "Select when the current token should stop working"


class RenewApiClientForm(AnswersFormMixin, forms.Form):
    """ "Generate a new token": the new expiry date, and when the current token stops.

    The date has the same boxes, hint and messages as when adding a client.
    """

    answer_fields = ("expiry_date", "overlap")
    use_required_attribute = False

    expiry_date = GovukDateField(label="Expiry date")
    overlap = forms.ChoiceField(
        label="When should the current token stop working?",
        choices=OVERLAP_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": OVERLAP_REQUIRED_MESSAGE,
            "invalid_choice": OVERLAP_REQUIRED_MESSAGE,
        },
    )

    def __init__(self, *args, client, **kwargs):
        self.client = client
        super().__init__(*args, **kwargs)
        self.fields["expiry_date"].help_text = expiry_date_help_text()

    def clean_expiry_date(self):
        return services.validate_expiry_date(self.cleaned_data["expiry_date"])
