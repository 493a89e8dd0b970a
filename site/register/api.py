"""The register API: training providers, read with an API client's bearer token."""

import datetime
from typing import Annotated

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import register_converter
from ninja import Field, FilterSchema, NinjaAPI, Path, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from api_clients.auth import ApiClientAuth
from api_clients.secret_scanning import add_secret_scanning_endpoint

from .models import TrainingProvider

MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    detail: str


class ProviderOut(Schema):
    id: int
    operating_name: str
    legal_name: str
    provider_type: str
    code: str
    ukprn: str
    urn: str | None = Field(None, description="Unique reference number, for schools")
    accreditation_status: str
    updated_at: datetime.datetime

    @staticmethod
    def resolve_urn(provider):
        return provider.urn or None


class InfoOut(Schema):
    name: str
    version: str
    client_name: str
    client_expiry_date: datetime.date


class ProviderFilter(FilterSchema):
    changed_since: datetime.datetime | None = Field(
        None,
        description=(
            "Only providers changed at or after this time, ISO 8601: 2026-01-31T09:00:00Z"
        ),
    )

    def filter_changed_since(self, value):
        if value is None:
            return Q()
        if value.tzinfo is None:
            # A time without an offset is read in UTC, as the API writes times.
            value = value.replace(tzinfo=datetime.UTC)
        try:
            value = value.astimezone(datetime.UTC)
        except OverflowError:
            # Before the first or after the last moment a datetime holds in UTC
            # (0001-01-01T00:00+14:00): everything, or nothing, changed since.
            return Q() if value.year == datetime.MINYEAR else Q(pk__in=[])
        return Q(updated_at__gte=value)


class ProviderPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=100)


api = NinjaAPI(
    title="Register of training providers API",
    version="1",
    description="Read the register of training providers. Every request needs "
    "`Authorization: Bearer <token>` with an API client's token.",
    auth=ApiClientAuth(),
    urls_namespace="register_api",
)
# Added first: the catch-all at the end of this module would answer for its path.
add_secret_scanning_endpoint(api)

UNAUTHORISED = {401: ErrorOut, 429: ErrorOut}


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.get("/info", response={200: InfoOut, **UNAUTHORISED}, tags=["register"])
def info(request):
    """What this API is, and which client is calling."""
    return {
        "name": "Register of training providers API",
        "version": api.version,
        "client_name": request.auth.name,
        "client_expiry_date": request.auth.expiry_date,
    }


@api.get("/providers", response={200: list[ProviderOut], **UNAUTHORISED}, tags=["register"])
@paginate(ProviderPagination, page_size=25)
def list_providers(request, filters: Query[ProviderFilter]):
    """Training providers, by operating name, 25 to a page; `changed_since` for what changed."""
    return filters.filter(TrainingProvider.objects.live())


@api.get(
    "/providers/{provider_id}",
    response={200: ProviderOut, 404: ErrorOut, **UNAUTHORISED},
    tags=["register"],
)
def get_provider(request, provider_id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]]):
    """One training provider."""
    return get_object_or_404(TrainingProvider.objects.live(), pk=provider_id)


class _AnyPathConverter:
    """The rest of a path, whatever it holds: Django's ``path`` stops at a line break."""

    regex = r"[\s\S]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_AnyPathConverter, "api_any_path")


@api.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{api_any_path:unknown_path}",
    include_in_schema=False,
)
def not_an_endpoint(request, unknown_path: str):
    """Anything else under the API answers in JSON too, not with a redirect to an HTML page."""
    raise Http404
