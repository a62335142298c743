"""User rules: accounts, roles, deletion, and the groups a user belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, get_args

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.errors import EmailTaken, NotPermitted, UserNotFound
from opengroups.groups import hierarchy, visibility
from opengroups.groups import repository as groups_repository
from opengroups.groups.schemas import GroupModel, UserGroupResponse
from opengroups.kit.etags import Tagged, check_if_match
from opengroups.kit.pagination import offset_of
from opengroups.kit.passwords import Passwords
from opengroups.memberships import repository as memberships
from opengroups.memberships import service as memberships_service
from opengroups.memberships.schemas import UserInfoResponse
from opengroups.models import Group, User, new_id, now_epoch
from opengroups.permissions import Role
from opengroups.schemas_common import PROFILE_FIELDS
from opengroups.users import pictures, repository
from opengroups.users.schemas import (
    GroupRef,
    UserDetailResponse,
    UserGroupIdsListResponse,
    UserGroupIdsModel,
    UserIdName,
    UserIdNameListResponse,
    UserInfoListResponse,
    UserModel,
    UserUpdateForm,
)

USERS_PAGE_SIZE = 30


async def require_user(session: AsyncSession, user_id: str) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


async def primary_admin_id(session: AsyncSession) -> str | None:
    """The admin no one may demote or delete: the account the first sign-up created, else
    (accounts made another way, such as by the CLI) the oldest admin."""
    recorded = await appconfig.recorded_primary_admin_id(session)
    if recorded is not None:
        user = await repository.get_user(session, recorded)
        if user is not None and user.role == "admin":
            return recorded
    return await repository.primary_admin_id(session)


def _new_user(
    *,
    user_id: str | None,
    name: str,
    email: str,
    role: str,
    password_hash: str | None,
    profile_image_url: str | None,
) -> User:
    now = now_epoch()
    user_id = user_id or new_id()
    return User(
        id=user_id,
        name=name,
        email=email.lower(),
        role=role,
        password_hash=password_hash,
        profile_image_url=profile_image_url or pictures.picture_path(user_id),
        last_active_at=now,
        created_at=now,
        updated_at=now,
    )


def _record_created(session: AsyncSession, user: User) -> None:
    recorder.record(
        session,
        action="user.create",
        resource_type="user",
        resource_id=user.id,
        after=snapshot(user),
        actor_id=recorder.actor_of(session).user_id or user.id,  # a sign-up acts for itself
    )


async def create_user(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    role: str,
    password_hash: str | None,
    profile_image_url: str | None = None,
    user_id: str | None = None,
) -> User:
    """Insert a user (``password_hash`` from ``Passwords.hash_new``, computed before the
    transaction began; none: an account without a password) and record it. Raises
    ``EmailTaken`` (e-mails are unique, case-insensitively)."""
    if await repository.get_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    user = _new_user(
        user_id=user_id,
        name=name,
        email=email,
        role=role,
        password_hash=password_hash,
        profile_image_url=profile_image_url,
    )
    await repository.add_user(session, user)
    _record_created(session, user)
    return user


def add_pending_users(session: AsyncSession, wanted: Sequence[tuple[str, str, str]]) -> list[User]:
    """Add ``(id, name, e-mail)`` accounts without a password, role ``pending``, and record
    them; the caller has checked that the ids and e-mails are free, and flushes (for imports,
    which create many at once)."""
    users = [
        _new_user(
            user_id=user_id,
            name=name,
            email=email,
            role="pending",
            password_hash=None,
            profile_image_url=None,
        )
        for user_id, name, email in wanted
    ]
    session.add_all(users)
    for user in users:
        _record_created(session, user)
    return users


async def register_user(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    role: str,
    password_hash: str | None,
    settings: Settings,
    profile_image_url: str | None = None,
    user_id: str | None = None,
) -> User:
    """Create an account as every entry point does (sign-up, ``auths/add``, the CLI, SCIM): the
    first admin is recorded as the primary admin, and the account joins the default group.

    Raises ``EmailTaken``.
    """
    user = await create_user(
        session,
        name=name,
        email=email,
        role=role,
        password_hash=password_hash,
        profile_image_url=profile_image_url,
        user_id=user_id,
    )
    if role == "admin" and await appconfig.recorded_primary_admin_id(session) is None:
        await appconfig.remember_primary_admin(session, user.id)
    await memberships_service.add_default_membership(session, user=user, settings=settings)
    return user


async def list_users(
    session: AsyncSession,
    *,
    query: str | None,
    order_by: str,
    direction: str,
    page: int,
    page_size: int = USERS_PAGE_SIZE,
    role: Role | None = None,
) -> UserGroupIdsListResponse:
    """A page of users (of ``role`` only, when given), each with its direct group ids (fetched
    in one batch)."""
    users, total = await repository.list_users(
        session,
        query=query,
        order_by=order_by,
        descending=direction == "desc",
        limit=page_size,
        offset=offset_of(page, page_size),
        role=role,
    )
    group_ids = await memberships.direct_group_ids_by_user(session, [u.id for u in users])
    return UserGroupIdsListResponse(
        users=[
            UserGroupIdsModel(
                **UserModel.model_validate(user).model_dump(), group_ids=group_ids.get(user.id, [])
            )
            for user in users
        ],
        total=total,
    )


async def role_counts(session: AsyncSession) -> dict[Role, int]:
    """How many users have each role, every role present (pending ones wait for an admin)."""
    counts = await repository.count_by_role(session)
    return {role: counts.get(role, 0) for role in get_args(Role)}


async def all_users(session: AsyncSession) -> UserInfoListResponse:
    """Every user, oldest first, unpaginated as Open WebUI answers it (prefer ``GET /users/``
    for large instances)."""
    users, total = await repository.list_users(
        session, query=None, order_by="created_at", descending=False, limit=None, offset=0
    )
    return UserInfoListResponse(
        users=[UserInfoResponse.model_validate(user) for user in users], total=total
    )


async def search_users(
    session: AsyncSession, *, query: str | None, page: int
) -> UserIdNameListResponse:
    """A page of ids and names whose name or e-mail contains ``query``, by name."""
    users, total = await repository.list_users(
        session,
        query=query,
        order_by="name",
        descending=False,
        limit=USERS_PAGE_SIZE,
        offset=offset_of(page, USERS_PAGE_SIZE),
    )
    return UserIdNameListResponse(
        users=[UserIdName(id=user.id, name=user.name) for user in users], total=total
    )


# Open WebUI counts a user active for three minutes after their last request.
ACTIVE_SECONDS = 180


async def is_active(session: AsyncSession, *, viewer: User, user_id: str) -> bool:
    """Whether a user the viewer may look up (``visible_user``) was seen in the last
    ``ACTIVE_SECONDS``. Raises ``UserNotFound``."""
    user, _groups = await visible_user(session, viewer=viewer, user_id=user_id)
    return now_epoch() - user.last_active_at <= ACTIVE_SECONDS


def _group_model(group: Group, *, redact: bool) -> GroupModel:
    model = GroupModel.model_validate(group)
    return model.model_copy(update={"permissions": None, "meta": None}) if redact else model


async def user_groups(
    session: AsyncSession, *, user_id: str, include_inherited: bool, redact: bool
) -> list[GroupModel] | list[UserGroupResponse]:
    """The user's direct groups, or with ``include_inherited`` every effective group tagged
    ``direct`` or ``inherited``."""
    direct = await memberships.direct_group_ids(session, user_id)
    if not include_inherited:
        groups = await groups_repository.groups_by_ids(session, direct)
        return [_group_model(group, redact=redact) for group in groups]
    effective = await hierarchy.member_group_ids(session, user_id)
    groups = await groups_repository.groups_by_ids(session, effective)
    return [
        UserGroupResponse(
            **_group_model(group, redact=redact).model_dump(),
            membership_type="direct" if group.id in direct else "inherited",
        )
        for group in groups
    ]


async def visible_groups_of(session: AsyncSession, *, viewer: User, user: User) -> list[Group]:
    """The direct groups of ``user`` that ``viewer`` may see (all of them for an admin)."""
    groups = await groups_repository.groups_by_ids(
        session, await memberships.direct_group_ids(session, user.id)
    )
    return await visibility.visible_among(session, viewer=viewer, groups=groups)


async def visible_user(
    session: AsyncSession, *, viewer: User, user_id: str
) -> tuple[User, list[Group]]:
    """A user a signed-in ``viewer`` may look up, with the direct groups of theirs the viewer
    may see: admins may look up anyone, others themselves and the members of a group they may
    see. Anyone else is ``UserNotFound``, so that an account's existence does not leak (Open
    WebUI shows any user to any signed-in user: its weakness S4)."""
    user = await require_user(session, user_id)
    groups = await visible_groups_of(session, viewer=viewer, user=user)
    if viewer.role != "admin" and viewer.id != user.id and not groups:
        raise UserNotFound(user_id)
    return user, groups


async def user_info(session: AsyncSession, *, viewer: User, user_id: str) -> UserInfoResponse:
    """Open WebUI's ``UserInfoResponse`` of a user the viewer may look up (``visible_user``),
    with the direct groups the viewer may see as ``{id, name}``. Raises ``UserNotFound``."""
    user, groups = await visible_user(session, viewer=viewer, user_id=user_id)
    info = UserInfoResponse.model_validate(user)
    return info.model_copy(update={"groups": [{"id": g.id, "name": g.name} for g in groups]})


async def get_user_detail(session: AsyncSession, *, user_id: str) -> Tagged[UserDetailResponse]:
    """The user with the names of their direct groups, and the user's revision. Raises
    ``UserNotFound``."""
    user = await require_user(session, user_id)
    groups = await groups_repository.groups_by_ids(
        session, await memberships.direct_group_ids(session, user_id)
    )
    detail = UserDetailResponse(
        **UserModel.model_validate(user).model_dump(),
        groups=[GroupRef(id=group.id, name=group.name) for group in groups],
    )
    return Tagged(detail, user.revision)


def snapshot(user: User) -> dict[str, Any]:
    """The user's fields as the audit trail records them (never the password or the key)."""
    return {
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "profile_image_url": user.profile_image_url,
        **{field: _plain(getattr(user, field)) for field in PROFILE_FIELDS},
    }


