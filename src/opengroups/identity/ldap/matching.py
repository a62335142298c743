"""Directory entries to accounts and groups, one rule for the full sync and the sign-in.

An entry's account is the one linked to its DN (``IdentityLink``, provider ``ldap``); else the
account with its e-mail, which is then linked; else a new account when the directory may create
them (``create_users``), made as every account is (``users.service.register_user``: the
configured default role, the default group) and linked as created by the sync, which alone lets
a later sync delete it. An account is linked to one entry at most: a second entry with the same
e-mail is skipped, unless the first one's DN left the directory (the entry was renamed, or
moved), when the link moves with the account.

A group entry's group is the one linked to its DN (``IdentityGroupLink``); else the one its
name resolves to by the directory's ``GroupSync`` rules (``identity.sync.resolve``: by name or
mapping, created when ``create_groups``), which is then linked. A blocked name is never joined,
linked or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.auths.admin_config import get_admin_config
from opengroups.config import Settings
from opengroups.groups.schemas import GroupName
from opengroups.identity import repository as identity_repository
from opengroups.identity.accounts import usable_email
from opengroups.identity.config import LdapDirectory, blocked
from opengroups.identity.ldap import repository
from opengroups.identity.ldap.directory import DirectoryGroup, DirectoryUser
from opengroups.identity.sync import resolve
from opengroups.models import IdentityLink
from opengroups.permissions.policy import Authz
from opengroups.users import service as users_service

_GROUP_NAME = TypeAdapter(GroupName)


@dataclass
class Accounts:
    """What matching user entries found: each entry's account (by the entry's key), the links
    made, and the entries left out (no usable e-mail, an e-mail already linked, or no account
    and none may be created)."""

    of: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # subjects whose link moved to a new DN
    skipped: list[str] = field(default_factory=list)


@dataclass
class Groups:
    """What matching group entries found: each entry's group (by key), and those left out."""

    of: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)


async def match_accounts(
    session: AsyncSession,
    *,
    config: LdapDirectory,
    settings: Settings,
    entries: Sequence[DirectoryUser],
    links: Mapping[str, IdentityLink],
    present: Callable[[str], bool],
) -> Accounts:
    """The accounts of ``entries`` (``links``: the known links, at least those of these
    entries' DNs and of the accounts their e-mails name; ``present``: whether a linked DN is
    still in the directory, so that its link may not move). Creates and links as the module
    says; the caller holds the registration lock when it may create many."""
    found = Accounts()
    linked_to = {link.user_id: link for link in links.values()}
    taken: set[str] = set()
    waiting: list[tuple[DirectoryUser, str]] = []
    for entry in entries:
        link = links.get(entry.key)
        if link is not None:
            found.of[entry.key] = link.user_id
            taken.add(link.user_id)
            continue
        email = usable_email(entry.email)
        if email is None or len(entry.key) > repository.MAX_DN_LENGTH:
            found.skipped.append(entry.dn)
        else:
            waiting.append((entry, email))
    by_email = await repository.users_by_email(session, [email for _entry, email in waiting])
    new_links: list[tuple[str, str, bool]] = []
    role: str | None = None
    for entry, email in waiting:
        user_id = by_email.get(email)
        created = False
        if user_id is not None:
            old = linked_to.get(user_id)
            if user_id in taken or (old is not None and present(old.subject)):
                found.skipped.append(entry.dn)
                continue
            if old is not None:  # the entry's DN changed: the link, and what it allows, moves
                created = old.created_account
                found.moved.append(old.subject)
            found.linked.append(user_id)
        elif config.create_users:
            if role is None:
                role = (await get_admin_config(session, settings=settings)).DEFAULT_USER_ROLE
            user = await users_service.register_user(
                session,
                name=entry.name or entry.uid or email,
                email=email,
                role=role,
                password_hash=None,
                settings=settings,
            )
            user_id = by_email[email] = user.id
            created = True
            found.created.append(user_id)
        else:
            found.skipped.append(entry.dn)
            continue
        found.of[entry.key] = user_id
        taken.add(user_id)
        new_links.append((entry.key, user_id, created))
    await identity_repository.delete_links(
        session, provider=repository.PROVIDER, subjects=found.moved
    )
    await identity_repository.add_links(session, provider=repository.PROVIDER, links=new_links)
    return found


async def match_groups(
    session: AsyncSession,
    authz: Authz,
    *,
    config: LdapDirectory,
    settings: Settings,
    entries: Sequence[DirectoryGroup],
    links: Mapping[str, str],
) -> Groups:
    """The groups of ``entries`` (``links``: key to group id, at least for these entries),
    resolved and linked as the module says."""
    found = Groups()
    rules = config.groups
    new_links: list[tuple[str, str, bool]] = []
    for entry in entries:
        if blocked(entry.name, rules.blocked):
            found.blocked.append(entry.name)
            continue
        if entry.key in links:
            found.of[entry.key] = links[entry.key]
            continue
        if len(entry.key) > repository.MAX_DN_LENGTH or not _usable_name(entry.name):
            found.unusable.append(entry.name)
            continue
        resolved = await resolve(session, authz, [entry.name], rules, settings=settings)
        if not resolved.group_ids:
            found.unknown.append(entry.name)
            continue
        group_id = next(iter(resolved.group_ids))
        found.of[entry.key] = group_id
        if resolved.created:
            found.created += resolved.created
        else:
            found.linked.append(group_id)
        new_links.append((entry.key, group_id, bool(resolved.created)))
    await repository.add_group_links(session, new_links)
    return found


def _usable_name(name: str) -> bool:
    try:
        _GROUP_NAME.validate_python(name)
    except ValidationError:
        return False
    return True
