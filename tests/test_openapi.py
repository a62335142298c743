"""The OpenAPI document says what the service answers and what it accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from opengroups.bootstrap import Runtime
from opengroups.groups.names import name_pattern
from opengroups.groups.schemas import GroupForm
from opengroups.schemas_common import Email
from opengroups.scim.endpoints import create_scim_app
from opengroups.transfer.schemas import BUNDLE_EXAMPLE, Bundle
from tests.conftest import Api

_METHODS = ("get", "post", "put", "patch", "delete")


async def _document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    ]


# Refusals whose body is a report of their own: an apply the Open WebUI target stopped.
_OWN_BODIES = {("post", "/api/v1/owui/targets/{name}/apply", "502"): "ApplyResult"}


async def test_every_refusal_has_the_error_schema(api: Api) -> None:
    document = await _document(api)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        assert "422" in responses, (method, path)
        for status, response in responses.items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]["$ref"]
            expected = _OWN_BODIES.get(
                (method, path, status), "ValidationProblem" if status == "422" else "Problem"
            )
            assert schema == f"#/components/schemas/{expected}", (method, path, status)


async def test_statuses_follow_what_the_route_depends_on(api: Api) -> None:
    document = await _document(api)
    paths = document["paths"]
    create = paths["/api/v1/groups/create"]["post"]["responses"]
    assert {"401", "403", "409", "413", "503"} <= set(create)
    update = paths["/api/v1/groups/id/{group_id}/update"]["post"]["responses"]
    assert {"401", "403", "404", "412"} <= set(update)
    assert "304" in paths["/api/v1/groups/id/{group_id}"]["get"]["responses"]
    signin = paths["/api/v1/auths/signin"]["post"]["responses"]
    assert {"400", "429"} <= set(signin)
    assert "401" not in signin
    assert "Retry-After" in signin["429"]["headers"]
    assert "410" in paths["/api/v1/changes"]["get"]["responses"]
    # A plain user's route: no admin refusal.
    assert "403" not in paths["/api/v1/users/permissions"]["get"]["responses"]


async def test_validation_problems_are_a_message_or_field_errors(api: Api) -> None:
    document = await _document(api)
    detail = document["components"]["schemas"]["ValidationProblem"]["properties"]["detail"]
    kinds = {option.get("type") for option in detail["anyOf"]}
    assert kinds == {"string", "array"}
    admin = await api.admin()
    field_errors = await api.client.post(
        "/api/v1/groups/create", json={"name": ""}, headers=admin.headers
    )
    message = await api.client.post(
        "/api/v1/groups/create",
        json={"name": "x", "permissions": {"no": {"such": True}}},
        headers=admin.headers,
    )
    assert field_errors.status_code == message.status_code == 422
    assert isinstance(field_errors.json()["detail"], list)
    assert isinstance(message.json()["detail"], str)


async def test_schemas_carry_the_rules_the_service_checks(api: Api) -> None:
    document = await _document(api)
    schemas = document["components"]["schemas"]
    # Null is refused for grants (send [] for none), so it is not offered.
    assert schemas["GrantsForm"]["properties"]["grants"]["type"] == "array"
    update = schemas["GroupUpdateForm"]["properties"]
    assert {"$ref": "#/components/schemas/GroupName"} in update["name"]["anyOf"]
    tree = schemas["PermissionTree"]
    assert tree["additionalProperties"] is False
    assert tree["properties"]["chat"]["properties"]["delete"] == {"type": "boolean"}
    assert "chat.delete" in schemas["PermissionCheck"]["properties"]["key"]["enum"]
    expires = schemas["StatusForm"]["properties"]["status_expires_at"]["anyOf"][0]
    assert (expires["type"], expires["minimum"]) == ("integer", 0)
    password = schemas["SignupForm"]["properties"]["password"]
    assert password["minLength"] == 1  # the suite's setting (tests/conftest.py)


async def test_a_method_the_path_lacks_is_405_naming_all_it_has(api: Api) -> None:
    response = await api.client.delete("/api/v1/auths/admin/config")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_an_etag_header_of_another_form_names_no_revision(api: Api) -> None:
    admin = await api.admin()
    group = await api.group("etags")
    path = f"/api/v1/groups/id/{group['id']}"
    changed = await api.client.post(
        f"{path}/update", json={"description": "x"}, headers=admin.headers | {"If-Match": "0"}
    )
    read = await api.client.get(path, headers=admin.headers | {"If-None-Match": "0"})
    assert (changed.status_code, read.status_code) == (412, 200)


async def test_every_operation_says_what_it_does(api: Api) -> None:
    document = await _document(api)
    silent = [
        (method, path)
        for path, method, operation in _operations(document)
        if not operation.get("description", "").strip()
    ]
    assert silent == []


def test_every_scim_route_says_what_it_does(runtime: Runtime) -> None:
    # The SCIM service provider publishes no document of its own (RFC 7644 has its discovery
    # routes); its routes are described all the same.
    routes = [route for route in create_scim_app(runtime).routes if isinstance(route, APIRoute)]
    assert routes
    assert [route.path for route in routes if not (route.description or "").strip()] == []


def _component(schema: dict[str, Any]) -> str | None:
    """The component a body's schema names (itself, or the items of an array of it)."""
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


