"""The API clients section of the Wagtail admin: Wagtail's ModelViewSet, given this section's views.

Wagtail builds the routes it knows (index, add, inspect, delete, history) and
gives every view the model, the icon and the URL names; the section adds its
own steps (check your answers, rename, renew, revoke, requests, refused requests) the
same way. There is
no edit route: a client changes only through its services.
"""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.viewsets.model import ModelViewSet

from . import compat
from .forms import ApiClientForm, RenameApiClientForm
from .models import ApiClient
from .policies import permission_policy, user_can
from .views import add, delete, history, index, inspect, rename, renew, requests, revoke

# Routes ModelViewSet would make that this section has no place for.
UNUSED_ROUTES = frozenset({"edit", "usage"})


class ApiClientURLFinder(ModelAdminURLFinder):
    """Where the site history links an entry: the client's page, if the user may see it."""

    inspect_url_name = None

    def get_edit_url(self, instance):
        # The policy refuses deleted clients: their entries link nowhere.
        if user_can(self.user, "view", instance):
            return reverse(self.inspect_url_name, args=(instance.pk,))
        return None


class ApiClientViewSet(ModelViewSet):
    model = ApiClient
    name = "api_clients"
    url_prefix = "api-clients"
    icon = "key"
    menu_label = _("API clients")
    menu_name = "api-clients"
    menu_order = 250
    add_to_admin_menu = True
    list_per_page = 15
    copy_view_enabled = False
    inspect_view_enabled = True
    add_to_reference_index = False

    index_view_class = index.IndexView
    add_view_class = add.AddView
    inspect_view_class = inspect.InspectView
    delete_view_class = delete.DeleteView
    history_view_class = history.HistoryView

    def get_form_class(self, for_update=False):
        return RenameApiClientForm if for_update else ApiClientForm

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            add_check_url_name=self.get_url_name("add_check"),
            rename_url_name=self.get_url_name("rename"),
            rename_check_url_name=self.get_url_name("rename_check"),
            revoke_url_name=self.get_url_name("revoke"),
            renew_url_name=self.get_url_name("renew"),
            renew_check_url_name=self.get_url_name("renew_check"),
            requests_url_name=self.get_url_name("requests"),
            refused_requests_url_name=self.get_url_name("refused_requests"),
            edit_url_name=None,
            usage_url_name=None,
            **kwargs,
        )

    @property
    def add_check_view(self):
        return self.construct_view(add.AddCheckView)

    @property
    def rename_view(self):
        return self.construct_view(rename.RenameView)

    @property
    def rename_check_view(self):
        return self.construct_view(rename.RenameCheckView)

    @property
    def revoke_view(self):
        return self.construct_view(revoke.RevokeView)

    @property
    def renew_view(self):
        return self.construct_view(renew.RenewView)

    @property
    def renew_check_view(self):
        return self.construct_view(renew.RenewCheckView)

    @property
    def requests_view(self):
        return self.construct_view(requests.RequestsView)

    @property
    def refused_requests_view(self):
        return self.construct_view(requests.RefusedRequestsView)

    @property
    def permission_policy(self):
        # Wagtail 7 asks the viewset for it (views and menu); Wagtail 8 asks its
        # registry, where apps.py put the same policy (see compat.py).
        return permission_policy

    def get_urlpatterns(self):
        conv = compat.pk_path_converter(self)
        return [
            pattern for pattern in super().get_urlpatterns() if pattern.name not in UNUSED_ROUTES
        ] + [
            path("new/check/", self.add_check_view, name="add_check"),
            path(f"rename/<{conv}:pk>/", self.rename_view, name="rename"),
            path(f"rename/<{conv}:pk>/check/", self.rename_check_view, name="rename_check"),
            path(f"revoke/<{conv}:pk>/", self.revoke_view, name="revoke"),
            path(f"requests/<{conv}:pk>/", self.requests_view, name="requests"),
            path(f"renew/<{conv}:pk>/", self.renew_view, name="renew"),
            path(f"renew/<{conv}:pk>/check/", self.renew_check_view, name="renew_check"),
            path("refused-requests/", self.refused_requests_view, name="refused_requests"),
        ]

    @property
    def url_finder_class(self):
        return type(
            "ApiClientURLFinder",
            (ApiClientURLFinder,),
            {"inspect_url_name": self.get_url_name("inspect")},
        )
