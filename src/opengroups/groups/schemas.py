"""The seed's group models: ``GroupModel``, ``GroupResponse``, ``GroupExportResponse``,
``GroupForm``, ``GroupUpdateForm``, ``UserIdsForm``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from opengroups.groups.names import check_name
from opengroups.permissions.share import parse_share
from opengroups.schemas_common import MAX_USER_IDS, Description, Name

# A group's name: trimmed, 1 to 255 characters, nothing invisible in it (``names``).
# Its schema's ``pattern`` is long (every refused range): the OpenAPI document adds it where it
# sees this format (``opengroups.openapi``).
GroupName = Annotated[
    Name, AfterValidator(check_name), Field(json_schema_extra={"format": "group-name"})
]

# The examples' group, as the OpenAPI document shows it.
_GROUP: dict[str, Any] = {
    "id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
    "parent_group_id": None,
    "user_id": "3f0c2a5e-8b1d-4e7a-9c6f-2d4b8a1e7c35",
    "name": "Research",
    "description": "People who explore",
    "data": {"config": {"share": "members"}},
    "meta": None,
    "permissions": {"workspace": {"models": True}},
    "created_at": 1767225600,
    "updated_at": 1767312000,
}


def normalize_group_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate ``data.config`` and normalise ``share`` and ``default_models``.

    ``share`` becomes ``True``, ``False`` or ``"members"`` (``permissions.share.parse_share``);
    ``default_models`` becomes a list of trimmed, distinct, non-blank
    strings in their first order. Raises ``ValueError`` with the reason otherwise.
    """
    if data is None or "config" not in data or data["config"] is None:
        return data
    config = data["config"]
    if not isinstance(config, dict):
        raise ValueError("data.config must be an object")
    config = dict(config)
    if "share" in config:
        try:
            config["share"] = parse_share(config["share"])
        except ValueError:
            raise ValueError('data.config.share must be true, false or "members"') from None
    models = config.get("default_models")
    if models is not None:
        if not isinstance(models, list) or not all(
            isinstance(model, str) and model.strip() for model in models
        ):
            raise ValueError("data.config.default_models must be a list of non-blank model ids")
        config["default_models"] = list(dict.fromkeys(model.strip() for model in models))
    return {**data, "config": config}


class _GroupDataMixin(BaseModel):
    @field_validator("data", check_fields=False)
    @classmethod
    def _check_data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return normalize_group_data(value)


class GroupForm(_GroupDataMixin):
    """Create a group. Fields the server owns (``id``, ``user_id``, timestamps) are ignored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Research",
                    "description": "People who explore",
                    "permissions": {"workspace": {"models": True}},
                    "data": {"config": {"share": "members"}},
                }
            ]
        }
    )

    name: GroupName
    description: Description = ""
    permissions: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    parent_group_id: str | None = None


class GroupUpdateForm(_GroupDataMixin):
    """Partial update: fields not sent, or sent as null, stay unchanged (Open WebUI applies the
    form without its nulls, and clients send the whole form).

    ``parent_group_id: null`` is the exception, as in Open WebUI: it moves the group to the
    top. ``permissions`` replaces the tree (``{}`` clears it); ``data`` is merged into the
    stored data, ``config`` key by key.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "description": "People who explore, and write it down",
                    "permissions": {"workspace": {"models": True, "knowledge": True}},
                }
            ]
        }
    )

    name: GroupName | None = None
    description: Description | None = None
    permissions: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    parent_group_id: str | None = None


class UserIdsForm(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"user_ids": ["9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60"]}]}
    )

    user_ids: list[str] | None = Field(default=None, max_length=MAX_USER_IDS)


class GroupModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_GROUP]})

    id: str
    parent_group_id: str | None = None
    user_id: str
    name: str
    description: str
    data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    permissions: dict[str, Any] | None = None
    created_at: int
    updated_at: int


class GroupResponse(GroupModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GROUP | {"member_count": 12}]})

    member_count: int | None = None


class GroupExportResponse(GroupResponse):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [_GROUP | {"member_count": 1, "user_ids": [_GROUP["user_id"]]}]
        }
    )

    user_ids: list[str] = []


class GroupInfoResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    key: _GROUP[key]
                    for key in ("id", "parent_group_id", "user_id", "name", "description")
                }
                | {"member_count": 12, "created_at": 1767225600, "updated_at": 1767312000}
            ]
        }
    )

    id: str
    parent_group_id: str | None = None
    user_id: str
    name: str
    description: str
    member_count: int | None = None
    created_at: int
    updated_at: int


class UserGroupResponse(GroupModel):
    """``GET /users/groups?include_inherited=true``: a group and how the user belongs to it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_GROUP | {"membership_type": "inherited"}]}
    )

    membership_type: Literal["direct", "inherited"]
