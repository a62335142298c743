"""The SCIM 2.0 service provider (RFC 7644), a sub-application mounted at ``/scim/v2`` and at
Open WebUI's ``/api/v1/scim/v2``, with SCIM's own errors and media type; and the admin routes
that manage provisioning clients (``/api/v1/scim/clients``).

Routes parse, call one service, and answer ``application/scim+json``. Bodies are read as JSON
here and validated by scim2-models in the services; every refusal becomes a SCIM ``Error``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi import Query as QueryParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from opengroups.audit import recorder
from opengroups.bootstrap import Runtime
from opengroups.dependencies import AdminUser, BearerDep, SessionDep
from opengroups.errors import OpenGroupsError
from opengroups.kit.faults import DATABASE_FAULTS, unavailable
from opengroups.models import ScimClient
from opengroups.scim import clients, discovery, filters
from opengroups.scim import groups as scim_groups
from opengroups.scim import search as scim_search
from opengroups.scim import users as scim_users
from opengroups.scim.calls import Call, Parameters, Query, ResourceKind
from opengroups.scim.errors import TooManyRequests, from_domain, from_validation
from opengroups.scim.schemas import ScimClientCreated, ScimClientForm, ScimClientResponse

MEDIA_TYPE = "application/scim+json"
MOUNTS = ("/scim/v2", "/api/v1/scim/v2")
DEFAULT_COUNT = 100
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class ScimResponse(JSONResponse):
    media_type = MEDIA_TYPE


def _error_response(error: Error, headers: dict[str, str] | None = None) -> Response:
    body = error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body["status"] = str(error.status)
    return ScimResponse(body, status_code=int(error.status or 400), headers=headers)


async def _handle_scim(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SCIMException)
    headers = None
    if isinstance(exc, TooManyRequests) and exc.retry_after:
        headers = {"Retry-After": exc.retry_after}
    elif exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return _error_response(exc.to_error(), headers)


async def _handle_domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenGroupsError)
    return await _handle_scim(request, from_domain(exc))


async def _handle_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problem = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("query",))
    detail = f"{where}: {problem.get('msg', 'invalid')}" if where else "Invalid request."
    return _error_response(Error(status=400, scim_type="invalidValue", detail=detail))


async def _handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = {
            method
            for route in request.app.routes
            if getattr(route, "path_regex", None) is not None
            and route.path_regex.match(
                request.url.path.removeprefix(request.scope.get("root_path", ""))
            )
            for method in getattr(route, "methods", ())
        }
        headers["Allow"] = ", ".join(sorted(allowed))
        detail = f"{request.method} is not allowed here."
    elif exc.status_code == 404:
        detail = "There is no SCIM endpoint at this path."
    else:
        detail = str(exc.detail)
    return _error_response(Error(status=exc.status_code, detail=detail), headers)


async def _handle_fault(_request: Request, exc: Exception) -> Response:
    fault = unavailable(exc)
    if fault is None:
        raise exc
    return _error_response(
        Error(status=503, detail=fault.message), {"Retry-After": str(fault.retry_after)}
    )


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def base_url(request: Request) -> str:
    """The SCIM root the request came through (``meta.location`` and ``$ref`` start with it)."""
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


async def get_client(request: Request, credentials: BearerDep) -> ScimClient:
    runtime = _runtime(request)
    return await clients.authenticate(
        runtime.database,
        token=credentials.credentials if credentials else None,
        address=request.client.host if request.client else None,
        settings=runtime.settings,
    )


ClientDep = Annotated[ScimClient, Depends(get_client)]


async def get_call(request: Request, client: ClientDep, session: SessionDep) -> Call:
    """The request's transaction, with the provisioning client as its actor (authenticated
    before the transaction begins), and what the services need."""
    recorder.set_actor(session, user_id=clients.actor_id(client.id))
    runtime = _runtime(request)
    return Call(
        session=session,
        client=client,
        base=base_url(request),
        settings=runtime.settings,
        authz=runtime.authz,
        passwords=runtime.passwords,
    )


CallDep = Annotated[Call, Depends(get_call)]


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSyntaxException(detail="The body is not JSON.") from exc


def _parameters(model: Any, attributes: str | None, excluded: str | None) -> Parameters:
    """``attributes``/``excludedAttributes``, checked against ``model`` (None: not checked)."""
    if attributes is None and excluded is None:
        return None
    checked = ResponseParameters if model is None else ResponseParameters[model]
    try:
        parameters: ResponseParameters[Any] = checked.model_validate(
            {"attributes": attributes, "excludedAttributes": excluded}
        )
        return parameters
    except ValidationError as exc:
        raise _refused(exc) from exc


def _refused(exc: ValidationError) -> SCIMException:
    error = from_validation(exc)
    refusal = InvalidValueException(detail=error.detail)
    refusal.scim_type = error.scim_type or "invalidValue"
    return refusal


def _resource(body: dict[str, Any], version: str, *, status: int = 200) -> Response:
    headers = {"ETag": version}
    if status == 201:
        headers["Location"] = body["meta"]["location"]
    return ScimResponse(body, status_code=status, headers=headers)


def _not_modified(if_none_match: str | None, version: str) -> bool:
    if if_none_match is None:
        return False
    tags = {tag.strip() for tag in if_none_match.split(",")}
    return "*" in tags or version in tags or version.removeprefix("W/") in tags


def _list(total: int, start_index: int, resources: list[dict[str, Any]]) -> Response:
    body = {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
    return ScimResponse(body)


def _paging(start_index: int | None, count: int | None) -> tuple[int, int]:
    """RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a negative count is 0; the page is at
    most ``MAX_RESULTS``."""
    start = max(1, start_index or 1)
    wanted = DEFAULT_COUNT if count is None else max(0, count)
    return start, min(wanted, discovery.MAX_RESULTS)


def _descending(sort_order: str | None) -> bool:
    if sort_order is None or sort_order.lower() == "ascending":
        return False
    if sort_order.lower() == "descending":
        return True
    raise InvalidValueException(detail="sortOrder must be 'ascending' or 'descending'.")


IfMatchHeader = Annotated[str | None, Header(alias="If-Match")]
IfNoneMatchHeader = Annotated[str | None, Header(alias="If-None-Match")]
# int64 bounds: a larger value is refused as invalid, never an overflow in a query.
_Int = Annotated[int | None, QueryParameter(ge=-(2**63), le=2**63 - 1)]


def _query_router() -> APIRouter:
    router = APIRouter()

    @router.get("/ServiceProviderConfig")
    async def service_provider_config(request: Request) -> Response:
        """What this service provider supports (RFC 7644 §4): patch, filters, sorting, ETags."""
        return ScimResponse(discovery.service_provider_config(base_url(request)))

    @router.get("/ResourceTypes")
    async def resource_types(request: Request) -> Response:
        """The resource types served: ``User`` and ``Group``."""
        found = discovery.resource_types(base_url(request))
        return _list(len(found), 1, found)

    @router.get("/ResourceTypes/{type_id}")
    async def resource_type(request: Request, type_id: str) -> Response:
        """One resource type by id; 404 for another."""
        for item in discovery.resource_types(base_url(request)):
            if item["id"] == type_id:
                return ScimResponse(item)
        raise NotFoundException(detail=f"There is no resource type '{type_id}'.")

    @router.get("/Schemas")
    async def schemas(request: Request) -> Response:
        """The schemas of the resources, with their attributes."""
        found = discovery.schemas(base_url(request))
        return _list(len(found), 1, found)

    @router.get("/Schemas/{schema_id}")
    async def schema(request: Request, schema_id: str) -> Response:
        """One schema by its URN; 404 for another."""
        for item in discovery.schemas(base_url(request)):
            if item["id"] == schema_id:
                return ScimResponse(item)
        raise NotFoundException(detail=f"There is no schema '{schema_id}'.")

    @router.post("/.search")
    async def search_all(request: Request, call: CallDep) -> Response:
        """A search of users and groups at once (RFC 7644 §3.4.3)."""
        search = _search_body(await _body(request))
        query = _query(search, None)
        total, resources = await scim_search.search_all(call, query)
        return _list(total, query.start_index, resources)

    return router


def _query(search: dict[str, Any], model: Any) -> Query:
    """A listing's parameters, checked; ``model`` None: names are not checked against one
    resource type (a search of every type; a name of one type selects nothing of the other)."""
    start, count = _paging(search.get("startIndex"), search.get("count"))
    attributes, excluded = search.get("attributes"), search.get("excludedAttributes")
    return Query(
        filter_text=search.get("filter") or None,
        sort_by=search.get("sortBy"),
        descending=_descending(search.get("sortOrder")),
        start_index=start,
        count=count,
        parameters=_parameters(model, attributes, excluded),
    )


def _resource_router(kind: ResourceKind) -> APIRouter:
    """The routes of one resource type (RFC 7644 §3.2's table)."""
    router = APIRouter(prefix=kind.endpoint)

    @router.get("")
    async def listing(
        call: CallDep,
        filter: str | None = None,
        sortBy: str | None = None,  # noqa: N803
        sortOrder: str | None = None,  # noqa: N803
        startIndex: _Int = None,  # noqa: N803
        count: _Int = None,
        attributes: str | None = None,
        excludedAttributes: str | None = None,  # noqa: N803
    ) -> Response:
        """A page of the resources, filtered and sorted as the query asks (RFC 7644 §3.4.2)."""
        search = {
            "filter": filter,
            "sortBy": sortBy,
            "sortOrder": sortOrder,
            "startIndex": startIndex,
            "count": count,
            "attributes": attributes,
            "excludedAttributes": excludedAttributes,
        }
        query = _query(search, kind.model)
        total, resources = await kind.listing(call, query)
        return _list(total, query.start_index, resources)

    @router.post("/.search")
    async def search(request: Request, call: CallDep) -> Response:
        """The listing with its parameters in a body (``POST /.search``)."""
        query = _query(_search_body(await _body(request)), kind.model)
        total, resources = await kind.listing(call, query)
        return _list(total, query.start_index, resources)

    @router.post("")
    async def create(request: Request, call: CallDep) -> Response:
        """Create a resource: 201 with it and its ``ETag``; 409 (``uniqueness``) when its
        name is taken."""
        answer = await kind.create(call, await _body(request))
        return _resource(answer.body, answer.version, status=201)

    @router.get("/{resource_id}")
    async def read(
        call: CallDep,
        resource_id: str,
        if_none_match: IfNoneMatchHeader = None,
        attributes: str | None = None,
        excludedAttributes: str | None = None,  # noqa: N803
    ) -> Response:
        """One resource, with its version as ``ETag`` (304 for a current ``If-None-Match``)."""
        parameters = _parameters(kind.model, attributes, excludedAttributes)
        answer = await kind.get(call, resource_id, parameters)
        if _not_modified(if_none_match, answer.version):
            return Response(status_code=304, headers={"ETag": answer.version})
        return _resource(answer.body, answer.version)

    @router.put("/{resource_id}")
    async def replace(
        request: Request, call: CallDep, resource_id: str, if_match: IfMatchHeader = None
    ) -> Response:
        """Replace a resource (``PUT``); 412 when ``If-Match`` is not its version."""
        answer = await kind.replace(call, resource_id, await _body(request), if_match)
        return _resource(answer.body, answer.version)

    @router.patch("/{resource_id}")
    async def patch(
        request: Request,
        call: CallDep,
        resource_id: str,
        if_match: IfMatchHeader = None,
        attributes: str | None = None,
        excludedAttributes: str | None = None,  # noqa: N803
    ) -> Response:
        """Change a resource with PATCH operations (RFC 7644 §3.5.2), all or nothing. A group
        is answered 204 with its new ``ETag`` unless ``attributes`` ask for it back."""
        parameters = _parameters(kind.model, attributes, excludedAttributes)
        answer = await kind.patch(call, resource_id, await _body(request), if_match, parameters)
        if isinstance(answer, str):
            return Response(status_code=204, headers={"ETag": answer})
        return _resource(answer.body, answer.version)

    @router.delete("/{resource_id}")
    async def delete(call: CallDep, resource_id: str, if_match: IfMatchHeader = None) -> Response:
        """Delete a resource: 204."""
        await kind.delete(call, resource_id, if_match)
        return Response(status_code=204)

    return router


def _search_body(payload: Any) -> dict[str, Any]:
    """The parameters of a ``POST /.search`` (RFC 7644 §3.4.3)."""
    try:
        request: SearchRequest[Any] = SearchRequest.model_validate(
            payload, scim_ctx=Context.SEARCH_REQUEST
        )
    except ValidationError as exc:
        raise _refused(exc) from exc
    return {
        "filter": str(request.filter) if request.filter is not None else None,
        "sortBy": str(request.sort_by) if request.sort_by is not None else None,
        "sortOrder": request.sort_order.value if request.sort_order is not None else None,
        "startIndex": request.start_index,
        "count": request.count,
        "attributes": ",".join(str(a) for a in request.attributes or []) or None,
        "excludedAttributes": ",".join(str(a) for a in request.excluded_attributes or []) or None,
    }


def create_scim_app(runtime: Runtime) -> FastAPI:
    """The SCIM service provider, sharing the API's runtime (settings, database, caches)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.add_exception_handler(SCIMException, _handle_scim)
    app.add_exception_handler(filters.FilterRefused, _handle_filter)
    app.add_exception_handler(OpenGroupsError, _handle_domain)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    for fault in DATABASE_FAULTS:
        app.add_exception_handler(fault, _handle_fault)
    for router in (
        _query_router(),
        _resource_router(scim_users.KIND),
        _resource_router(scim_groups.KIND),
    ):
        app.router.routes.extend(router.routes)
    return app


async def _handle_filter(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, filters.FilterRefused)
    return _error_response(Error(status=400, scim_type=exc.scim_type, detail=str(exc)))


# --- provisioning clients, in the API -----------------------------------------------------

router = APIRouter(prefix="/api/v1/scim/clients", tags=["scim"])


@router.get("", response_model=list[ScimClientResponse])
async def list_clients(session: SessionDep, _admin: AdminUser) -> list[ScimClientResponse]:
    """Every provisioning client (revoked ones too), oldest first; never their tokens."""
    return await clients.list_clients(session)


@router.post("", response_model=ScimClientCreated)
async def create_client(
    form: ScimClientForm, session: SessionDep, admin: AdminUser
) -> ScimClientCreated:
    """A new provisioning client and its bearer token, shown this once."""
    return await clients.create_client(session, name=form.name, created_by=admin.id)


@router.delete("/{client_id}", response_model=ScimClientResponse)
async def revoke_client(
    client_id: str, session: SessionDep, _admin: AdminUser
) -> ScimClientResponse:
    """Revoke a client: its token is refused from now on."""
    return await clients.revoke_client(session, client_id=client_id)
