"""A site whose admin is Wagtail's alone, mounted at /cms/: its site history is Wagtail's."""

from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [path("cms/", include(wagtailadmin_urls))]
