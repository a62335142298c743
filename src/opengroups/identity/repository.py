"""The only SQL of identity providers' links to accounts."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import IdentityLink, now_epoch


async def link(session: AsyncSession, *, provider: str, subject: str) -> IdentityLink | None:
    result = await session.execute(
        select(IdentityLink).where(
            IdentityLink.provider == provider, IdentityLink.subject == subject
        )
    )
    return result.scalar_one_or_none()


def add_link(
    session: AsyncSession, *, provider: str, subject: str, user_id: str, created_account: bool
) -> IdentityLink:
    now = now_epoch()
    found = IdentityLink(
        provider=provider,
        subject=subject,
        user_id=user_id,
        created_account=created_account,
        created_at=now,
        last_seen_at=now,
    )
    session.add(found)
    return found


async def seen(session: AsyncSession, *, provider: str, subject: str) -> None:
    await session.execute(
        update(IdentityLink)
        .where(IdentityLink.provider == provider, IdentityLink.subject == subject)
        .values(last_seen_at=now_epoch())
    )


async def links_of(session: AsyncSession, user_id: str) -> list[IdentityLink]:
    result = await session.execute(
        select(IdentityLink)
        .where(IdentityLink.user_id == user_id)
        .order_by(IdentityLink.provider, IdentityLink.subject)
    )
    return list(result.scalars())
