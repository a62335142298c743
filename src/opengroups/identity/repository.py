"""The only SQL of identity providers' links to accounts (``identity_link``), for every
provider: OIDC and trusted-header sign-ins link one account at a time, the LDAP sync many."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.kit.sql import chunked
from opengroups.models import IdentityLink, now_epoch


async def link(session: AsyncSession, *, provider: str, subject: str) -> IdentityLink | None:
    return await session.get(IdentityLink, (provider, subject))


async def links_by_subject(session: AsyncSession, *, provider: str) -> dict[str, IdentityLink]:
    """Every link of ``provider``, by subject."""
    result = await session.execute(select(IdentityLink).where(IdentityLink.provider == provider))
    return {found.subject: found for found in result.scalars()}


async def has_links(session: AsyncSession, *, provider: str) -> bool:
    result = await session.execute(
        select(IdentityLink.subject).where(IdentityLink.provider == provider).limit(1)
    )
    return result.first() is not None


async def link_of_account(
    session: AsyncSession, *, provider: str, user_id: str
) -> IdentityLink | None:
    result = await session.execute(
        select(IdentityLink).where(
            IdentityLink.provider == provider, IdentityLink.user_id == user_id
        )
    )
    return result.scalars().first()


async def add_links(
    session: AsyncSession, *, provider: str, links: Sequence[tuple[str, str, bool]]
) -> None:
    """Link ``(subject, user id, whether the provider's sign-in or sync created the
    account)``."""
    now = now_epoch()
    for chunk in chunked(links, 1_000):
        await session.execute(
            insert(IdentityLink),
            [
                {
                    "provider": provider,
                    "subject": subject,
                    "user_id": user_id,
                    "created_account": created,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for subject, user_id, created in chunk
            ],
        )


async def delete_links(session: AsyncSession, *, provider: str, subjects: Sequence[str]) -> None:
    for chunk in chunked(subjects):
        await session.execute(
            delete(IdentityLink).where(
                IdentityLink.provider == provider, IdentityLink.subject.in_(chunk)
            )
        )


async def seen(session: AsyncSession, *, provider: str, subject: str) -> None:
    """Note that the linked identity signed in now."""
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
