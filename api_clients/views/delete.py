"""Delete a client, after a confirmation page. Its history is kept."""

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages

from ..services import ApiClientError, delete_api_client
from .base import ApiClientObjectMixin, client_url


class DeleteView(ApiClientObjectMixin, TemplateView):
    template_name = "api_clients/confirm.html"
    any_permission_required = ["add", "delete"]
    object_action = "delete"
    breadcrumb_label = _("Delete API client")

    def get_page_title(self):
        return _("Confirm you want to delete %(name)s") % {"name": self.object.name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            caption=_("Delete API client"),
            warning=_("Deleting an API client cannot be undone."),
            submit_label=_("Delete API client"),
            action_url=client_url("delete", self.object),
            cancel_url=client_url("inspect", self.object),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            delete_api_client(self.object, user=request.user)
        except ApiClientError as error:
            messages.error(request, str(error))
            return redirect("api_clients:index")
        messages.success(request, _("API client deleted"))
        return redirect("api_clients:index")
