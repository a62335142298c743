"""The users service on a session: creating, changing and deleting accounts, and what each
records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from opengroups.bootstrap import Runtime
from opengroups.errors import EmailTaken, NotPermitted
from opengroups.kit.context import context_of
from opengroups.models import AccessGrant, AccessResource, User
from opengroups.users import service as users
from opengroups.users.schemas import UserUpdateForm
from tests.conftest import transaction


async def test_a_created_user_is_recorded_with_their_password_hash(runtime: Runtime) -> None:
    password_hash = await runtime.passwords.hash_new("s3cret", email="ada@example.com")
    async with transaction(runtime) as session:
        user = await users.create_user(
            session,
            name="Ada",
            email="Ada@Example.com",
            role="user",
            password_hash=password_hash,
        )
        events = [(e["action"], e["resource_id"]) for e in context_of(session).events]

    assert user.email == "ada@example.com"
    assert user.password_hash == password_hash
    assert await runtime.passwords.verify(user.password_hash, "s3cret")
    assert not await runtime.passwords.verify(user.password_hash, "wrong")
    assert events == [("user.create", user.id)]
    async with transaction(runtime) as session:
        with pytest.raises(EmailTaken):
            await users.create_user(
                session, name="Ada", email="ADA@example.com", role="user", password_hash=None
            )


async def test_an_update_returns_the_new_revision(runtime: Runtime) -> None:
    async with transaction(runtime) as session:
        admin = await users.register_user(
            session,
            name="Admin",
            email="admin@example.com",
            role="admin",
            password_hash=None,
            settings=runtime.settings,
        )
        user = await users.create_user(
            session, name="Ben", email="ben@example.com", role="user", password_hash=None
        )

    async with transaction(runtime) as session:
        renamed = await users.update_user(
            session, runtime.passwords, actor=admin, user_id=user.id, form=UserUpdateForm(name="B")
        )
    async with transaction(runtime) as session:
        stored = (await session.execute(select(User.revision).where(User.id == user.id))).one()
        with pytest.raises(NotPermitted):
            await users.update_user(
                session,
                runtime.passwords,
                actor=admin,
                user_id=admin.id,
                form=UserUpdateForm(role="user"),
            )

    assert (renamed.value.name, renamed.revision) == ("B", 2)
    assert stored == (2,)


async def test_deleting_a_user_drops_the_grants_naming_them(runtime: Runtime) -> None:
    async with transaction(runtime) as session:
        admin = await users.create_user(
            session, name="Admin", email="admin@example.com", role="admin", password_hash=None
        )
        user = await users.create_user(
            session, name="Cy", email="cy@example.com", role="user", password_hash=None
        )
        session.add(
            AccessResource(resource_type="note", resource_id="n1", owner_id=user.id, created_at=0)
        )
        session.add_all(
            AccessGrant(
                resource_type="note",
                resource_id="n1",
                principal_type="user",
                principal_id=principal,
                permission="read",
            )
            for principal in (user.id, admin.id, "*")
        )

    async with transaction(runtime) as session:
        await users.delete_user(session, actor=admin, user_id=user.id)
    async with transaction(runtime) as session:
        grants = sorted((await session.execute(select(AccessGrant.principal_id))).scalars())
        owner = (await session.execute(select(AccessResource.owner_id))).scalar()

    assert grants == sorted([admin.id, "*"])
    assert owner is None


async def test_users_are_listed_by_role_and_counted_by_role(runtime: Runtime) -> None:
    async with transaction(runtime) as session:
        for name, role in [("Ada", "admin"), ("Bo", "pending"), ("Cy", "pending"), ("Di", "user")]:
            await users.create_user(
                session, name=name, email=f"{name}@example.com", role=role, password_hash=None
            )
    async with transaction(runtime) as session:
        pending = await users.list_users(
            session, query=None, order_by="name", direction="asc", page=1, role="pending"
        )
        searched = await users.list_users(
            session, query="cy", order_by="name", direction="asc", page=1, role="pending"
        )
        nobody = await users.list_users(
            session, query="ada", order_by="name", direction="asc", page=1, role="pending"
        )
        counts = await users.role_counts(session)

    assert ([u.name for u in pending.users], pending.total) == (["Bo", "Cy"], 2)
    assert ([u.name for u in searched.users], searched.total) == (["Cy"], 1)
    assert (nobody.users, nobody.total) == ([], 0)
    assert counts == {"admin": 1, "user": 1, "pending": 2}


async def test_every_role_is_counted_even_when_no_one_has_it(runtime: Runtime) -> None:
    async with transaction(runtime) as session:
        assert await users.role_counts(session) == {"admin": 0, "user": 0, "pending": 0}
