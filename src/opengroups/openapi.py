"""The OpenAPI document: every answer an operation can give, with the body it comes with.

FastAPI documents a 200 and, for operations with parameters, a 422 in the shape of its own
validation errors. The service answers more than that, and its 422s are not all of that shape,
so the document is completed here, in one place, from what the code does:

- statuses every operation shares come from the request's path through the service: 422 for
  text no database stores (any path or query, ``kit.middleware``), 413 for bodies over the
  limit, 503 when the database cannot be used (any operation that opens a session), 401 and
  403 from the authentication dependency the route declares, 404 from a path naming a stored
  group or user, 412 and 304 from ``If-Match`` and ``If-None-Match`` headers;
- statuses particular to an operation (404, 409, 400...) are declared on its route with
  ``refusals`` next to the code that raises them;
- every refusal's body is ``Problem`` (``{"detail": "message"}``); a 422 is
  ``ValidationProblem``, whose ``detail`` is that message or FastAPI's list of field errors;
- request schemas say what the service checks beyond their types: the password policy of the
  running settings, the characters a group name may hold, the permission keys of the running
  catalog.

The pages that show the document, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, load their
scripts from this service (``/docs/assets``, the files the fastapi-offline package ships:
docs/decisions.md), never from elsewhere: they work without the internet.
"""

from __future__ import annotations

import copy
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from opengroups.config import Settings
from opengroups.dependencies import (
    get_admin_outside_transaction,
    get_admin_user,
    get_current_user,
    get_database,
    get_session,
    get_verified_user,
)
from opengroups.groups.names import name_pattern
from opengroups.permissions.catalog import Catalog

REASONS = {
    304: "Not modified: the `If-None-Match` ETag is current.",
    400: "The request cannot be carried out as asked (see `detail`).",
    401: "No valid credentials, or an account still pending approval.",
    403: "The caller's role or permissions do not allow this.",
    404: "Something the request names does not exist.",
    410: "The cursor fell behind the retention window: rebuild, then follow the new cursor.",
    409: "The request conflicts with what exists (a name or e-mail taken, say).",
    412: "The `If-Match` ETag is no longer current: read again and retry.",
    413: "The request body is larger than the configured limit.",
    422: "Invalid input: a field error list, or a message naming what is wrong.",
    429: "Too many attempts: wait the seconds in `Retry-After`.",
    502: "An identity provider could not be reached or answered something unusable.",
    503: "The database cannot be used right now: retry after `Retry-After` seconds.",
}
# Path parameters naming a stored row: 404 when there is none.
_STORED_IDS = {"group_id", "user_id", "client_id"}
# The operation whose answer's ``id`` is a new row for each such parameter (OpenAPI links: a
# client, or a fuzzer testing sequences, learns where the ids it needs come from).
_PRODUCERS = {
    "group_id": ("/api/v1/groups/create", "post"),
    "user_id": ("/api/v1/auths/add", "post"),
    "client_id": ("/api/v1/scim/clients", "post"),
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}


class Problem(BaseModel):
    """Every refusal: what is wrong, in words."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """A 422: a message, or (for request validation) one entry per wrong field."""

    detail: str | list[FieldError]


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the refusals particular to it."""
    return {status: {"model": Problem, "description": REASONS[status]} for status in statuses}


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call} if dependant.call is not None else set()
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _headers(dependant: Dependant) -> set[str]:
    found = {param.alias.lower() for param in dependant.header_params}
    for sub in dependant.dependencies:
        found |= _headers(sub)
    return found


def _shared_statuses(route: APIRoute, method: str) -> list[int]:
    calls = _calls(route.dependant)
    headers = _headers(route.dependant)
    statuses = [422]
    admin = {get_admin_user, get_admin_outside_transaction}
    if calls & {get_current_user, get_verified_user, *admin}:
        statuses.append(401)
    if calls & admin:
        statuses.append(403)
    if {param.name for param in route.dependant.path_params} & _STORED_IDS:
        statuses.append(404)
    if method in ("post", "put", "patch"):
        statuses.append(413)
    if route.body_field is not None:
        statuses.append(400)  # a body that is not text or not JSON
    if "if-match" in headers:
        statuses.append(412)
    if calls & {get_session, get_database}:
        statuses.append(503)
    return statuses


def _response(status: int, problem: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": REASONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{problem}"}}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def _no_null_parameters(operation: dict[str, Any]) -> None:
    """A parameter is sent or left out, never null: drop the ``null`` FastAPI offers for an
    optional one (a client would send the text ``null``)."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
        if "anyOf" in schema and len(options) < len(schema["anyOf"]):
            del schema["anyOf"]
            if len(options) == 1:
                schema.update(options[0])
            else:
                schema["anyOf"] = options


_REFUSAL_BODIES = frozenset({"Problem", "ValidationProblem", "HTTPValidationError"})


def _own_body(response: dict[str, Any]) -> bool:
    """Whether a route declared a body of its own for a refusal status (the report of an
    apply that the target stopped, answered 502), which the document keeps."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return bool(ref) and ref.rsplit("/", 1)[-1] not in _REFUSAL_BODIES


def _complete_operation(operation: dict[str, Any], route: APIRoute, method: str) -> None:
    _no_null_parameters(operation)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _shared_statuses(route, method):
        responses.setdefault(str(status), {})
    if "if-none-match" in _headers(route.dependant):
        responses["304"] = {"description": REASONS[304]}
    for key in list(responses):
        if key.isdigit() and int(key) >= 400 and not _own_body(responses[key]):
            status = int(key)
            problem = "ValidationProblem" if status == 422 else "Problem"
            described = responses[key].get("description")
            responses[key] = _response(status, problem) | (
                {"description": described} if described and described != "Validation Error" else {}
            )


