"""The site's URLs plus an API endpoint that streams its answer, behind the same token auth."""

from django.http import StreamingHttpResponse
from django.urls import path
from ninja import NinjaAPI

from api_clients.auth import ApiClientAuth
from config.urls import handler400, handler500
from config.urls import urlpatterns as site_urlpatterns

CHUNKS = 2000
CHUNK = b"0123456789abcdef" * 4096  # 64 KiB: 125 MiB in all, far more than a socket buffers

api = NinjaAPI(auth=ApiClientAuth(), urls_namespace="streaming_test", docs_url=None)


@api.get("/stream")
def stream(request):
    return StreamingHttpResponse((CHUNK for _ in range(CHUNKS)), content_type="text/plain")


urlpatterns = [path("api/streaming-test/", api.urls), *site_urlpatterns]

__all__ = ["handler400", "handler500", "urlpatterns"]
