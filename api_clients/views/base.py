"""What every API client view shares: the object check, breadcrumbs and URLs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from .. import lifecycle
from ..models import ApiClient
from ..policies import user_can


def visible_client_or_404(user, pk):
    """The live client with this id if the user may see it; 404 whether or not it exists."""
    client = ApiClient.objects.alive().select_related("owner").filter(pk=pk).first()
    if client is None or not user_can(user, "view", client):
        raise Http404
    return client


class SectionURLsMixin:
    """The section's URL names, injected by ``ApiClientViewSet`` as ``<page>_url_name``.

    Wagtail's own (index, add, inspect, delete, history) and the section's
    (add_check, rename, rename_check, renew, renew_check, revoke, requests).
    """

    index_url_name = None
    add_url_name = None
    add_check_url_name = None
    inspect_url_name = None
    rename_url_name = None
    rename_check_url_name = None
    revoke_url_name = None
    renew_url_name = None
    renew_check_url_name = None
    delete_url_name = None
    history_url_name = None
    requests_url_name = None

    def url_for(self, page, client=None):
        """The URL of one of the section's pages ("inspect"), about ``client`` if it is one."""
        url_name = getattr(self, f"{page}_url_name")
        return reverse(url_name, args=(client.pk,) if client is not None else ())

    def index_breadcrumb(self):
        return {"url": self.url_for("index"), "label": _("API clients")}


class ApiClientPageMixin(SectionURLsMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin):
    """An admin page of this section: model-level permission, icon, breadcrumbs.

    The viewset gives each page the model (whose registered policy answers the
    model-level check), the icon and the URL names.
    """

    model = None
    header_icon = None
    breadcrumb_label = None

    def __init__(self, **kwargs):
        self.init_kwargs = kwargs
        super().__init__(**kwargs)

    def sibling(self, view_class):
        """Another page of the section, for this request, given what this one was given."""
        view = view_class(**self.init_kwargs)
        view.setup(self.request, *self.args, **self.kwargs)
        return view

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            self.index_breadcrumb(),
            {"url": "", "label": self.breadcrumb_label or self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["index_url"] = self.url_for("index")
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
            return self.redirect_to_inspect()
        return super().dispatch(request, *args, **kwargs)

    def redirect_to_inspect(self):
        return redirect(self.url_for("inspect", self.object))

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items, self.index_breadcrumb()]
        if self.breadcrumb_label:
            items.append({"url": self.url_for("inspect", self.object), "label": self.object.name})
            items.append({"url": "", "label": self.breadcrumb_label})
        else:
            items.append({"url": "", "label": self.object.name})
        return items

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = context["client"] = self.object
        context["inspect_url"] = self.url_for("inspect", self.object)
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