def _plain(value: Any) -> Any:
    """A value as JSON holds it (a date as its ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def end_sessions(user: User) -> None:
    """End every token and admin session issued to ``user`` so far (each carries the version
    it was issued at). Also a change of the row (``user_changed``)."""
    user.token_version += 1
    user_changed(user)


def user_changed(user: User) -> None:
    """Note a change of ``user``'s row: a new ETag. (Recording the change, which every change
    does, drops every process's cached copy of the user.)"""
    user.revision += 1


async def lock_user(session: AsyncSession, user_id: str, *, if_match: str | None) -> User:
    """The user, row-locked for the transaction, checked against ``if_match``. Raises
    ``UserNotFound``, ``PreconditionFailed``."""
    user = await repository.get_user_for_update(session, user_id)
    if user is None:
        raise UserNotFound(user_id)
    check_if_match(if_match, user.revision)
    return user


async def update_user(
    session: AsyncSession,
    passwords: Passwords,
    *,
    actor: User,
    user_id: str,
    form: UserUpdateForm,
    if_match: str | None = None,
) -> Tagged[UserModel]:
    """Apply the fields sent (``actor`` is the admin making the change). The primary admin's
    role cannot be changed; e-mails stay unique.

    Raises ``UserNotFound``, ``PreconditionFailed``, ``NotPermitted``, ``EmailTaken``,
    ``InvalidInput`` (a password the policy refuses).
    """
    # Hashed before the first statement: no lock is held while argon2 works. (The policy is
    # checked against the account's e-mail once the row is read.)
    new_hash = None
    if form.password is not None:
        new_hash = await passwords.hash_new(form.password, email=form.email or "")
    user = await lock_user(session, user_id, if_match=if_match)
    if form.password is not None:
        passwords.check(form.password, email=form.email or user.email)
    before = snapshot(user)
    changes: dict[str, Any] = {
        key: value
        for key, value in form.model_dump(exclude_unset=True).items()
        if value is not None
    }
    role_changes = "role" in changes and changes["role"] != user.role
    if role_changes and user.id == await primary_admin_id(session):
        raise NotPermitted("The primary admin's role cannot be changed.")
    if "email" in changes and changes["email"] != user.email:
        other = await repository.get_user_by_email(session, changes["email"])
        if other is not None and other.id != user.id:
            raise EmailTaken(changes["email"])
    password_changed = "password" in changes
    if password_changed:
        changes.pop("password")
        user.password_hash = new_hash
    for field in ("role", "name", "email", "profile_image_url", *PROFILE_FIELDS):
        if field in changes:
            setattr(user, field, changes[field])
    await record_update(
        session,
        user,
        before,
        snapshot(user),
        password_changed=password_changed,
        # A new password or role: sessions from before must not last.
        end_them=password_changed or role_changes,
        # A role change turns the admin bypass on or off for this user.
        affects_permissions=role_changes,
    )
    return Tagged(UserModel.model_validate(user), user.revision)


