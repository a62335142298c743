"""What each identity provider did last and what it holds, for the admin page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import service as audit_service
from opengroups.identity.config import IdentityConfig
from opengroups.models import GroupMemberSource


@dataclass(frozen=True)
class ProviderStatus:
    source: str
    kind: str
    name: str
    memberships: int
    last_sync_at: int | None  # epoch milliseconds
    last_sync: dict[str, Any] | None


def sources(identity: IdentityConfig) -> list[tuple[str, str, str]]:
    """``(source, kind, name)`` of every configured provider."""
    found = [(f"oauth:{p.name}", "OpenID Connect", p.display_name or p.name) for p in identity.oidc]
    if identity.ldap is not None:
        found.append(("ldap", "LDAP", identity.ldap.url))
    if identity.header is not None:
        found.append(("header", "Trusted header", identity.header.email_header))
    return found


async def provider_status(session: AsyncSession, identity: IdentityConfig) -> list[ProviderStatus]:
    configured = sources(identity)
    counts = dict(
        (
            await session.execute(
                select(GroupMemberSource.source, func.count())
                .where(GroupMemberSource.source.in_([source for source, _, _ in configured]))
                .group_by(GroupMemberSource.source)
            )
        ).all()
    )
    found = []
    for source, kind, name in configured:
        page = await audit_service.list_events(
            session, action="identity.sync", resource_id=source, limit=1
        )
        last = page.items[0] if page.items else None
        found.append(
            ProviderStatus(
                source=source,
                kind=kind,
                name=name,
                memberships=int(counts.get(source, 0)),
                last_sync_at=last.occurred_at if last else None,
                last_sync=last.after if last else None,
            )
        )
    return found
