"""The register API: training providers, read with an API client's bearer token."""

import datetime
import functools
import inspect
from typing import Annotated

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import register_converter
from ninja import Field, FilterSchema, NinjaAPI, Path, Query, Schema
from ninja.openapi.docs import Swagger
from ninja.pagination import PageNumberPagination, paginate
from ninja.signature.utils import get_path_param_names
from pydantic import ConfigDict

from api_clients.api import ClientOut, describe_calling_client
from api_clients.auth import (
    THROTTLED_DETAIL,
    UNAUTHORIZED_DETAIL,
    UNAVAILABLE_DETAIL,
    ApiClientAuth,
)
from api_clients.models import MAX_ID
from api_clients.secret_scanning import add_secret_scanning_endpoint

from .models import AccreditationStatus, ProviderType, TrainingProvider

MAX_PAGE = 1_000_000


class ErrorOut(Schema):
    """A refusal, in words."""

    detail: str = Field(description="What went wrong, for people.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Not found."}]})


class ValidationErrorItem(Schema):
    type: str = Field(description="The kind of error, e.g. int_parsing or less_than_equal.")
    loc: list[str | int] = Field(description="Where: the source (query, path) and the name.")
    msg: str = Field(description="What is wrong, for people.")
    ctx: dict | None = Field(None, description="Details, e.g. the limit a value passed.")


class ValidationErrorOut(Schema):
    """Parameters the API could not read: one entry for each."""

    detail: list[ValidationErrorItem]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": [
                        {
                            "type": "int_parsing",
                            "loc": ["query", "page_size"],
                            "msg": "Input should be a valid integer, "
                            "unable to parse string as an integer",
                        }
                    ]
                }
            ]
        },
    )


PROVIDER_EXAMPLE = {
    "id": 17,
    "operating_name": "Ashdown Teaching School Partnership",
    "legal_name": "Ashdown Multi-Academy Trust",
    "provider_type": "school",
    "code": "1TZ",
    "ukprn": "10012345",
    "urn": "136214",
    "accreditation_status": "accredited",
    "updated_at": "2026-11-02T09:30:00Z",
}


class ProviderOut(Schema):
    id: int
    operating_name: str
    legal_name: str
    provider_type: ProviderType = Field(
        description="hei: higher education institution; school; other."
    )
    code: str = Field(description="The provider's 3-character code, like 1TZ.")
    ukprn: str = Field(description="UK provider reference number: 8 digits starting with 1.")
    urn: str | None = Field(None, description="Unique reference number, for schools")
    accreditation_status: AccreditationStatus
    updated_at: datetime.datetime = Field(description="When the record last changed, UTC.")

    model_config = ConfigDict(json_schema_extra={"examples": [PROVIDER_EXAMPLE]})

    @staticmethod
    def resolve_urn(provider):
        return provider.urn or None


class InfoOut(Schema):
    name: str
    version: str
    client_name: str = Field(description="The calling API client's name.")
    client_expiry_date: datetime.date = Field(
        description="The last day the calling token works (site time zone)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Register of training providers API",
                    "version": "1",
                    "client_name": "Student records system",
                    "client_expiry_date": "2027-03-27",
                }
            ]
        },
    )


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
    """The register's ninja API, and its OpenAPI document.

    Every GET also answers HEAD, which the document leaves implicit. And the
    document lists only the schemas its operations use: django-ninja also puts
    the models it reads query parameters with (the paginator's ``Input``,
    ``ProviderFilter``) among the components, though no operation refers to
    them: they are how this code reads a request, not part of the API.
    """

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _answering_any_method(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            operations.pop("head", None)
        components = schema.get("components", {}).get("schemas", {})
        for name in unreferenced_schemas(schema):
            del components[name]
        return schema


def unreferenced_schemas(schema):
    """Component schemas that nothing in the paths refers to, directly or through others."""
    components = schema.get("components", {}).get("schemas", {})
    used, todo = set(), [schema.get("paths", {})]
    while todo:
        for name in _references(todo.pop()):
            if name not in used and name in components:
                used.add(name)
                todo.append(components[name])
    return set(components) - used


def _references(node):
    prefix = "#/components/schemas/"
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            yield ref.removeprefix(prefix)
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


class RegisterDocs(Swagger):
    """Swagger UI from the site's own static files, in a page with a language and AA colours.

    Deep links are off: Swagger UI puts them as links inside each operation's
    button, and a link inside a button is out of every keyboard's reach. So is
    syntax highlighting, whose colours on its dark background fail AA.
    """

    template = "register/api_docs.html"
    default_settings = {
        **Swagger.default_settings,
        "deepLinking": False,
        "syntaxHighlight": {"activated": False},
    }


api = RegisterAPI(
    title="Register of training providers API",
    docs=RegisterDocs(),
    version="1",
    description="Read the register of training providers. Every request needs "
    "`Authorization: Bearer <token>` with an API client's token.",
    auth=ApiClientAuth(),
    urls_namespace="register_api",
)
# Added first: the catch-all at the end of this module would answer for its path.
add_secret_scanning_endpoint(api)

# What any operation may answer instead of its result: no working token, too
# many requests, or the service unavailable for a while.
UNAUTHORISED = {401: ErrorOut, 429: ErrorOut, 503: ErrorOut}
INVALID = {422: ValidationErrorOut}
READ = ["GET", "HEAD"]
# What an endpoint that does not take a method answers it with: 405.
OTHER_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# What the document says beyond the bodies: the headers of a refusal, and the
# words for each status (ninja writes only the body schema).


def refusal_docs(description, detail, headers):
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"example": {"detail": str(detail)}}},
    }


