"""What differs between the supported Wagtail versions (7.0 LTS to 8.x), in one place.

Wagtail 8 keeps a registry of permission policies, which its viewsets, menus and
reports ask; Wagtail 7 has no registry, and a ``ModelViewSet`` asks its own
``permission_policy`` attribute instead. The app registers its policy where a
registry exists, and its viewset answers with the same policy everywhere, so
both versions apply the same rules.
"""

try:
    from wagtail.permissions import register_permission_policy as _register_permission_policy
except ImportError:  # Wagtail 7.x
    _register_permission_policy = None

HAS_POLICY_REGISTRY = _register_permission_policy is not None


def register_permission_policy(model, policy):
    """Make ``policy`` the one Wagtail uses for ``model``, where Wagtail keeps a registry.

    Call it from ``AppConfig.ready``: Wagtail 8 refuses a registration once it has
    made a default policy for the model. On Wagtail 7 the viewset's own
    ``permission_policy`` is what counts, so there is nothing to register.
    """
    if _register_permission_policy is not None:
        _register_permission_policy(model, policy)


def pk_path_converter(viewset):
    """The path converter for the model's primary key in the viewset's own routes.

    Wagtail 8 chooses it on the viewset (``int`` for an integer key); Wagtail 7
    writes ``str`` into its routes, so the section's routes match that there.
    """
    return getattr(viewset, "pk_path_converter", "str")
