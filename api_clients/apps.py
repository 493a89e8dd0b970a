from django.apps import AppConfig


class ApiClientsConfig(AppConfig):
    name = "api_clients"
    label = "api_clients"
    verbose_name = "API clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers checks and receivers)
        from .compat import register_permission_policy
        from .models import ApiClient
        from .policies import permission_policy

        # Before anything asks for ApiClient's policy and Wagtail makes a default one.
        register_permission_policy(ApiClient, permission_policy)
