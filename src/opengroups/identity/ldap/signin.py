"""LDAP password sign-in, and the sync of one user's groups when they sign in.

A sign-in binds to the directory as the user's entry (in a worker thread); it is held to the
same throttle as the password sign-in (``auths.throttle``: a refused bind counts as a wrong
password), finds or creates the account as the full sync does (``matching``), then syncs that
user's ``ldap`` memberships from the groups the directory says they are in, nested parents
included. A directory that cannot be read leaves the memberships as they are.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.auths import service as auths_service
from opengroups.auths import throttle
from opengroups.auths.schemas import SessionUserResponse
from opengroups.errors import NotPermitted, OpenGroupsError
from opengroups.identity import repository as identity_repository
from opengroups.identity.config import LdapDirectory
from opengroups.identity.ldap import directory, matching, repository
from opengroups.identity.ldap.directory import DirectoryGroup, DirectoryUnavailable, SignedIn
from opengroups.identity.ldap.schemas import LdapSigninForm
from opengroups.identity.ldap.sync import SOURCE, SyncRuntime, configured
from opengroups.identity.sync import Changes, Resolved, record_sync, sync_user
from opengroups.kit.context import Actor, context_of
from opengroups.kit.db import Database
from opengroups.models import IdentityLink, User
from opengroups.users import repository as users_repository


class LdapSigninDisabled(NotPermitted):
    def __init__(self) -> None:
        super().__init__("LDAP sign-in is not configured on this instance (ldap.password_signin).")


class NoAccount(NotPermitted):
    def __init__(self) -> None:
        super().__init__(
            "The directory accepted the password, but no account matches this directory user "
            "and none may be created (or its e-mail is missing or linked to another entry). "
            "Ask an administrator."
        )


async def sync_at_signin(
    session: AsyncSession, runtime: SyncRuntime, *, user: User
) -> Changes | None:
    """Read the user's groups (nested parents included) and make the user's ``ldap``
    memberships exactly those. Nothing changes when the directory cannot be read (the problem
    is recorded) or has no entry for the user; then returns None. Raises
    ``LdapNotConfigured``."""
    config = configured(runtime.identity)
    link = await identity_repository.link_of_account(
        session, provider=repository.PROVIDER, user_id=user.id
    )
    try:
        found = await asyncio.to_thread(
            directory.read_user_groups,
            config,
            dn=link.subject if link is not None else None,
            email=user.email,
        )
    except DirectoryUnavailable as exc:
        record_sync(session, source=SOURCE, reason="sign-in", user_id=user.id, problem=exc.message)
        return None
    if found is None or found.groups is None:
        return None
    return await apply_user_groups(session, runtime, config, user_id=user.id, groups=found.groups)


async def apply_user_groups(
    session: AsyncSession,
    runtime: SyncRuntime,
    config: LdapDirectory,
    *,
    user_id: str,
    groups: list[DirectoryGroup],
) -> Changes:
    """Make the user's ``ldap`` memberships the groups these directory groups match, and record
    the sync."""
    matched = await matching.match_groups(
        session,
        runtime.authz,
        config=config,
        settings=runtime.settings,
        entries=groups,
        links=await repository.group_links_for(session, [group.key for group in groups]),
    )
    group_ids = set(matched.of.values())
    changes = await sync_user(
        session,
        user_id=user_id,
        source=SOURCE,
        group_ids=group_ids,
        authoritative=config.groups.authoritative,
    )
    resolved = Resolved(
        group_ids=group_ids,
        unknown=matched.unknown,
        blocked=matched.blocked,
        created=matched.created,
    )
    record_sync(
        session,
        source=SOURCE,
        reason="sign-in",
        user_id=user_id,
        changes=changes,
        resolved=resolved,
    )
    return changes


def signin_config(runtime: SyncRuntime) -> LdapDirectory:
    """The directory, when it signs users in. Raises ``LdapSigninDisabled``."""
    config = runtime.identity.ldap
    if config is None or not config.password_signin:
        raise LdapSigninDisabled()
    return config


async def signin(
    database: Database, runtime: SyncRuntime, *, form: LdapSigninForm, actor: Actor
) -> SessionUserResponse:
    """Sign in with a directory user's id or e-mail and password, answered as the password
    sign-in answers. Checking the throttle is a read; the bind runs in a worker thread outside
    any transaction; the outcome is written afterwards in a transaction of its own, which keeps
    a failure's count even though the sign-in is refused.

    Raises ``LdapSigninDisabled`` (403), ``TooManyAttempts`` (429), ``InvalidCredentials``
    (400: unknown user or wrong password), ``NoAccount`` (403), ``AccountInactive`` (403) and
    ``DirectoryUnavailable`` (502: nothing is counted or changed).
    """
    config = signin_config(runtime)
    limits = throttle.Limits.of(runtime.settings)
    login = form.user.lower()
    attempt = throttle.Attempt(email=login, address=actor.address)
    async with database.session(write=False) as session:
        await throttle.refuse_if_throttled(session, attempt, limits)
    checked = await asyncio.to_thread(
        directory.authenticate, config, login=form.user, password=form.password
    )
    refusal: OpenGroupsError | None = None
    async with database.session() as session:
        context_of(session).act_as(address=actor.address, request_id=actor.request_id)
        if checked is None:
            await auths_service.record_failed_signin(session, attempt, limits, login)
            refusal = auths_service.InvalidCredentials()
        else:
            user = await _account(session, runtime, config, checked)
            context_of(session).act_as(user_id=user.id)
            if not user.active:
                auths_service.record_signin(session, login, inactive=True)
                refusal = auths_service.AccountInactive()
            else:
                await throttle.forget_account(session, attempt)
                auths_service.record_signin(session, login)
                await identity_repository.seen(
                    session, provider=repository.PROVIDER, subject=checked.user.key
                )
                if checked.groups is None:
                    record_sync(
                        session,
                        source=SOURCE,
                        reason="sign-in",
                        user_id=user.id,
                        problem=checked.problem,
                    )
                else:
                    await apply_user_groups(
                        session, runtime, config, user_id=user.id, groups=checked.groups
                    )
                answer = await auths_service.issue_session(
                    session, runtime.authz, runtime.caches, user, runtime.settings
                )
    if refusal is not None:
        raise refusal
    return answer


async def _account(
    session: AsyncSession, runtime: SyncRuntime, config: LdapDirectory, checked: SignedIn
) -> User:
    """The account of the entry that signed in (``matching``; a link never moves here: only a
    full sync, which sees the whole directory, knows that the other entry is gone). Raises
    ``NoAccount``."""
    entry = checked.user
    links: dict[str, IdentityLink] = {}
    own = await identity_repository.link(session, provider=repository.PROVIDER, subject=entry.key)
    if own is not None:
        links[own.subject] = own
    elif entry.email:
        other = await users_repository.get_user_by_email(session, entry.email)
        held = (
            await identity_repository.link_of_account(
                session, provider=repository.PROVIDER, user_id=other.id
            )
            if other
            else None
        )
        if held is not None:
            links[held.subject] = held
    accounts = await matching.match_accounts(
        session,
        config=config,
        settings=runtime.settings,
        entries=[entry],
        links=links,
        present=lambda _subject: True,
    )
    user_id = accounts.of.get(entry.key)
    user = await users_repository.get_user(session, user_id) if user_id else None
    if user is None:
        raise NoAccount()
    return user
