from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = "Register of training providers"
    default_auto_field = "django.db.models.BigAutoField"
