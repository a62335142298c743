"""The only place with SQL for access grants."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import and_, bindparam, delete, exists, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.groups.hierarchy import MEMBER_GROUPS
from opengroups.kit.planner_hints import unindexed
from opengroups.models import AccessGrant, AccessResource, new_id, now_epoch
from opengroups.models.grant import EVERYONE


async def grants_of(
    session: AsyncSession, resource_type: str, resource_id: str
) -> list[AccessGrant]:
    result = await session.execute(
        select(AccessGrant)
        .where(AccessGrant.resource_type == resource_type, AccessGrant.resource_id == resource_id)
        .order_by(AccessGrant.permission, AccessGrant.principal_type, AccessGrant.principal_id)
    )
    return list(result.scalars())


async def replace_grants(
    session: AsyncSession,
    *,
    resource_type: str,
    resource_id: str,
    grants: Sequence[tuple[str, str, str]],
) -> None:
    """Make ``(principal_type, principal_id, permission)`` the resource's whole set."""
    await session.execute(
        delete(AccessGrant).where(
            AccessGrant.resource_type == resource_type, AccessGrant.resource_id == resource_id
        )
    )
    now = now_epoch()
    session.add_all(
        AccessGrant(
            id=new_id(),
            resource_type=resource_type,
            resource_id=resource_id,
            principal_type=principal_type,
            principal_id=principal_id,
            permission=permission,
            created_at=now,
        )
        for principal_type, principal_id, permission in dict.fromkeys(grants)
    )
    await session.flush()


# Grants that apply to the user bound as ``MEMBER_GROUPS.param``: to them, to every signed-in
# user, to anyone, or to a group they are an effective member of.
_TO_USER = and_(
    AccessGrant.principal_type == "user",
    AccessGrant.principal_id.in_([MEMBER_GROUPS.param, EVERYONE]),
)
_TO_ANYONE = AccessGrant.principal_type == "anyone"
_TO_GROUPS = and_(
    AccessGrant.principal_type == "group",
    AccessGrant.principal_id.in_(MEMBER_GROUPS.ids),
)

_HAS_ACCESS = select(
    exists(AccessGrant.principal_id).where(
        AccessGrant.resource_type == bindparam("resource_type"),
        AccessGrant.resource_id == bindparam("resource_id"),
        AccessGrant.permission == bindparam("permission"),
        or_(_TO_USER, _TO_ANYONE, _TO_GROUPS),
    )
)
# One branch per kind of principal, each a few seeks of the principal index; UNION removes
# repeats. (Left to itself, SQLite reads every grant of the type through the unique index to
# save sorting a few rows, hence ``unindexed``.)
_ACCESSIBLE_TO_USER = union(
    *(
        select(AccessGrant.resource_id).where(
            to_user,
            unindexed(AccessGrant.resource_type) == bindparam("resource_type"),
            AccessGrant.permission == bindparam("permission"),
        )
        for to_user in (_TO_USER, _TO_ANYONE, _TO_GROUPS)
    )
).order_by("resource_id")
_ACCESSIBLE_TO_ALL = (
    select(AccessGrant.resource_id)
    .where(
        AccessGrant.resource_type == bindparam("resource_type"),
        AccessGrant.permission == bindparam("permission"),
    )
    .distinct()
    .order_by(AccessGrant.resource_id)
)


async def has_access(
    session: AsyncSession, *, user_id: str, resource_type: str, resource_id: str, permission: str
) -> bool:
    params = {
        **MEMBER_GROUPS.bind(user_id),
        "resource_type": resource_type,
        "resource_id": resource_id,
        "permission": permission,
    }
    return bool((await session.execute(_HAS_ACCESS, params)).scalar())


async def accessible_resource_ids(
    session: AsyncSession, *, user_id: str | None, resource_type: str, permission: str
) -> list[str]:
    """Resource ids of the type that ``user_id`` may use with ``permission`` (every id with a
    grant of that permission when ``user_id`` is None)."""
    params = {"resource_type": resource_type, "permission": permission}
    if user_id is None:
        result = await session.execute(_ACCESSIBLE_TO_ALL, params)
    else:
        result = await session.execute(
            _ACCESSIBLE_TO_USER, {**params, **MEMBER_GROUPS.bind(user_id)}
        )
    return list(result.scalars())


async def resources_granted_to_groups(
    session: AsyncSession, group_ids: Collection[str], *, permission: str = "read"
) -> list[tuple[str, str]]:
    """``(resource_type, resource_id)`` readable through one of the groups or by everyone."""
    result = await session.execute(
        select(AccessGrant.resource_type, AccessGrant.resource_id)
        .where(
            AccessGrant.permission == permission,
            or_(
                and_(
                    AccessGrant.principal_type == "group",
                    AccessGrant.principal_id.in_(list(group_ids)),
                ),
                and_(AccessGrant.principal_type == "user", AccessGrant.principal_id == EVERYONE),
                AccessGrant.principal_type == "anyone",
            ),
        )
        .distinct()
        .order_by(AccessGrant.resource_type, AccessGrant.resource_id)
    )
    return [(rt, rid) for rt, rid in result]


async def get_resource(
    session: AsyncSession, resource_type: str, resource_id: str
) -> AccessResource | None:
    return await session.get(AccessResource, (resource_type, resource_id))


async def add_resource(
    session: AsyncSession, *, resource_type: str, resource_id: str, owner_id: str
) -> AccessResource:
    resource = AccessResource(
        resource_type=resource_type,
        resource_id=resource_id,
        owner_id=owner_id,
        created_at=now_epoch(),
    )
    session.add(resource)
    await session.flush()
    return resource