def retry_after(example):
    return {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "examples": [example]},
        }
    }


RESPONSE_DOCS = {
    "responses": {
        401: refusal_docs(
            "No token, or one that does not work (unknown, expired, revoked, deleted, or its "
            "owner deactivated). The body does not say which.",
            UNAUTHORIZED_DETAIL,
            {
                "WWW-Authenticate": {
                    "description": "The scheme to authenticate with.",
                    "required": True,
                    "schema": {"type": "string", "examples": ['Bearer realm="api"']},
                }
            },
        ),
        429: refusal_docs(
            "Too many requests: by this client, or without a working token from this address.",
            THROTTLED_DETAIL,
            retry_after(42),
        ),
        503: refusal_docs(
            "The service is unavailable for a while (its database, or the rate limit's cache "
            "where the site refuses rather than serve without limits). Try again after the "
            "time given.",
            UNAVAILABLE_DETAIL,
            retry_after(30),
        ),
    }
}
INVALID_DOCS = {
    "responses": {
        422: {"description": "A parameter could not be read: each is listed in `detail`."}
    }
}
NOT_FOUND_DOCS = {
    "responses": {
        404: {
            "description": "No such provider.",
            "content": {"application/json": {"example": {"detail": "Not found."}}},
        }
    }
}


def docs(*parts):
    """Merge response documentation for an operation's ``openapi_extra``."""
    merged = {"responses": {}}
    for part in parts:
        for status, details in part["responses"].items():
            merged["responses"].setdefault(status, {}).update(details)
    return merged


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


@api.api_operation(
    READ,
    "/info",
    response={200: InfoOut, **UNAUTHORISED},
    tags=["register"],
    summary="About the API and the calling client",
    openapi_extra=docs(RESPONSE_DOCS),
)
def info(request):
    """What this API is, and which client is calling."""
    return {
        "name": "Register of training providers API",
        "version": api.version,
        "client_name": request.auth.name,
        "client_expiry_date": request.auth.expiry_date,
    }


@api.api_operation(
    READ,
    "/providers",
    response={200: list[ProviderOut], **UNAUTHORISED, **INVALID},
    tags=["register"],
    summary="List training providers",
    openapi_extra=docs(RESPONSE_DOCS, INVALID_DOCS),
)
@paginate(ProviderPagination, page_size=25)
def list_providers(request, filters: Query[ProviderFilter]):
    """Training providers, by operating name, 25 to a page; `changed_since` for what changed."""
    return filters.filter(TrainingProvider.objects.live())


@api.api_operation(
    READ,
    "/providers/{provider_id}",
    response={200: ProviderOut, 404: ErrorOut, **UNAUTHORISED, **INVALID},
    tags=["register"],
    summary="Get one training provider",
    openapi_extra=docs(RESPONSE_DOCS, INVALID_DOCS, NOT_FOUND_DOCS),
)
def get_provider(request, provider_id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]]):
    """One training provider."""
    return get_object_or_404(TrainingProvider.objects.live(), pk=provider_id)


@api.api_operation(
    READ,
    "/client",
    response={200: ClientOut, **UNAUTHORISED},
    tags=["client"],
    summary="About the calling client and its token",
    openapi_extra=docs(RESPONSE_DOCS),
)
def calling_client(request):
    """The calling API client: its name, when the token used stops working, and its rate limit."""
    return describe_calling_client(request)


def _answering_any_method(view):
    """The API's view, answering a method no one lists (TRACE, PROPFIND…) as it answers OPTIONS.

    Clients may send any token as a method. ninja answers one that none of a
    path's operations lists itself, with an HTML 405 that skips the token
    check; every path here refuses OPTIONS the site's way (below: checked,
    recorded, a JSON 405 with ``Allow``), so such a method is answered as
    OPTIONS is, and is recorded as what it was.
    """

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        if request.method in OTHER_METHODS:
            return view(request, *args, **kwargs)
        method, request.method = request.method, "OPTIONS"
        try:
            return view(request, *args, **kwargs)
        finally:
            request.method = method

    return answer


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
