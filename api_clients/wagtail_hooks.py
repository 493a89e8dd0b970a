"""Registration only: the admin section, its menu, styles and audit log actions."""

import datetime

from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from .dashboard import ApiClientsPanel, ApiClientsSearchArea
from .dates import format_date, format_time
from .models import ApiClient, ApiClientLogEntry
from .policies import can_manage_all, is_api_only_user
from .services import LEAKED_TOKEN_ACTION
from .viewsets import ApiClientViewSet

viewset = ApiClientViewSet()


@hooks.register("register_admin_viewset")
def register_api_clients_viewset():
    return viewset


@hooks.register("construct_homepage_panels")
def add_api_clients_dashboard_panel(request, panels):
    if can_manage_all(request.user):
        panels.append(
            ApiClientsPanel(
                index_url=reverse(viewset.get_url_name("index")),
                refused_url=reverse(viewset.get_url_name("refused_requests")),
            )
        )


@hooks.register("register_admin_search_area")
def register_api_clients_search_area():
    return ApiClientsSearchArea(
        _("API clients"),
        reverse(viewset.get_url_name("index")),
        name="api-clients",
        icon_name="key",
        order=250,
    )


@hooks.register("construct_main_menu")
def show_api_only_users_their_section_only(request, menu_items):
    if is_api_only_user(request.user):
        menu_items[:] = [item for item in menu_items if item.name == "api-clients"]


@hooks.register("insert_global_admin_css")
def api_clients_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("api_clients/admin.css"))


@hooks.register("register_log_actions")
def register_api_client_log_actions(actions):
    actions.register_model(ApiClient, ApiClientLogEntry)
    actions.register_action("api_clients.create", _("Create API client"), _("API client created"))
    actions.register_action("api_clients.revoke", _("Revoke API client"), _("API client revoked"))
    actions.register_action("api_clients.delete", _("Delete API client"), _("API client deleted"))

    @actions.register_action(LEAKED_TOKEN_ACTION)
    class RevokeLeakedToken(LogFormatter):
        label = _("Token found in public")

        def format_message(self, log_entry):
            data = log_entry.data if isinstance(log_entry.data, dict) else {}
            if data.get("url"):
                return _("Token found in public at %(url)s; API client revoked") % data
            return _("Token found in public; API client revoked")

    @actions.register_action("api_clients.rename")
    class RenameApiClient(LogFormatter):
        label = _("Rename API client")

        def format_message(self, log_entry):
            try:
                return _("Renamed from '%(old)s' to '%(new)s'") % log_entry.data["name"]
            except (KeyError, TypeError):
                return _("API client renamed")

    @actions.register_action("api_clients.renew")
    class RenewApiClient(LogFormatter):
        label = _("Generated a new token")

        def format_message(self, log_entry):
            try:
                data = log_entry.data
                return _(
                    "Generated a new token. Expiry date changed from %(old)s to %(new)s; "
                    "the previous token stops working on %(stops)s"
                ) % {
                    "old": format_date(datetime.date.fromisoformat(data["expiry_date"]["old"])),
                    "new": format_date(datetime.date.fromisoformat(data["expiry_date"]["new"])),
                    "stops": format_time(
                        datetime.datetime.fromisoformat(data["previous_token_stops_at"])
                    ),
                }
            except (KeyError, TypeError, ValueError):
                return _("Generated a new token")
