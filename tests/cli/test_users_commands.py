"""``opengroups users ...`` and ``opengroups db upgrade``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Invoke, api_call
from tests.commands import run_cli
from tests.conftest import FAST_PASSWORD_ENV

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


# --- passwords, list, set-role, reset-password, delete -----------------------------------


def signin(migrated: str, tmp_path: Path, email: str, password: str) -> httpx.Response:
    return api_call(migrated, tmp_path, "POST", SIGNIN, json={"email": email, "password": password})


def created(invoke: Invoke, email: str, *extra: str, stdin: str | None = None) -> str:
    result = invoke("users", "create", "--email", email, "--name", "N", *extra, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_users_create_reads_the_password_from_stdin(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    user_id = created(invoke, "in@example.com", "--password-stdin", stdin="from stdin pw\n")

    assert signin(migrated, tmp_path, "in@example.com", "from stdin pw").json()["id"] == user_id


def test_users_create_password_on_the_command_line_is_deprecated(invoke: Invoke) -> None:
    result = invoke(
        "users", "create", "--email", "old@example.com", "--name", "N", "--password", "x"
    )
    both = invoke(
        "users",
        "create",
        "--email",
        "b@example.com",
        "--name",
        "N",
        "--password",
        "x",
        "--password-stdin",
        stdin="y\n",
    )

    assert result.exit_code == 0, result.output
    assert "warning: --password is deprecated" in result.stderr
    assert both.exit_code == 2
    assert "one way" in both.stderr


def test_users_create_asks_only_at_a_terminal(invoke: Invoke) -> None:
    result = invoke(
        "users", "create", "--email", "t@example.com", "--name", "N", "--ask-password", stdin="x\n"
    )

    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr
    assert result.stdout == ""


def test_users_list_shows_every_user(invoke: Invoke) -> None:
    ada = created(invoke, "ada@example.com", "--role", "admin")
    bob = created(invoke, "bob@example.com", "--role", "pending")

    as_json = invoke("users", "list", "--json")
    table = invoke("users", "list")
    searched = invoke("users", "list", "--json", "--search", "BOB")

    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert {(row["id"], row["email"], row["role"]) for row in rows} == {
        (ada, "ada@example.com", "admin"),
        (bob, "bob@example.com", "pending"),
    }
    assert "ada@example.com" in table.stdout
    assert "pending" in table.stdout
    assert [json.loads(line)["id"] for line in searched.stdout.splitlines()] == [bob]


def test_users_set_role_changes_it_and_ends_the_sessions(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    created(invoke, "root@example.com", "--role", "admin")  # the primary admin
    created(invoke, "u@example.com", "--password-stdin", stdin="u-password\n")
    token = signin(migrated, tmp_path, "u@example.com", "u-password").json()["token"]

    result = invoke("users", "set-role", "U@example.com", "admin")

    assert result.exit_code == 0, result.output
    assert result.stdout == "u@example.com: admin\n"
    assert signin(migrated, tmp_path, "u@example.com", "u-password").json()["role"] == "admin"
    old = api_call(migrated, tmp_path, "GET", ME, headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401


def test_users_set_role_refuses_the_primary_admin_and_unknown_roles(invoke: Invoke) -> None:
    created(invoke, "root@example.com", "--role", "admin")

    primary = invoke("users", "set-role", "root@example.com", "user")
    unknown = invoke("users", "set-role", "root@example.com", "owner")
    nobody = invoke("users", "set-role", "nobody@example.com", "user")

    assert primary.exit_code == 2
    assert "primary admin" in primary.stderr
    assert unknown.exit_code == 2
    assert "owner" in unknown.stderr
    assert nobody.exit_code == 2
    assert "nobody@example.com" in nobody.stderr
    assert json.loads(invoke("users", "list", "--json").stdout)["role"] == "admin"


def test_users_reset_password_from_stdin_of_the_real_command(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    created(invoke, "p@example.com", "--password-stdin", stdin="first-password\n")

    result = run_cli(
        "users",
        "reset-password",
        "p@example.com",
        "--password-stdin",
        database_url=migrated,
        data_dir=tmp_path / "data",
        stdin="second pw\n",
        settings=FAST_PASSWORD_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "password changed: p@example.com\n"
    assert signin(migrated, tmp_path, "p@example.com", "first-password").status_code == 400
    assert signin(migrated, tmp_path, "p@example.com", "second pw").status_code == 200


def test_users_reset_password_is_refused_without_a_password(
    invoke: Invoke, migrated: str, tmp_path: Path
) -> None:
    created(invoke, "p@example.com", "--password-stdin", stdin="first-password\n")

    no_terminal = invoke("users", "reset-password", "p@example.com", stdin="ignored\n")
    empty = invoke("users", "reset-password", "p@example.com", "--password-stdin", stdin="\n")
    weak = invoke(
        "users",
        "reset-password",
        "p@example.com",
        "--password-stdin",
        stdin="short\n",
        OPENGROUPS_PASSWORD_MIN_LENGTH="8",
    )

    assert no_terminal.exit_code == 2
    assert "no terminal" in no_terminal.stderr
    assert empty.exit_code == 2
    assert weak.exit_code == 2
    assert "at least 8 characters" in weak.stderr
    assert signin(migrated, tmp_path, "p@example.com", "first-password").status_code == 200


def test_users_delete(invoke: Invoke) -> None:
    created(invoke, "root@example.com", "--role", "admin")
    created(invoke, "gone@example.com")

    unasked = invoke("users", "delete", "gone@example.com")
    primary = invoke("users", "delete", "root@example.com", "--yes")
    deleted = invoke("users", "delete", "GONE@example.com", "--yes")
    again = invoke("users", "delete", "gone@example.com", "--yes")

    assert unasked.exit_code == 2
    assert "--yes" in unasked.stderr
    assert primary.exit_code == 2
    assert "primary admin" in primary.stderr
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout == "deleted: gone@example.com\n"
    assert again.exit_code == 2
    remaining = invoke("users", "list", "--json").stdout.splitlines()
    assert [json.loads(line)["email"] for line in remaining] == ["root@example.com"]
