"""Revoke a client, after a confirmation page. It cannot be undone."""

from django.utils.translation import gettext_lazy as _

from ..lifecycle import Change
from ..services import revoke_api_client
from .confirm import ConfirmActionView


class RevokeView(ConfirmActionView):
    any_permission_required = ["add", "change"]
    object_action = "change"
    lifecycle_change = Change.REVOKE
    url_name = "revoke"
    action_label = _("Revoke API client")
    title = _("Confirm you want to revoke %(name)s")
    warning = _("Revoking an API client cannot be undone.")
    success_message = _("API client revoked")

    def perform(self):
        revoke_api_client(self.object, user=self.request.user)
