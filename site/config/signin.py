"""Admin sign-in throttling with django-axes, on Wagtail's own sign-in form.

After ``AXES_FAILURE_LIMIT`` failures for one username from one address,
that pair is refused for ``AXES_COOLOFF_TIME``: the form says so, and a right
password does not sign in until the time is up or staff unlock it
(``manage.py axes_reset_username USERNAME``).
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja.throttling import BaseThrottle
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

LOCKED_OUT_MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."


def client_address(request):
    """The caller's address as the API's rate limits see it (``NUM_PROXIES`` honoured)."""
    return BaseThrottle().get_ident(request)


class LoginForm(WagtailLoginForm):
    """Wagtail's sign-in form, which says when a username and address are locked out."""

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(LOCKED_OUT_MESSAGE, code="locked_out")
        return super().get_invalid_login_error()


def lockout_response(request, original_response=None, credentials=None):
    """Keep the sign-in page, with the form's lockout message, as a 429."""
    if original_response is None:
        return HttpResponse(LOCKED_OUT_MESSAGE, status=429, content_type="text/plain")
    original_response.status_code = 429
    return original_response
