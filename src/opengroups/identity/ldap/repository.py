"""The SQL of the LDAP sync: its links of accounts and groups to directory entries, and the
memberships its source holds (read whole, so that a sync compares in memory and writes only
what differs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.kit.sql import chunked
from opengroups.models import (
    GroupMemberSource,
    IdentityGroupLink,
    IdentityLink,
    MembershipSource,
    User,
    now_epoch,
)

PROVIDER = MembershipSource.LDAP.value
# The longest DN a link can hold (``identity_link.subject``, ``identity_group_link.key``).
MAX_DN_LENGTH = 512


async def account_links(session: AsyncSession) -> dict[str, IdentityLink]:
    """The directory's links to accounts, by subject (a user's normalised DN)."""
    result = await session.execute(select(IdentityLink).where(IdentityLink.provider == PROVIDER))
    return {link.subject: link for link in result.scalars()}


async def account_link(session: AsyncSession, subject: str) -> IdentityLink | None:
    return await session.get(IdentityLink, (PROVIDER, subject))


async def link_of_account(session: AsyncSession, user_id: str) -> IdentityLink | None:
    result = await session.execute(
        select(IdentityLink).where(
            IdentityLink.provider == PROVIDER, IdentityLink.user_id == user_id
        )
    )
    return result.scalars().first()


async def add_account_links(session: AsyncSession, links: Sequence[tuple[str, str, bool]]) -> None:
    """Link ``(subject, user id, created by the sync)``."""
    now = now_epoch()
    for chunk in chunked(links, 1_000):
        await session.execute(
            insert(IdentityLink),
            [
                {
                    "provider": PROVIDER,
                    "subject": subject,
                    "user_id": user_id,
                    "created_account": created,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for subject, user_id, created in chunk
            ],
        )


async def delete_account_links(session: AsyncSession, subjects: Sequence[str]) -> None:
    for chunk in chunked(subjects):
        await session.execute(
            delete(IdentityLink).where(
                IdentityLink.provider == PROVIDER, IdentityLink.subject.in_(chunk)
            )
        )


async def seen(session: AsyncSession, subject: str) -> None:
    """Note that the linked entry signed in now."""
    await session.execute(
        update(IdentityLink)
        .where(IdentityLink.provider == PROVIDER, IdentityLink.subject == subject)
        .values(last_seen_at=now_epoch())
    )


async def group_links(session: AsyncSession) -> dict[str, IdentityGroupLink]:
    """The directory's links to groups, by key (a group's normalised DN)."""
    result = await session.execute(
        select(IdentityGroupLink).where(IdentityGroupLink.provider == PROVIDER)
    )
    return {link.key: link for link in result.scalars()}


async def group_links_for(session: AsyncSession, keys: Sequence[str]) -> dict[str, str]:
    """The group ids these keys are linked to."""
    found: dict[str, str] = {}
    for chunk in chunked(keys):
        result = await session.execute(
            select(IdentityGroupLink.key, IdentityGroupLink.group_id).where(
                IdentityGroupLink.provider == PROVIDER, IdentityGroupLink.key.in_(chunk)
            )
        )
        found.update({key: group_id for key, group_id in result})
    return found


async def add_group_links(session: AsyncSession, links: Sequence[tuple[str, str, bool]]) -> None:
    """Link ``(key, group id, created by the sync)``."""
    now = now_epoch()
    for chunk in chunked(links, 1_000):
        await session.execute(
            insert(IdentityGroupLink),
            [
                {
                    "provider": PROVIDER,
                    "key": key,
                    "group_id": group_id,
                    "created_group": created,
                    "created_at": now,
                }
                for key, group_id, created in chunk
            ],
        )


async def delete_group_links(session: AsyncSession, keys: Sequence[str]) -> None:
    for chunk in chunked(keys):
        await session.execute(
            delete(IdentityGroupLink).where(
                IdentityGroupLink.provider == PROVIDER, IdentityGroupLink.key.in_(chunk)
            )
        )


async def users_by_email(session: AsyncSession, emails: Sequence[str]) -> dict[str, str]:
    """The ids of the accounts with these (lower-case) e-mails."""
    found: dict[str, str] = {}
    for chunk in chunked(emails):
        result = await session.execute(select(User.email, User.id).where(User.email.in_(chunk)))
        found.update({email: user_id for email, user_id in result})
    return found


async def memberships_held(session: AsyncSession) -> dict[str, set[str]]:
    """Every membership the ``ldap`` source holds: group id to user ids."""
    result = await session.execute(
        select(GroupMemberSource.group_id, GroupMemberSource.user_id).where(
            GroupMemberSource.source == PROVIDER
        )
    )
    held: dict[str, set[str]] = defaultdict(set)
    for group_id, user_id in result:
        held[group_id].add(user_id)
    return held
