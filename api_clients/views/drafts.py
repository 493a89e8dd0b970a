"""Answers that wait in the session between a flow's form and its check page.

Adding, renaming and renewing ask first, then show the answers to check. In
between, the answers wait in the session: plain values (a name, a date, a
choice; nothing secret) with a random ``submission`` key that the check page
sends back. A check page left open from another attempt then sends a key that
is not the session's, and is asked to be checked again rather than saving
answers it did not show. Adding and renewing also keep the key on the client,
so that a repeated final POST finds what it made instead of making it twice.

A plain visit to a form starts afresh; the check page's "Change" links add
``?change`` so that the answers come back. Whatever in the session does not
read as the form's answers (from an older release, say) counts as none, and
the flow starts again at its form.
"""

import uuid

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages

CHECK_AGAIN = _("Check your answers again before you continue.")


def draft_key(flow, client=None):
    """Where a flow's answers wait in the session: one place per flow and client."""
    return f"api_clients:{flow}" if client is None else f"api_clients:{flow}:{client.pk}"


class DraftMixin:
    """The session's answers for this flow (``draft_flow``), read by its form class.

    ``draft_form`` is an ``AnswersFormMixin`` form. The views give the URL names
    of the flow's two steps, ``draft_form_page`` and ``draft_check_page``; a
    client's flow has its URLs and answers per client (``self.object``).
    """

    draft_flow = None
    draft_form = None
    draft_form_page = None
    draft_check_page = None

    def draft_key(self):
        return draft_key(self.draft_flow, getattr(self, "object", None))

    def _page_url(self, page):
        return self.url_for(page, getattr(self, "object", None))

    def get_draft(self):
        """The answers with their ``submission`` key, or None."""
        return self.draft_form.draft_from_session(self.request.session.get(self.draft_key()))

    def save_draft(self, form):
        """Keep a valid form's answers, under a new key, and go to the check page."""
        self.request.session[self.draft_key()] = {
            **form.answers,
            "submission": uuid.uuid4().hex,
        }
        return redirect(self._page_url(self.draft_check_page))

    def forget_draft(self):
        self.request.session.pop(self.draft_key(), None)

    def back_to_form(self):
        return redirect(self._page_url(self.draft_form_page))

    def check_again(self):
        """A stale check page was sent: show the session's answers to check instead."""
        messages.warning(self.request, CHECK_AGAIN)
        return redirect(self._page_url(self.draft_check_page))


class DraftFormMixin(DraftMixin):
    """A flow's form: starts afresh on a plain visit, from the answers after "Change"."""

    def get(self, request, *args, **kwargs):
        if "change" not in request.GET:
            # A fresh start: forget answers from an abandoned attempt.
            self.forget_draft()
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        draft = self.get_draft() if self.request.method == "GET" else None
        if draft:
            # "Change" from the check page: the answers come back, as cleaned.
            return self.draft_form.initial_from_answers(draft)
        return super().get_initial()

    def form_valid(self, form):
        return self.save_draft(form)


def token_response(request, template_name, context):
    """The one response a new token is shown in: no cache, shared or private, may keep it."""
    response = TemplateResponse(request, template_name, context)
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response["Pragma"] = "no-cache"
    return response