async def record_update(
    session: AsyncSession,
    user: User,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    password_changed: bool,
    end_them: bool,
    affects_permissions: bool = False,
) -> None:
    """Note and record a change of a locked user's row made by the caller: ``before`` and
    ``after`` are its snapshots (the audit event keeps what differs). ``end_them`` ends every
    session issued before. Does nothing when nothing changed."""
    if after == before and not password_changed:
        return
    user.updated_at = now_epoch()
    if end_them:
        end_sessions(user)
    else:
        user_changed(user)
    await session.flush()
    recorder.record(
        session,
        action="user.update",
        resource_type="user",
        resource_id=user.id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={
            **{k: v for k, v in after.items() if before[k] != v},
            **({"password_changed": True} if password_changed else {}),
        },
        affected_user_ids=[user.id] if affects_permissions else None,
    )


async def update_own_profile(
    session: AsyncSession, passwords: Passwords, *, user: User, form: BaseModel
) -> UserModel:
    """A user's change of their own profile or status fields (``form`` holds only such
    fields): recorded as any update, by them."""
    changes = UserUpdateForm.model_validate(form.model_dump(exclude_unset=True))
    tagged = await update_user(session, passwords, actor=user, user_id=user.id, form=changes)
    return tagged.value


async def delete_user(
    session: AsyncSession, *, actor: User | None, user_id: str, if_match: str | None = None
) -> None:
    """Delete the user and, in the same transaction, every membership and grant they hold (the
    grants by a trigger, whoever deletes the user). ``actor`` None: a provisioning client.

    Raises ``UserNotFound``, ``PreconditionFailed``; ``NotPermitted`` for the primary admin
    and for oneself.
    """
    user = await lock_user(session, user_id, if_match=if_match)
    if actor is not None and user.id == actor.id:
        raise NotPermitted("You cannot delete your own account.")
    if user.id == await primary_admin_id(session):
        raise NotPermitted("The primary admin cannot be deleted.")
    before = snapshot(user)
    group_ids = await memberships.delete_user_memberships(session, user.id)
    await groups_repository.touch_groups(session, group_ids, now_epoch())
    await repository.delete_user(session, user.id)
    recorder.record(
        session,
        action="user.delete",
        resource_type="user",
        resource_id=user.id,
        before={**before, "group_ids": sorted(group_ids)},
        affected_user_ids=[user.id],
    )
