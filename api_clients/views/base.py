"""What every API client view shares: the object check, breadcrumbs and URLs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from .. import lifecycle
from ..models import ApiClient
from ..policies import permission_policy, user_can

INDEX_URL_NAME = "api_clients:index"


def client_url(name, client):
    return reverse(f"api_clients:{name}", args=(client.pk,))


def visible_client_or_404(user, pk):
    """The live client with this id if the user may see it; 404 whether or not it exists."""
    client = ApiClient.objects.alive().select_related("owner").filter(pk=pk).first()
    if client is None or not user_can(user, "view", client):
        raise Http404
    return client


def index_breadcrumb():
    return {"url": reverse(INDEX_URL_NAME), "label": _("API clients")}


class ApiClientPageMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    """An admin page of this section: model-level permission, icon, breadcrumbs."""

    model = ApiClient
    header_icon = "key"
    breadcrumb_label = None

    @cached_property
    def permission_policy(self):
        return permission_policy

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            index_breadcrumb(),
            {"url": "", "label": self.breadcrumb_label or self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["index_url"] = reverse(INDEX_URL_NAME)
        return context


class ApiClientObjectMixin(ApiClientPageMixin):
    """A page about one client, asking the policy about that client itself.

        Anyone who may not see the client gets 404, whether it exists or not, so
    that its existence does not leak. ``object_action`` is what the page needs
    beyond seeing it ("change" or "delete"); without it the page is refused as
    Wagtail refuses any other page.
    """

    object_action = None
    lifecycle_change = None  # a ``lifecycle.Change`` the page leads to, asked before it shows

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def get_object(self):
        return visible_client_or_404(self.request.user, self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if self.object_action and not user_can(request.user, self.object_action, self.object):
            raise PermissionDenied
        refusal = self.lifecycle_change and lifecycle.refusal(self.object, self.lifecycle_change)
        if refusal:
            # The service would refuse too: say why before anything is asked.
            messages.error(request, refusal)
            return self.redirect_to_detail()
        return super().dispatch(request, *args, **kwargs)

    def redirect_to_detail(self):
        return redirect(client_url("inspect", self.object))

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items, index_breadcrumb()]
        if self.breadcrumb_label:
            items.append({"url": client_url("inspect", self.object), "label": self.object.name})
            items.append({"url": "", "label": self.breadcrumb_label})
        else:
            items.append({"url": "", "label": self.object.name})
        return items

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = context["client"] = self.object
        context["detail_url"] = client_url("inspect", self.object)
        return context


class FormPageMixin:
    """Prefix the page title with "Error: " when the form has errors."""

    def get_page_title(self):
        title = super().get_page_title()
        form = getattr(self, "_form", None)
        return (
            _("Error: %(title)s") % {"title": title} if form is not None and form.errors else title
        )

    def get_context_data(self, **kwargs):
        self._form = kwargs.get("form")
        return super().get_context_data(**kwargs)
