"""Delete a client, after a confirmation page. Its history is kept."""

from django.utils.translation import gettext_lazy as _

from ..lifecycle import Change
from ..services import delete_api_client
from .confirm import ConfirmActionView


class DeleteView(ConfirmActionView):
    any_permission_required = ["add", "delete"]
    object_action = "delete"
    lifecycle_change = Change.DELETE
    url_name = "delete"
    action_label = _("Delete API client")
    title = _("Confirm you want to delete %(name)s")
    warning = _("Deleting an API client cannot be undone.")
    success_message = _("API client deleted")

    def perform(self):
        delete_api_client(self.object, user=self.request.user)

    def get_success_url(self):
        return self.url_for("index")
