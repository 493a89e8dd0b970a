"""Who may do what to which API client: the one place that answers it.

* Managers (superusers, or anyone holding a model-level permission on API
  clients, such as the "API client managers" group) may act on every client.
* Anyone else acts only through django-guardian object permissions, which the
  create service grants to a client's owner.

Wagtail's generic views ask a permission policy about the model only; every
object view here asks about the object itself too.
"""

from django.contrib.auth import get_permission_codename
from guardian.shortcuts import assign_perm
from wagtail.permission_policies.base import ModelPermissionPolicy

from .conf import get_setting
from .models import ApiClient, ApiClientGroupObjectPermission, ApiClientUserObjectPermission

MANAGER_ACTIONS = ("view", "change", "delete")
# What object permissions can grant; anything else ("add", "publish") is model-level only.
OBJECT_ACTIONS = frozenset(MANAGER_ACTIONS)
# What a client's owner may do to it, granted as object permissions when it is created.
OWNER_ACTIONS = ("view", "change", "delete")


def _codename(action):
    return get_permission_codename(action, ApiClient._meta)


def _perm(action):
    return f"api_clients.{_codename(action)}"


# The codenames of the owner's object permissions, e.g. "change_apiclient".
OWNER_PERMISSIONS = tuple(_codename(action) for action in OWNER_ACTIONS)

# Where a user object keeps, for its request, the ids of the clients it holds
# each object permission on.
PERMITTED_IDS_ATTRIBUTE = "_api_clients_permitted_ids"


def grant_owner_permissions(client):
    """Give the client's owner its object permissions: how an API-only user acts on it."""
    for action in OWNER_ACTIONS:
        assign_perm(_perm(action), client.owner, client)
    # What the owner could do was read for this request before: read it again.
    client.owner.__dict__.pop(PERMITTED_IDS_ATTRIBUTE, None)


def can_manage_all(user):
    """True for superusers and for holders of a model-level view, change or delete permission."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(user.has_perm(_perm(action)) for action in MANAGER_ACTIONS)


class ApiClientPermissionPolicy(ModelPermissionPolicy):
    """Model-level permissions grant an action on every client; guardian rows on one."""

    def __init__(self):
        super().__init__(ApiClient)

    def _has_model_permission(self, user, action):
        return ModelPermissionPolicy.user_has_permission(self, user, action)

    def user_has_permission(self, user, action):
        """Could the user do this action to some client (or add one)?"""
        if self._has_model_permission(user, action):
            return True
        if action not in OBJECT_ACTIONS or not (user.is_authenticated and user.is_active):
            return False
        return self.instances_user_has_permission_for(user, action).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        if instance.deleted_at is not None:
            return False
        if self._has_model_permission(user, action):
            return True
        if action not in OBJECT_ACTIONS or not (user.is_authenticated and user.is_active):
            return False
        # The ids of every client the user holds each object permission on,
        # read in one query per request (the user object lives as long as the
        # request): a page of fifty history entries then costs one query, not
        # two per entry.
        cached = user.__dict__.get(PERMITTED_IDS_ATTRIBUTE)
        if cached is None:
            cached = user.__dict__[PERMITTED_IDS_ATTRIBUTE] = _permitted_ids(user)
        return instance.pk in cached.get(_codename(action), ())

    def instances_user_has_any_permission_for(self, user, actions):
        """Live clients the user may do any of these actions to."""
        clients = ApiClient.objects.alive()
        if not (user.is_authenticated and user.is_active):
            return clients.none()
        if any(self._has_model_permission(user, action) for action in actions):
            return clients
        actions = [action for action in actions if action in OBJECT_ACTIONS]
        if not actions:
            return clients.none()
        return clients.filter(pk__in=_clients_with_object_permission(user, actions))


def _permitted_ids(user):
    """{codename: ids of the clients the user holds it on}, directly or through a group."""
    permitted = {}
    for row in _clients_with_object_permission(
        user, OBJECT_ACTIONS, fields=("content_object_id", "permission__codename")
    ):
        permitted.setdefault(row["permission__codename"], set()).add(row["content_object_id"])
    return permitted


def _clients_with_object_permission(user, actions, fields=("content_object_id",)):
    """The ids of the clients on which the user holds any of these object permissions.

    (Or the other ``fields`` of those permission rows.)

    What guardian's ``get_objects_for_user(..., any_perm=True)`` answers, as one
    UNION of the user's own rows and their groups' rows. Guardian's ``id IN (user
    rows) OR id IN (group rows)`` cannot be planned as a join: PostgreSQL then
    reads every client to find an API user's few, which on 100,000 clients made
    their list page slower than a manager's.
    """
    permission = {
        "permission__content_type__app_label": ApiClient._meta.app_label,
        "permission__content_type__model": ApiClient._meta.model_name,
        "permission__codename__in": [_codename(action) for action in actions],
    }
    direct = ApiClientUserObjectPermission.objects.filter(user=user, **permission)
    through_groups = ApiClientGroupObjectPermission.objects.filter(group__user=user, **permission)
    return direct.values(*fields).union(through_groups.values(*fields))


permission_policy = ApiClientPermissionPolicy()


def visible_clients(user):
    """The live clients a user may see: every one for managers, their own for API users."""
    return permission_policy.instances_user_has_permission_for(user, "view")


def user_can(user, action, client):
    """May the user do ``action`` ("view", "change", "delete") to this client?"""
    return permission_policy.user_has_permission_for_instance(user, action, client)


def is_api_only_user(user):
    """A member of the API users group (``API_CLIENTS["API_USERS_GROUP"]``) who is no manager.

    Such a user sees their own clients and nothing else of the admin, whatever
    permissions the group gains later (a chooser permission a new app hands to
    every group with admin access, say): membership decides, not the permissions.
    Superusers and managers are never kept in, even if they are in the group.
    """
    if not (user.is_authenticated and user.is_active) or can_manage_all(user):
        return False
    member = getattr(user, "_api_clients_api_only", None)
    if member is None:
        # Asked by the middleware and the menu on every admin request: once each.
        member = user._api_clients_api_only = user.groups.filter(
            name=get_setting("API_USERS_GROUP")
        ).exists()
    return member
