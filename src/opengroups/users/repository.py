"""The only place with SQL for users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from opengroups.kit.locks import Lock, hold
from opengroups.kit.sql import chunked, escape_like
from opengroups.models import GroupMember, User

ORDERABLE_COLUMNS: dict[str, InstrumentedAttribute[str] | InstrumentedAttribute[int]] = {
    "name": User.name,
    "email": User.email,
    "created_at": User.created_at,
    "last_active_at": User.last_active_at,
    "updated_at": User.updated_at,
    "role": User.role,
}


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def get_user_for_update(session: AsyncSession, user_id: str) -> User | None:
    """The user, row-locked until the transaction ends, with fresh values."""
    result = await session.execute(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def get_user_by_api_key_hash(session: AsyncSession, key_hash: str) -> User | None:
    result = await session.execute(select(User).where(User.api_key_hash == key_hash))
    return result.scalar_one_or_none()


async def lock_registration(session: AsyncSession) -> None:
    """Serialize sign-ups for the rest of the transaction (PostgreSQL; SQLite writers already
    are), so that two simultaneous first sign-ups cannot both become admin."""
    await hold(session, Lock.REGISTRATION)


async def primary_admin_id(session: AsyncSession) -> str | None:
    """The oldest admin: the account created first, which others may not demote or delete."""
    result = await session.execute(
        select(User.id).where(User.role == "admin").order_by(User.created_at, User.id).limit(1)
    )
    return result.scalar_one_or_none()


async def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def list_users(
    session: AsyncSession,
    *,
    query: str | None,
    order_by: str,
    descending: bool,
    limit: int | None,
    offset: int,
    role: str | None = None,
) -> tuple[list[User], int]:
    """A page of users and the total matching ``query`` (name or e-mail, case-insensitive) and
    ``role`` (any when None).

    ``order_by`` is a column name, or ``group_id:<id>`` to put that group's direct members first.
    """
    conditions: list[ColumnElement[bool]] = []
    if query:
        pattern = f"%{escape_like(query)}%"
        conditions.append(
            or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    if role is not None:
        conditions.append(User.role == role)
    statement = select(User).where(*conditions)
    if order_by.startswith("group_id:"):
        group_id = order_by.removeprefix("group_id:")
        in_group = exists().where(GroupMember.group_id == group_id, GroupMember.user_id == User.id)
        statement = statement.order_by(in_group.desc(), User.name, User.id)
    else:
        column = ORDERABLE_COLUMNS[order_by]
        statement = statement.order_by(column.desc() if descending else column.asc(), User.id)
    users = list((await session.execute(statement.limit(limit).offset(offset))).scalars())
    total = (
        await session.execute(select(func.count()).select_from(User).where(*conditions))
    ).scalar_one()
    return users, int(total)


async def count_by_role(session: AsyncSession) -> dict[str, int]:
    """How many users have each role (roles no one has are left out)."""
    result = await session.execute(select(User.role, func.count()).group_by(User.role))
    return {role: int(count) for role, count in result}


async def delete_user(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(User).where(User.id == user_id))


async def users_by_ids(session: AsyncSession, user_ids: Sequence[str]) -> list[User]:
    found: list[User] = []
    for chunk in chunked(sorted(set(user_ids))):
        found += (await session.execute(select(User).where(User.id.in_(chunk)))).scalars()
    return found


async def users_by_emails(session: AsyncSession, emails: Sequence[str]) -> list[User]:
    """Users whose (lower-cased) e-mail is among ``emails``."""
    found: list[User] = []
    for chunk in chunked(sorted({email.lower() for email in emails})):
        found += (await session.execute(select(User).where(User.email.in_(chunk)))).scalars()
    return found
