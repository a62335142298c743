"""opengroups driven by a client nobody on this team wrote: ``owui-client`` (a typed client of
Open WebUI's API, pydantic models for every answer) against a real ``opengroups serve``.

Each test calls the client's methods for groups, users and auths that opengroups serves, and
checks their effect through another method. A method that fails is a bug in opengroups unless
the difference is a listed divergence (``docs/divergences.md``); those are asserted as such.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from owui_client import OpenWebUI
from owui_client.models.auths import AddUserForm, SigninForm, SignupForm, UpdatePasswordForm
from owui_client.models.groups import GroupForm, GroupUpdateForm, UserIdsForm
from owui_client.models.users import UpdateProfileForm, UserStatus, UserUpdateForm

from tests.servers import clean_environment, empty, running_server

PASSWORD = "owui-client-password"


@pytest.fixture
def base_url(migrated: str, tmp_path: Path) -> Iterator[str]:
    """A real server on the suite's database, emptied first."""
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    with running_server(env, tmp_path, tmp_path / "serve.log") as url:
        yield url


ClientFactory = Callable[..., OpenWebUI]


@pytest.fixture
async def connect(base_url: str) -> AsyncIterator[ClientFactory]:
    """``connect(api_key=None)``: a client of the server, closed after the test (the client
    has no close method of its own; its connections live in ``_client``)."""
    made: list[OpenWebUI] = []

    def factory(api_key: str | None = None) -> OpenWebUI:
        made.append(OpenWebUI(api_url=f"{base_url}/api", api_key=api_key))
        return made[-1]

    yield factory
    for client in made:
        await client._client.aclose()


@pytest.fixture
async def admin(connect: ClientFactory) -> OpenWebUI:
    """A client signed up as the first user (the admin); it keeps the token it got."""
    client = connect()
    await client.auths.signup(
        SignupForm(name="Admin", email="admin@example.com", password=PASSWORD)
    )
    return client


async def _user(admin: OpenWebUI, name: str) -> str:
    added = await admin.auths.add_user(
        AddUserForm(name=name, email=f"{name.lower()}@example.com", password=PASSWORD, role="user")
    )
    user_id: str = added.id
    return user_id


async def test_groups_round_trip(admin: OpenWebUI) -> None:
    alice, bob = await _user(admin, "Alice"), await _user(admin, "Bob")
    created = await admin.groups.create_new_group(
        GroupForm(
            name="Engineering",
            description="Builds things",
            permissions={"workspace": {"models": True}},
        )
    )
    assert created is not None
    assert created.member_count == 0
    assert created.data == {"config": {"share": "members"}}  # Open WebUI 0.12.4's default

    after_add = await admin.groups.add_user_to_group(created.id, UserIdsForm(user_ids=[alice, bob]))
    assert after_add is not None
    assert after_add.member_count == 2
    members = await admin.groups.get_users_in_group(created.id)
    assert {member.id for member in members} == {alice, bob}
    exported = await admin.groups.export_group_by_id(created.id)
    assert exported is not None
    assert set(exported.user_ids) == {alice, bob}

    after_remove = await admin.groups.remove_users_from_group(
        created.id, UserIdsForm(user_ids=[bob])
    )
    assert after_remove is not None
    assert after_remove.member_count == 1

    listed = await admin.groups.get_groups()
    assert [group.name for group in listed] == ["Engineering"]
    fetched = await admin.groups.get_group_by_id(created.id)
    assert fetched is not None
    assert fetched.permissions == {"workspace": {"models": True}}
    info = await admin.groups.get_group_info_by_id(created.id)
    assert info is not None
    assert info.name == "Engineering"
    preview = await admin.groups.get_group_preview_by_id(created.id)
    assert preview is not None

    assert await admin.groups.delete_group_by_id(created.id) is True
    assert await admin.groups.get_groups() == []


async def test_an_update_sending_the_whole_form_keeps_what_it_leaves_null(
    admin: OpenWebUI,
) -> None:
    created = await admin.groups.create_new_group(
        GroupForm(name="Kept", description="old", permissions={"chat": {"delete": True}})
    )
    assert created is not None

    # The client's update form has no permissions unless given: they must survive.
    updated = await admin.groups.update_group_by_id(
        created.id, GroupUpdateForm(name="Renamed", description="new")
    )

    assert updated is not None
    assert (updated.name, updated.description) == ("Renamed", "new")
    assert updated.permissions == {"chat": {"delete": True}}
    cleared = await admin.groups.update_group_by_id(
        created.id, GroupUpdateForm(name="Renamed", description="new", permissions={})
    )
    assert cleared is not None
    assert cleared.permissions == {}


