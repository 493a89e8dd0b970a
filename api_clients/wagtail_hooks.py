"""Registration only: audit log actions and the log model (the policy is in apps.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from .models import ApiClient, ApiClientLogEntry


@hooks.register("register_log_actions")
def register_api_client_log_actions(actions):
    actions.register_model(ApiClient, ApiClientLogEntry)
    actions.register_action("api_clients.create", _("Create API client"), _("API client created"))
    actions.register_action("api_clients.revoke", _("Revoke API client"), _("API client revoked"))
    actions.register_action("api_clients.delete", _("Delete API client"), _("API client deleted"))

    @actions.register_action("api_clients.rename")
    class RenameApiClient(LogFormatter):
        label = _("Rename API client")

        def format_message(self, log_entry):
            try:
                return _("Renamed from '%(old)s' to '%(new)s'") % log_entry.data["name"]
            except (KeyError, TypeError):
                return _("API client renamed")
