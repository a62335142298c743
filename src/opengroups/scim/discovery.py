"""What the service provider publishes about itself (RFC 7644 §4): its configuration, its
resource types and their schemas, built from scim2-models' own descriptions of the resources
it serves, so that what is published is what is validated."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    URI,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Meta,
    Mutability,
    Patch,
    Reference,
    ResourceType,
    Schema,
    SchemaExtension,
    ServiceProviderConfig,
    Sort,
)
from scim2_models import Group as GroupResource
from scim2_models import User as CoreUser

# The largest page a listing answers (RFC 7644 §4: filter.maxResults).
MAX_RESULTS = 1000


def service_provider_config(base: str) -> dict[str, Any]:
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=True),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="The token of a SCIM client an administrator created.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )
    return config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _resource_types(base: str) -> list[ResourceType]:
    user = ResourceType(
        id="User",
        name="User",
        description="An account",
        endpoint=Reference[URI]("/Users"),
        schema_=Reference[URI](CoreUser.__schema__),
        schema_extensions=[
            SchemaExtension(schema_=Reference[URI](EnterpriseUser.__schema__), required=False)
        ],
        meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/User"),
    )
    group = ResourceType(
        id="Group",
        name="Group",
        description="A group of accounts and groups",
        endpoint=Reference[URI]("/Groups"),
        schema_=Reference[URI](GroupResource.__schema__),
        meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/Group"),
    )
    return [user, group]


def _schemas(base: str) -> list[Schema]:
    found = []
    for model in (CoreUser, EnterpriseUser, GroupResource):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
        if model is GroupResource:
            _members_display_read_only(schema)
        found.append(schema)
    return found


def _members_display_read_only(schema: Schema) -> None:
    """A member's ``display`` is the server's (RFC 7643 §2.4: the ``display`` of a multi-valued
    attribute is read-only): members are answered without one, whatever a client sent."""
    for attribute in schema.attributes or []:
        if attribute.name == "members":
            for sub in attribute.sub_attributes or []:
                if sub.name == "display":
                    sub.mutability = Mutability.read_only


def resource_types(base: str) -> list[dict[str, Any]]:
    return [t.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for t in _resource_types(base)]


def schemas(base: str) -> list[dict[str, Any]]:
    return [s.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for s in _schemas(base)]
