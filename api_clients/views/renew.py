"""Generate a new token for an active client, in three steps, like adding one.

Step 1 asks for the new expiry date and when the current token should stop;
step 2 checks the answers; its POST renews the client and shows the new token
in that one, uncacheable response. The answers wait in the session (a date and
a choice, nothing secret) with a random renewal key, which the client keeps,
unique in the database: a repeated final POST (reload, Back, a double click,
two requests at once) finds that the key renewed the client and goes to its
page instead of renewing twice or showing the token again.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages

from ..dates import format_date, format_time
from ..forms import OVERLAP_LABELS, RenewApiClientForm
from ..lifecycle import (
    OVERLAPS,
    ApiClientError,
    Change,
    last_day,
    previous_token_stops_at,
    previous_token_works,
)
from ..services import AlreadyRenewed, find_renewed, renew_api_client
from .base import ApiClientObjectMixin, FormPageMixin
from .drafts import DraftFormMixin, DraftMixin, token_response

ALREADY_RENEWED = _(
    "A new token has already been generated for this API client. It cannot be shown again."
)


class RenewMixin(DraftMixin, ApiClientObjectMixin):
    permission_required = None
    any_permission_required = ["add", "change"]
    object_action = "change"
    lifecycle_change = Change.RENEW
    draft_flow = "renew"
    draft_form = RenewApiClientForm
    draft_form_page = "renew"
    draft_check_page = "renew_check"


class RenewView(FormPageMixin, DraftFormMixin, RenewMixin, FormView):
    template_name = "api_clients/renew.html"
    page_title = _("Generate a new token")
    breadcrumb_label = _("Generate a new token")
    form_class = RenewApiClientForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["client"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            caption=self.object.name,
            action_url=self.url_for("renew", self.object),
            submit_label=_("Continue"),
            cancel_url=self.url_for("inspect", self.object),
        )
        return context


def overlap_text(client, overlap, new_expiry_date):
    """The choice as the check page reads it, saying so when an expiry date cuts it short."""
    label = OVERLAP_LABELS[overlap]
    now = timezone.now()
    stops_at = previous_token_stops_at(client, overlap, new_expiry_date=new_expiry_date, now=now)
    if stops_at == now + OVERLAPS[overlap]:
        return label
    return _("%(choice)s, but no later than the end of %(date)s, when it expires") % {
        "choice": label,
        "date": format_date(last_day(client, new_expiry_date)),
    }


class RenewCheckView(RenewMixin, TemplateView):
    template_name = "api_clients/check.html"
    page_title = _("Check your answers")
    breadcrumb_label = _("Check your answers")

    def get(self, request, *args, **kwargs):
        draft = self.get_draft()
        if draft is None:
            return self.back_to_form()
        if find_renewed(self.object, draft["submission"]):
            # Back from the token page: the client is renewed, its token gone.
            return self._already_renewed()
        return self.render_to_response(self.get_context_data(draft=draft))

    def get_context_data(self, draft=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if draft is None:
            return context
        change_url = self.url_for("renew", self.object) + "?change=1"
        context.update(
            caption=_("Generate a new token"),
            rows=[
                {"label": _("Client name"), "value": self.object.name},
                {
                    "label": _("New expiry date"),
                    "value": format_date(datetime.date.fromisoformat(draft["expiry_date"])),
                    "change_url": change_url + "#id_expiry_date_day",
                    "change_label": _("new expiry date"),
                },
                {
                    "label": _("Current token stops working"),
                    "value": overlap_text(
                        self.object,
                        draft["overlap"],
                        datetime.date.fromisoformat(draft["expiry_date"]),
                    ),
                    "change_url": change_url + "#id_overlap_0",
                    "change_label": _("when the current token stops working"),
                },
            ],
            warning=_("A new token will be created and shown once on the next page."),
            submit_label=_("Generate new token"),
            submission=draft["submission"],
            action_url=self.url_for("renew_check", self.object),
            cancel_url=self.url_for("inspect", self.object),
        )
        return context

    # The token exists in this method: keep it out of error reports.
    @method_decorator(sensitive_variables("token"))
    def post(self, request, *args, **kwargs):
        submission = request.POST.get("submission", "")
        draft = self.get_draft()
        # This page's key, or the session's (Back, then a stale page), renewed the client.
        if find_renewed(self.object, submission) or (
            draft and find_renewed(self.object, draft["submission"])
        ):
            return self._already_renewed()
        if draft is None:
            return self.back_to_form()
        if submission != draft["submission"]:
            return self.check_again()

        # Checked again by the same rules: a day may have passed since step 1.
        form = RenewApiClientForm.from_answers(draft, client=self.object)
        if not form.is_valid():
            return self.sibling(RenewView).form_invalid(form)
        try:
            client, token = renew_api_client(
                self.object,
                expiry_date=form.cleaned_data["expiry_date"],
                overlap=form.cleaned_data["overlap"],
                user=request.user,
                renewal_key=submission,
            )
        except AlreadyRenewed:
            return self._already_renewed()
        except ApiClientError as error:
            # Revoked, deleted or expired meanwhile: nothing was changed.
            messages.error(request, str(error))
            return self.redirect_to_inspect()
        except ValidationError as error:
            form.add_error("expiry_date", error.messages[0] if error.messages else None)
            return self.sibling(RenewView).form_invalid(form)

        self.page_title = _("New token created")
        self.breadcrumb_label = _("New token created")
        return token_response(
            request,
            "api_clients/renewed.html",
            {
                **self.get_context_data(),
                "client": client,
                "token": token,
                "previous_stops_at": (
                    format_time(client.previous_token_expires_at)
                    if previous_token_works(client)
                    else None
                ),
            },
        )

    def _already_renewed(self):
        messages.warning(self.request, ALREADY_RENEWED)
        return self.redirect_to_inspect()
