"""A confirmation page, then one service call: what revoke and delete share."""

from django.shortcuts import redirect
from django.views.generic import TemplateView
from wagtail.admin import messages

from ..lifecycle import ApiClientError
from .base import ApiClientObjectMixin


class ConfirmActionView(ApiClientObjectMixin, TemplateView):
    """Subclasses name the action (its label, title, warning and message) and perform it."""

    template_name = "api_clients/confirm.html"
    url_name = None
    action_label = None  # the caption, the breadcrumb and the red button
    title = None  # "Confirm you want to … %(name)s"
    warning = None
    success_message = None

    @property
    def breadcrumb_label(self):
        return self.action_label

    def perform(self):
        raise NotImplementedError

    def get_success_url(self):
        return self.url_for("inspect", self.object)

    def get_page_title(self):
        return self.title % {"name": self.object.name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            caption=self.action_label,
            warning=self.warning,
            submit_label=self.action_label,
            action_url=self.url_for(self.url_name, self.object),
            cancel_url=self.url_for("inspect", self.object),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            self.perform()
        except ApiClientError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, self.success_message)
        return redirect(self.get_success_url())