async def test_request_bodies_and_answers_have_examples(api: Api) -> None:
    document = await _document(api)
    schemas = document["components"]["schemas"]
    lacking = []
    for path, method, operation in _operations(document):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            name = _component(media["schema"])
            schema = schemas[name] if name else media["schema"]
            if not ({"example", "examples"} & set(media) or "examples" in schema):
                lacking.append((method, path, "request", media_type))
        for media in operation["responses"].get("200", {}).get("content", {}).values():
            name = _component(media.get("schema", {}))
            if name and "examples" not in schemas[name]:
                lacking.append((method, path, "answer", name))
    assert lacking == []


def _models(annotation: Any, found: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model ``annotation`` names, its fields' models included, by name."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ in found:
            return
        found[annotation.__name__] = annotation
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
        return
    for argument in get_args(annotation):
        _models(argument, found)


def _route_models(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield route.response_model
            if route.body_field is not None:
                yield route.body_field.field_info.annotation


async def test_the_examples_are_what_the_service_accepts_and_answers(
    api: Api, app: FastAPI, runtime: Runtime
) -> None:
    document = await _document(api)
    models: dict[str, type[BaseModel]] = {}
    for annotation in _route_models(app):
        _models(annotation, models)
    catalog = runtime.authz.catalog
    checked = set()
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            if name == "PermissionTree":
                catalog.validate_tree(example)
            else:
                # As the service reads a body: JSON text, not Python objects.
                models[name].model_validate_json(json.dumps(example))
            if "permissions" in example and name.endswith("Form"):
                catalog.validate_tree(example["permissions"])
            checked.add(name)
    assert {"GroupForm", "SignupForm", "GroupResponse", "PermissionTree"} <= checked
    assert len(checked) > 40
    Bundle.model_validate_json(json.dumps(BUNDLE_EXAMPLE))


@cache
def _compiled_name_pattern() -> re.Pattern[str]:
    return re.compile(name_pattern())


def _accepted_name(text: str) -> bool:
    try:
        GroupForm.model_validate({"name": text})
    except ValidationError:
        return False
    return True


_NAMES = st.text(
    st.characters(blacklist_categories=["Cs"]) | st.sampled_from(" \t\u200b\u3164\ufeffa"),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(_NAMES)
def test_the_group_name_pattern_accepts_exactly_what_the_service_does(text: str) -> None:
    assert bool(_compiled_name_pattern().fullmatch(text)) == _accepted_name(text), repr(text)


_EMAIL = TypeAdapter(Email)


def _accepted_email(text: str) -> bool:
    try:
        _EMAIL.validate_python(text)
    except ValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"]) | st.sampled_from("@. a"), max_size=12))
def test_the_email_pattern_accepts_exactly_what_the_service_does(text: str) -> None:
    pattern = _EMAIL.json_schema()["pattern"]
    assert bool(re.search(pattern, text)) == _accepted_email(text), repr(text)