async def test_users_as_the_admin_sees_them(admin: OpenWebUI) -> None:
    alice = await _user(admin, "Alice")
    group = await admin.groups.create_new_group(GroupForm(name="Team", description=""))
    assert group is not None
    await admin.groups.add_user_to_group(group.id, UserIdsForm(user_ids=[alice]))

    page = await admin.users.get_users(order_by="name", direction="asc")
    assert [user.name for user in page.users] == ["Admin", "Alice"]
    assert page.total == 2
    assert next(user for user in page.users if user.id == alice).group_ids == [group.id]

    user = await admin.users.get_user_by_id(alice)
    assert user.name == "Alice"
    groups = await admin.users.get_user_groups_by_id(alice)
    assert [g.id for g in groups] == [group.id]

    updated = await admin.users.update_user_by_id(
        alice,
        UserUpdateForm(
            role="admin",
            name="Alice A.",
            email="alice@example.com",
            profile_image_url="/user.png",
        ),
    )
    assert (updated.name, updated.role) == ("Alice A.", "admin")

    assert await admin.users.delete_user_by_id(alice) is True
    assert [user.name for user in (await admin.users.get_users()).users] == ["Admin"]


async def test_permissions_through_the_client(admin: OpenWebUI) -> None:
    defaults = await admin.users.get_default_user_permissions()
    assert defaults.chat is not None
    catalog = await admin.users.get_default_user_permission_defaults()
    assert catalog.workspace is not None
    mine = await admin.users.get_user_permissions()
    assert "chat" in mine


async def test_sign_in_api_key_and_session(connect: ClientFactory, admin: OpenWebUI) -> None:
    alice = await _user(admin, "Alice")
    client = connect()

    session = await client.auths.signin(SigninForm(email="alice@example.com", password=PASSWORD))

    assert session.id == alice
    me = await client.auths.get_session_user()
    assert (me.id, me.role) == (alice, "user")
    own_groups = await client.users.get_user_groups()
    assert own_groups == []

    key = await admin.auths.generate_api_key()
    assert key.api_key is not None
    assert key.api_key.startswith("sk-")
    by_key = connect(api_key=key.api_key)
    assert (await by_key.auths.get_session_user()).email == "admin@example.com"
    assert await admin.auths.delete_api_key() is True
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await by_key.auths.get_session_user()
    assert refused.value.response.status_code == 401

    config = await admin.auths.get_admin_config()
    assert config.ENABLE_SIGNUP is True


async def test_profile_and_status_through_the_client(
    connect: ClientFactory, admin: OpenWebUI
) -> None:
    alice = await _user(admin, "Alice")
    group = await admin.groups.create_new_group(GroupForm(name="Team", description=""))
    assert group is not None
    await admin.groups.add_user_to_group(group.id, UserIdsForm(user_ids=[alice]))
    client = connect()
    await client.auths.signin(SigninForm(email="alice@example.com", password=PASSWORD))

    profile = await client.auths.update_profile(
        UpdateProfileForm(name="Alice", profile_image_url="/user.png", bio="Writes parsers")
    )
    status = await client.users.update_user_status(
        UserStatus(status_emoji="🌴", status_message="On leave", status_expires_at=1_900_000_000)
    )

    assert profile.name == "Alice"
    assert (status.bio, status.status_message) == ("Writes parsers", "On leave")
    assert (await client.users.get_user_status()).status_emoji == "🌴"
    (member,) = await admin.groups.get_users_in_group(group.id)
    assert (member.bio, member.status_expires_at) == ("Writes parsers", 1_900_000_000)
    me = await client.auths.get_session_user()
    assert me.status_message == "On leave"


async def test_a_password_change_through_the_client(
    connect: ClientFactory, admin: OpenWebUI
) -> None:
    await _user(admin, "Alice")
    client = connect()
    await client.auths.signin(SigninForm(email="alice@example.com", password=PASSWORD))

    changed = await client.auths.update_password(
        UpdatePasswordForm(password=PASSWORD, new_password="another-password")
    )

    assert changed is True
    again = await client.auths.signin(
        SigninForm(email="alice@example.com", password="another-password")
    )
    assert again.email == "alice@example.com"


async def test_methods_for_chats_and_models_are_out_of_scope(admin: OpenWebUI) -> None:
    """Routes of Open WebUI's chat product are not served (docs/divergences.md)."""
    with pytest.raises(httpx.HTTPStatusError) as missing:
        await admin.users.get_user_settings()
    assert missing.value.response.status_code == 404
