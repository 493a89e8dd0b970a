"""Revoke a client, after a confirmation page. It cannot be undone."""

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages

from ..services import ApiClientError, revoke_api_client
from .base import ApiClientObjectMixin, client_url


class RevokeView(ApiClientObjectMixin, TemplateView):
    template_name = "api_clients/confirm.html"
    any_permission_required = ["add", "change"]
    object_action = "change"
    requires_active = True
    inactive_message = _("Only active API clients can be revoked.")
    breadcrumb_label = _("Revoke API client")

    def get_page_title(self):
        return _("Confirm you want to revoke %(name)s") % {"name": self.object.name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            caption=_("Revoke API client"),
            warning=_("Revoking an API client cannot be undone."),
            submit_label=_("Revoke API client"),
            action_url=client_url("revoke", self.object),
            cancel_url=client_url("inspect", self.object),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            revoke_api_client(self.object, user=request.user)
        except ApiClientError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("API client revoked"))
        return redirect(client_url("inspect", self.object))
