"""The only place with SQL for access grants."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.memberships.repository import effective_group_ids_query
from opengroups.models import AccessGrant, AccessResource, new_id, now_epoch

EVERYONE = "*"


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


def _matches_user(user_id: str) -> ColumnElement[bool]:
    """The grant applies to ``user_id``: to them, to every signed-in user, to anyone, or to a
    group they are an effective member of."""
    return or_(
        and_(
            AccessGrant.principal_type == "user", AccessGrant.principal_id.in_([user_id, EVERYONE])
        ),
        AccessGrant.principal_type == "anyone",
        and_(
            AccessGrant.principal_type == "group",
            AccessGrant.principal_id.in_(effective_group_ids_query(user_id)),
        ),
    )


async def has_access(
    session: AsyncSession, *, user_id: str, resource_type: str, resource_id: str, permission: str
) -> bool:
    statement = select(
        exists().where(
            AccessGrant.resource_type == resource_type,
            AccessGrant.resource_id == resource_id,
            AccessGrant.permission == permission,
            _matches_user(user_id),
        )
    )
    return bool((await session.execute(statement)).scalar())


async def accessible_resource_ids(
    session: AsyncSession, *, user_id: str | None, resource_type: str, permission: str
) -> list[str]:
    """Resource ids of the type that ``user_id`` may use with ``permission`` (every id with a
    grant of that permission when ``user_id`` is None)."""
    conditions = [AccessGrant.resource_type == resource_type, AccessGrant.permission == permission]
    if user_id is not None:
        conditions.append(_matches_user(user_id))
    result = await session.execute(
        select(AccessGrant.resource_id)
        .where(*conditions)
        .distinct()
        .order_by(AccessGrant.resource_id)
    )
    return list(result.scalars())


async def delete_grants_of_principals(
    session: AsyncSession, principal_type: str, principal_ids: Collection[str]
) -> None:
    """Delete every grant naming one of these principals."""
    if principal_ids:
        await session.execute(
            delete(AccessGrant).where(
                AccessGrant.principal_type == principal_type,
                AccessGrant.principal_id.in_(list(principal_ids)),
            )
        )


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
