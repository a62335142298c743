"""The SQL of the LDAP sync: its links of groups to directory entries, and the memberships its
source holds (read whole, so that a sync compares in memory and writes only what differs). Its
links of accounts are ``identity.repository``'s, under ``PROVIDER``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.kit.sql import chunked
from opengroups.models import (
    GroupMemberSource,
    IdentityGroupLink,
    MembershipSource,
    User,
    now_epoch,
)

PROVIDER = MembershipSource.LDAP.value
# The longest DN a link can hold (``identity_link.subject``, ``identity_group_link.key``).
MAX_DN_LENGTH = 512


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
