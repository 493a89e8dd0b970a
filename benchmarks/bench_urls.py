"""The site's URLs plus the register's ``GET /providers`` without auth and behind Wagtail's tokens.

For the benchmarks only: ``/bench/no-auth/providers`` is the same view on a
NinjaAPI with ``auth=None``, ``/bench/wagtail/providers`` the same view behind
``wagtail.api.v3.auth.BearerTokenAuth``. Everything else is the site's own.
"""

from django.urls import path
from ninja import NinjaAPI
from wagtail.api.v3.auth import BearerTokenAuth

from config.urls import handler400, handler500
from config.urls import urlpatterns as site_urlpatterns
from register.api import ProviderOut, list_providers

no_auth = NinjaAPI(auth=None, urls_namespace="bench_no_auth", docs_url=None)
no_auth.get("/providers", response=list[ProviderOut])(list_providers)
wagtail_peer = NinjaAPI(auth=BearerTokenAuth(), urls_namespace="bench_wagtail", docs_url=None)
wagtail_peer.get("/providers", response=list[ProviderOut])(list_providers)

urlpatterns = [
    path("bench/no-auth/", no_auth.urls),
    path("bench/wagtail/", wagtail_peer.urls),
    *site_urlpatterns,  # the site's own, the register API among them
]

__all__ = ["handler400", "handler500", "urlpatterns"]
