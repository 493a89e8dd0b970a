"""The register API: training providers, read with an API client's bearer token."""

import datetime
import inspect
from typing import Annotated

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import register_converter
from ninja import Field, FilterSchema, NinjaAPI, Path, Query, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.signature.utils import get_path_param_names

from api_clients.api import ClientOut, describe_calling_client
from api_clients.auth import ApiClientAuth
from api_clients.models import MAX_ID
from api_clients.secret_scanning import add_secret_scanning_endpoint

from .models import TrainingProvider

MAX_PAGE = 1_000_000


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


class RegisterAPI(NinjaAPI):
    """The register's ninja API: every GET also answers HEAD, which the schema leaves implicit."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            operations.pop("head", None)
        return schema


api = RegisterAPI(
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
READ = ["GET", "HEAD"]
# What an endpoint that does not take a method answers it with: 405.
OTHER_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class MethodNotAllowed(Exception):
    def __init__(self, allowed):
        super().__init__("Method not allowed.")
        self.allowed = sorted(allowed)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(MethodNotAllowed)
def method_not_allowed(request, exc):
    response = api.create_response(request, {"detail": "Method not allowed."}, status=405)
    response["Allow"] = ", ".join(exc.allowed)
    return response


@api.api_operation(READ, "/info", response={200: InfoOut, **UNAUTHORISED}, tags=["register"])
def info(request):
    """What this API is, and which client is calling."""
    return {
        "name": "Register of training providers API",
        "version": api.version,
        "client_name": request.auth.name,
        "client_expiry_date": request.auth.expiry_date,
    }


@api.api_operation(
    READ, "/providers", response={200: list[ProviderOut], **UNAUTHORISED}, tags=["register"]
)
@paginate(ProviderPagination, page_size=25)
def list_providers(request, filters: Query[ProviderFilter]):
    """Training providers, by operating name, 25 to a page; `changed_since` for what changed."""
    return filters.filter(TrainingProvider.objects.live())


@api.api_operation(
    READ,
    "/providers/{provider_id}",
    response={200: ProviderOut, 404: ErrorOut, **UNAUTHORISED},
    tags=["register"],
)
def get_provider(request, provider_id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]]):
    """One training provider."""
    return get_object_or_404(TrainingProvider.objects.live(), pk=provider_id)


@api.get("/client", response={200: ClientOut, **UNAUTHORISED}, tags=["client"])
def calling_client(request):
    """The calling API client: its name, when the token used stops working, and its rate limit."""
    return describe_calling_client(request)


def refuse_other_methods(router):
    """Answer every method an endpoint does not take with 405 JSON and ``Allow``.

    The answer comes after the token check, like any other: a known client's
    request is rate limited and recorded, an unknown caller gets the same 401
    as always. (ninja's own 405 is an HTML page that skips all three.)
    """
    for path, path_view in router.path_operations.items():
        allowed = {method for operation in path_view.operations for method in operation.methods}
        others = [method for method in OTHER_METHODS if method not in allowed]
        if others:
            path_view.add_operation(
                path,
                others,
                _refusal_view(path, allowed),
                # The endpoint's own authentication, whatever it is.
                auth=path_view.operations[0].auth_param,
                response={405: ErrorOut, **UNAUTHORISED},
                include_in_schema=False,
            )


def _refusal_view(path, allowed):
    def refuse(request, **path_params):
        raise MethodNotAllowed(allowed)

    # The path's parameters, declared so that ninja matches them to the path.
    refuse.__signature__ = inspect.Signature(
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str)
            for name in sorted(get_path_param_names(path))
        ]
    )
    return refuse


# After the last endpoint of the router, before the catch-all below.
refuse_other_methods(api.default_router)


class _AnyPathConverter:
    """The rest of a path, whatever it holds: Django's ``path`` stops at a line break."""

    regex = r"[\s\S]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_AnyPathConverter, "api_any_path")


@api.api_operation(
    list(OTHER_METHODS),
    "/{api_any_path:unknown_path}",
    include_in_schema=False,
)
def not_an_endpoint(request, unknown_path: str):
    """Anything else under the API answers in JSON too, not with a redirect to an HTML page."""
    raise Http404
