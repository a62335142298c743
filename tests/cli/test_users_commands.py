"""``opengroups users ...`` and ``opengroups db upgrade``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, api_call

SIGNIN = "/api/v1/auths/signin"
ME = "/api/v1/auths/"


def create(invoke: Invoke, email: str, *extra: str) -> str:
    result = invoke("users", "create", "--email", email, "--name", "Ada", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_users_create_prints_a_uuid_and_the_user_can_sign_in(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    result = invoke(
        "users",
        "create",
        "--email",
        "Ada@Example.com",
        "--name",
        "Ada",
        "--role",
        "admin",
        "--password",
        "cli-pw",
    )

    assert result.exit_code == 0, result.output
    user_id = result.stdout.strip()
    assert str(uuid.UUID(user_id)) == user_id
    signin = api_call(
        migrated, tmp_path, "POST", SIGNIN, json={"email": "ada@example.com", "password": "cli-pw"}
    )
    assert signin.status_code == 200, signin.text
    assert signin.json()["id"] == user_id
    assert signin.json()["role"] == "admin"
    assert signin.json()["name"] == "Ada"


def test_users_create_defaults_to_role_user(invoke: Invoke, migrated: str, tmp_path: Path) -> None:
    create(invoke, "plain@example.com", "--password", "pw")

    signin = api_call(
        migrated, tmp_path, "POST", SIGNIN, json={"email": "plain@example.com", "password": "pw"}
    )
    assert signin.json()["role"] == "user"


def test_users_create_without_password_cannot_sign_in(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    create(invoke, "keyonly@example.com")

    for password in ("unused", ""):
        signin = api_call(
            migrated,
            tmp_path,
            "POST",
            SIGNIN,
            json={"email": "keyonly@example.com", "password": password},
        )
        assert signin.status_code == 400, password


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--email", "not-an-email", "--name", "Ada"], id="bad-email"),
        pytest.param(["--email", "a@example.com", "--name", "  "], id="blank-name"),
        pytest.param(["--email", "a@example.com", "--name", "Ada", "--role", "root"], id="role"),
    ],
)
def test_users_create_with_bad_input_exits_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke("users", "create", *args)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "error" in result.stderr


def test_users_create_with_a_taken_email_exits_2(invoke: Invoke) -> None:
    first = create(invoke, "dup@example.com")

    result = invoke("users", "create", "--email", "DUP@example.com", "--name", "Again")

    assert result.exit_code == 2, result.output
    assert "dup@example.com" in result.stderr
    assert first not in result.stdout


def test_users_api_key_prints_a_key_that_authenticates(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    user_id = create(invoke, "bot@example.com", "--role", "user")

    result = invoke("users", "api-key", "BOT@example.com")

    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("sk-")
    me = api_call(migrated, tmp_path, "GET", ME, headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id


def test_users_api_key_replaces_the_previous_key(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    create(invoke, "bot@example.com")
    old = invoke("users", "api-key", "bot@example.com").stdout.strip()

    new = invoke("users", "api-key", "bot@example.com").stdout.strip()

    assert new != old
    for key, status in ((old, 401), (new, 200)):
        me = api_call(migrated, tmp_path, "GET", ME, headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == status, key


def test_users_api_key_for_an_unknown_email_exits_2(invoke: Invoke) -> None:
    result = invoke("users", "api-key", "nobody@example.com")

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "nobody@example.com" in result.stderr


def test_db_upgrade_exits_0(invoke: Invoke) -> None:
    result = invoke("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "head" in result.stderr


def test_no_arguments_shows_help(invoke: Invoke) -> None:
    result = invoke()

    assert "users" in result.output
    assert "serve" in result.output


def test_users_create_follows_the_same_rules_as_the_api(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    """The first admin made by the CLI is the primary admin; new users join the default group."""
    admin_id = create(invoke, "root@example.com", "--role", "admin", "--password", "root-pw")
    token = api_call(
        migrated,
        tmp_path,
        "POST",
        SIGNIN,
        json={"email": "root@example.com", "password": "root-pw"},
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    group = api_call(
        migrated,
        tmp_path,
        "POST",
        "/api/v1/groups/create",
        json={"name": "Everyone"},
        headers=headers,
    ).json()
    config = api_call(
        migrated,
        tmp_path,
        "POST",
        "/api/v1/auths/admin/config",
        json={"DEFAULT_GROUP_ID": group["id"]},
        headers=headers,
    )
    assert config.status_code == 200, config.text
    second_admin = create(invoke, "second@example.com", "--role", "admin")

    members = api_call(
        migrated, tmp_path, "GET", f"/api/v1/groups/id/{group['id']}/members", headers=headers
    ).json()
    assert [m["id"] for m in members["items"]] == [second_admin]
    assert members["items"][0]["sources"] == ["default"]
    demote = api_call(
        migrated,
        tmp_path,
        "POST",
        f"/api/v1/users/{admin_id}/update",
        json={"role": "user"},
        headers={"Authorization": f"Bearer {second_admin_token(migrated, tmp_path, invoke)}"},
    )
    assert demote.status_code == 403


def second_admin_token(migrated: str, tmp_path: Path, invoke: Invoke) -> str:
    result = invoke("users", "api-key", "second@example.com")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_audit_lists_what_the_cli_did(invoke: Invoke) -> None:
    create(invoke, "audited@example.com", "--password", "pw")

    table = invoke("audit", "--action", "user.create")
    as_json = invoke("audit", "--json", "--resource-type", "user", "--since", "2020-01-01T00:00Z")
    bad_time = invoke("audit", "--since", "yesterday-ish")

    assert table.exit_code == 0, table.output
    assert "user.create" in table.stdout
    assert "system:cli" in table.stdout
    assert as_json.exit_code == 0, as_json.output
    lines = [line for line in as_json.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    assert '"actor_id": "system:cli"' in lines[0]
    assert bad_time.exit_code == 2


def test_users_create_applies_the_password_policy(invoke: Invoke) -> None:
    result = invoke(
        "users",
        "create",
        "--email",
        "weak@example.com",
        "--name",
        "Weak",
        "--password",
        "short",
        OPENGROUPS_PASSWORD_MIN_LENGTH="8",
    )

    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
