"""A client's details page: summary, actions and usage."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..dates import format_date, format_time
from ..leaked_tokens import leak_of
from ..lifecycle import Change, allows, previous_token_works
from ..policies import user_can
from ..usage import summarise_usage
from .base import ApiClientObjectMixin


class InspectView(ApiClientObjectMixin, TemplateView):
    """The details page."""

    template_name = "api_clients/inspect.html"
    any_permission_required = ["add", "change", "delete", "view"]

    def get_page_title(self):
        return self.object.name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client, user = self.object, self.request.user
        usage = summarise_usage(client)
        context.update(
            usage=usage,
            expiry_date=format_date(client.expiry_date),
            can_rename=allows(client, Change.RENAME) and user_can(user, "change", client),
            can_revoke=allows(client, Change.REVOKE) and user_can(user, "change", client),
            can_renew=allows(client, Change.RENEW) and user_can(user, "change", client),
            renew_url=self.url_for("renew", client),
            # While the token a renewal replaced still works beside the new one.
            previous_token_until=(
                format_time(client.previous_token_expires_at)
                if client.is_active and previous_token_works(client)
                else None
            ),
            can_delete=allows(client, Change.DELETE) and user_can(user, "delete", client),
            rename_url=self.url_for("rename", client),
            revoke_url=self.url_for("revoke", client),
            delete_url=self.url_for("delete", client),
            history_url=self.url_for("history", client),
            requests_url=self.url_for("requests", client),
            status_label=client.status.label,
            owner_inactive=client.owner is not None and not client.owner.is_active,
            never=_("Never"),
            leak=leak_of(client),
        )
        return context
