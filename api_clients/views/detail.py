"""A client's details page: summary, actions and usage."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..dates import format_date
from ..leaked_tokens import leak_of
from ..policies import user_can
from ..usage import summarise_usage
from .base import ApiClientObjectMixin, client_url


class DetailView(ApiClientObjectMixin, TemplateView):
    template_name = "api_clients/detail.html"
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
            can_rename=client.is_active and user_can(user, "change", client),
            can_revoke=client.is_active and user_can(user, "change", client),
            can_delete=user_can(user, "delete", client),
            rename_url=client_url("rename", client),
            revoke_url=client_url("revoke", client),
            delete_url=client_url("delete", client),
            history_url=client_url("history", client),
            usage_url=client_url("usage", client),
            status_label=client.status.label,
            owner_inactive=client.owner is not None and not client.owner.is_active,
            never=_("Never"),
            leak=leak_of(client),
        )
        return context
