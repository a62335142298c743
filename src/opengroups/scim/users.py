"""SCIM users: create, read, list, replace, patch and delete accounts, by the same rules as the
API (``users.service``: e-mails unique, the primary admin kept, every change recorded).

``active: false`` ends every session and API key use of the account and refuses its sign-in,
without deleting it (``auths.service`` checks ``User.active``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    PatchOp,
    SCIMException,
    UniquenessException,
)
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.kit.passwords import Passwords
from opengroups.models import User, new_id
from opengroups.scim import dialects, documents, filters, repository
from opengroups.scim.calls import Answer, Call, Parameters, Query, ResourceKind
from opengroups.scim.documents import UserResource, UserValues
from opengroups.scim.errors import from_validation
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service

# The role of an account a provisioning client creates: the identity provider decided that
# this person may use the service.
PROVISIONED_ROLE = "user"
# The attributes of the row SCIM sets beyond ``users.service.snapshot``'s, for the audit trail.
_SCIM_FIELDS = ("user_name", "external_id", "active")


class InvalidResource(SCIMException):
    """A payload scim2-models refused, with its own status and scimType."""

    def __init__(self, exc: ValidationError) -> None:
        error = from_validation(exc)
        super().__init__(detail=error.detail or "The resource is not valid.")
        self.status = error.status or 400
        self.scim_type = error.scim_type or "invalidValue"


def parse(payload: Any, context: Context, base: str) -> UserResource:
    try:
        return UserResource.model_validate(
            dialects.user_payload(payload, base), scim_ctx=context, scim_policy=dialects.POLICY
        )
    except ValidationError as exc:
        raise InvalidResource(exc) from exc


async def _answer(call: Call, user: User, parameters: Parameters) -> Answer:
    groups = (await repository.groups_of_users(call.session, [user.id])).get(user.id, [])
    document = documents.user_json(user, groups, call.base)
    return Answer(
        documents.render(document, UserResource, parameters), documents.version_of(user.revision)
    )


async def get_user(call: Call, user_id: str, parameters: Parameters) -> Answer:
    user = await users_service.require_user(call.session, user_id)
    return await _answer(call, user, parameters)


async def list_users(call: Call, query: Query) -> tuple[int, list[dict[str, Any]]]:
    """``(totalResults, resources)`` of one page, filtered, sorted and cut in SQL."""
    total, users = await repository.page(
        call.session,
        User,
        where=filters.user_filter(query.filter_text) if query.filter_text else None,
        order=filters.user_order(query.sort_by) if query.sort_by else None,
        descending=query.descending,
        offset=query.start_index - 1,
        limit=query.count,
    )
    groups = await repository.groups_of_users(call.session, [user.id for user in users])
    return total, [
        documents.render(
            documents.user_json(user, groups.get(user.id, []), call.base),
            UserResource,
            query.parameters,
        )
        for user in users
    ]


async def _password_hash(passwords: Passwords, password: str | None, *, email: str) -> str | None:
    """The hash of a password the client set (the policy applies)."""
    return None if password is None else await passwords.hash_new(password, email=email)


async def _check_unique(session: AsyncSession, values: UserValues, *, user_id: str) -> None:
    other = await repository.user_by_user_name_key(session, values.user_name.lower())
    if other is not None and other.id != user_id:
        raise UniquenessException(detail=f"userName '{values.user_name}' is already taken.")
    other = await users_repository.get_user_by_email(session, values.email)
    if other is not None and other.id != user_id:
        raise UniquenessException(detail=f"The e-mail '{values.email}' is already taken.")


def _set(user: User, values: UserValues) -> None:
    user.user_name = values.user_name
    user.user_name_key = values.user_name.lower()
    user.name = values.name
    user.email = values.email
    user.external_id = values.external_id
    user.active = values.active
    user.scim = values.document


def _snapshot(user: User) -> dict[str, Any]:
    return {
        **users_service.snapshot(user),
        **{field: getattr(user, field) for field in _SCIM_FIELDS},
        "scim": user.scim,
    }


async def create_user(call: Call, payload: Any) -> Answer:
    """Create an account (role ``PROVISIONED_ROLE``; the default group as any new account).
    Raises SCIM errors: ``uniqueness`` for a userName or e-mail in use, ``invalidValue``."""
    resource = parse(payload, Context.RESOURCE_CREATION_REQUEST, call.base)
    user_id = new_id()
    values = documents.user_values(resource, user_id=user_id)
    # Hashed before the first statement: no lock is held while argon2 works.
    password_hash = await _password_hash(call.passwords, values.password, email=values.email)
    await _check_unique(call.session, values, user_id=user_id)
    user = await users_service.register_user(
        call.session,
        user_id=user_id,
        name=values.name,
        email=values.email,
        role=PROVISIONED_ROLE,
        password_hash=password_hash,
        settings=call.settings,
    )
    _set(user, values)
    await call.session.flush()
    return await _answer(call, user, None)


async def _write(
    session: AsyncSession, user: User, values: UserValues, password_hash: str | None
) -> None:
    """Set the row to a replaced or patched resource and record what changed; deactivating
    the account, or a new password, ends its sessions."""
    await _check_unique(session, values, user_id=user.id)
    before = _snapshot(user)
    was_active = user.active
    _set(user, values)
    if password_hash is not None:
        user.password_hash = password_hash
    await users_service.record_update(
        session,
        user,
        before,
        _snapshot(user),
        password_changed=password_hash is not None,
        end_them=password_hash is not None or (was_active and not user.active),
    )


async def replace_user(call: Call, user_id: str, payload: Any, if_match: str | None) -> Answer:
    resource = parse(payload, Context.RESOURCE_REPLACEMENT_REQUEST, call.base)
    values = documents.user_values(resource, user_id=user_id)
    password_hash = await _password_hash(call.passwords, values.password, email=values.email)
    user = await users_service.lock_user(call.session, user_id, if_match=if_match)
    await _write(call.session, user, values, password_hash)
    return await _answer(call, user, None)


def _parse_patch(payload: Any, base: str) -> PatchOp[UserResource]:
    try:
        return PatchOp[UserResource].model_validate(
            dialects.patch_payload(payload, base),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=dialects.POLICY,
        )
    except ValidationError as exc:
        raise InvalidResource(exc) from exc


async def patch_user(
    call: Call, user_id: str, payload: Any, if_match: str | None, parameters: Parameters
) -> Answer:
    """Apply a PATCH (RFC 7644 §3.5.2, with the dialects of ``dialects``) atomically: the
    resource is patched by scim2-models, then written as a replacement would be."""
    patch = _parse_patch(payload, call.base)
    user = await users_service.lock_user(call.session, user_id, if_match=if_match)
    groups = (await repository.groups_of_users(call.session, [user.id])).get(user.id, [])
    resource = UserResource.model_validate(
        documents.user_json(user, groups, call.base), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
    )
    try:
        patch.patch(resource, scim_policy=dialects.POLICY)
    except ValidationError as exc:
        raise InvalidResource(exc) from exc
    values = documents.user_values(resource, user_id=user.id)
    # Hashed under the row's lock, unlike elsewhere: PATCHes that set a password are
    # rare, and the password is only known once the operations are applied.
    password_hash = await _password_hash(call.passwords, values.password, email=values.email)
    await _write(call.session, user, values, password_hash)
    return await _answer(call, user, parameters)


async def delete_user(call: Call, user_id: str, if_match: str | None) -> None:
    """Delete the account as an admin would (the primary admin cannot be)."""
    await users_service.delete_user(call.session, actor=None, user_id=user_id, if_match=if_match)


KIND = ResourceKind(
    endpoint="/Users",
    model=UserResource,
    get=get_user,
    listing=list_users,
    create=create_user,
    replace=replace_user,
    patch=patch_user,
    delete=delete_user,
)