def _links(document: dict[str, Any]) -> None:
    """Link each producer's answer to every operation taking the id it creates."""
    for parameter, (path, method) in _PRODUCERS.items():
        links = document["paths"][path][method]["responses"]["200"].setdefault("links", {})
        for item in document["paths"].values():
            for operation in item.values():
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                if parameter in names:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {parameter: "$response.body#/id"},
                    }


def _group_names(value: Any, found: list[dict[str, Any]]) -> Any:
    """``value`` with each group-name string schema replaced by a reference to one shared
    schema (its pattern is long); the replaced schemas are collected in ``found``."""
    if isinstance(value, dict):
        if value.get("format") == "group-name":
            found.append(value)
            return {"$ref": "#/components/schemas/GroupName"}
        return {key: _group_names(item, found) for key, item in value.items()}
    if isinstance(value, list):
        return [_group_names(item, found) for item in value]
    return value


def _example_tree(catalog: Catalog) -> dict[str, Any]:
    """A sparse tree that the running catalog accepts, for the examples."""
    chosen = [key for key in ("workspace.models", "workspace.knowledge") if key in catalog.defaults]
    return catalog.sparse(chosen or list(catalog.defaults)[:2])


def _permission_trees(document: dict[str, Any], catalog: Catalog) -> None:
    """Permission trees and keys as the running catalog has them (``Catalog.validate_tree``),
    and the examples' trees made of its keys."""
    schemas = document["components"]["schemas"]
    example = _example_tree(catalog)
    schemas["PermissionTree"] = catalog.tree_schema() | {
        "title": "PermissionTree",
        "description": "A sparse tree of the catalog's keys (GET /api/v1/permissions/catalog).",
        "examples": [example],
    }
    tree = {"$ref": "#/components/schemas/PermissionTree"}
    for form in ("GroupForm", "GroupUpdateForm"):
        schemas[form]["properties"]["permissions"] = {"anyOf": [tree, {"type": "null"}]}
        schemas[form]["examples"] = [
            item | {"permissions": example} if "permissions" in item else item
            for item in schemas[form].get("examples", [])
        ]
    schemas["PermissionCheck"]["properties"]["key"]["enum"] = list(catalog.defaults)
    body = document["paths"]["/api/v1/users/default/permissions"]["post"]["requestBody"]
    body["content"]["application/json"]["schema"] = tree


def _enforced_rules(document: dict[str, Any], settings: Settings) -> None:
    found: list[dict[str, Any]] = []
    schemas: dict[str, Any] = _group_names(document["components"]["schemas"], found)
    document["components"]["schemas"] = schemas
    if found:
        shared = {k: v for k, v in found[0].items() if k not in ("title", "description")}
        schemas["GroupName"] = shared | {
            "pattern": name_pattern(),
            "description": "A group's name: something visible, no control, format, private-use "
            "or unassigned characters (docs/security.md). Two names that are the same text "
            "after NFKC and case folding are the same group.",
        }
    for form in ("SignupForm", "AddUserForm", "UserUpdateForm"):
        password = schemas.get(form, {}).get("properties", {}).get("password")
        if password is not None:
            target = next(
                (option for option in password.get("anyOf", []) if option.get("type") == "string"),
                password,
            )
            target["minLength"] = settings.password_min_length
            target["description"] = (
                f"At least {settings.password_min_length} characters, and not the e-mail "
                "address (OPENGROUPS_PASSWORD_MIN_LENGTH)."
            )


def _models(annotation: Any, found: dict[str, type[BaseModel]]) -> None:
    """Every model ``annotation`` names, those of its fields included, by name."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ not in found:
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                _models(field.annotation, found)
        return
    for argument in get_args(annotation):
        _models(argument, found)


def _examples(document: dict[str, Any], app: FastAPI) -> None:
    """The models' examples as they are written: FastAPI drops every ``null`` from the
    document, and with it a required field an example shows null (a client never used)."""
    models: dict[str, type[BaseModel]] = {}
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            _models(route.response_model, models)
            if route.body_field is not None:
                _models(route.body_field.field_info.annotation, models)
    schemas = document["components"]["schemas"]
    for name, model in models.items():
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and "examples" in extra and "examples" in schemas.get(name, {}):
            schemas[name]["examples"] = copy.deepcopy(extra["examples"])


def build(app: FastAPI, settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """The completed document of ``app``."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem, FieldError):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components[model.__name__].pop("$defs", None)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, route, method.lower())
    _examples(document, app)
    _enforced_rules(document, settings)
    _permission_trees(document, catalog)
    _links(document)
    return document


def install(app: FastAPI, settings: Settings, catalog: Catalog) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request), and
    the pages that show it at ``/docs`` and ``/redoc`` (``app`` is made without FastAPI's own,
    which load their scripts from a CDN)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, settings, catalog)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _install_pages(app)


# Where the pages' scripts, styles and icon are served from, and the package folder they are.
DOCS_ASSETS = "/docs/assets"
_ASSETS = ("fastapi_offline", "static")


def _install_pages(app: FastAPI) -> None:
    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui(request: Request) -> HTMLResponse:
        assets = root(request) + DOCS_ASSETS
        return get_swagger_ui_html(
            openapi_url=root(request) + str(app.openapi_url),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # No badge asking an online validator about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def redoc(request: Request) -> HTMLResponse:
        assets = root(request) + DOCS_ASSETS
        return get_redoc_html(
            openapi_url=root(request) + str(app.openapi_url),
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(packages=[_ASSETS]), name="docs-assets")
