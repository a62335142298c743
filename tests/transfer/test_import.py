"""Bundle import: round trips, idempotence, dry runs, policies, Open WebUI exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from opengroups.app import create_app, runtime_of
from opengroups.kit.db import Database
from tests.conftest import Api, make_settings, snapshot, table_counts
from tests.transfer.conftest import OtherInstance, export_bundle, import_bundle

PROVENANCE = {"export_timestamp", "exported_at", "exported_by"}


def comparable(bundle: dict[str, Any]) -> dict[str, Any]:
    """A bundle without what must differ between two instances' exports."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in PROVENANCE}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    result: dict[str, Any] = clean(bundle)
    for group in result["groups"]:
        group.pop("updated_at")
        group.pop("user_id")  # the creator exists only on the source instance
    return result


async def populate(api: Api) -> dict[str, Any]:
    """A small instance: hierarchy, permissions, data, members, changed defaults."""
    staff = await api.group("Staff", permissions={"features": {"api_keys": True}})
    analysts = await api.group(
        "Analysts",
        parent_group_id=staff["id"],
        data={"config": {"share": "members", "default_models": ["m1"]}},
    )
    await api.group("Contractors", data={"config": {"share": False}})
    alice, bob = await api.user(name="Alice"), await api.user(name="Bob")
    await api.add(analysts["id"], alice.id, bob.id)
    await api.add(staff["id"], bob.id)
    response = await api.post("/api/v1/users/default/permissions", {"chat": {"delete": False}})
    assert response.status_code == 200
    return {"staff": staff, "analysts": analysts, "alice": alice, "bob": bob}


async def test_round_trip_into_an_empty_instance(api: Api, sqlite_instance: OtherInstance) -> None:
    await populate(api)
    exported = await export_bundle(api)
    other = await sqlite_instance()

    response = await import_bundle(other, exported, create_missing_users="true")

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 3
    assert report["members_added"] == 3
    assert report["users_created"] == 2
    assert report["defaults"] == "updated"
    assert comparable(await export_bundle(other)) == comparable(exported)


async def test_round_trip_from_sqlite_into_the_database_under_test(
    api: Api, sqlite_instance: OtherInstance
) -> None:
    source = await sqlite_instance()
    await populate(source)
    exported = await export_bundle(source)

    response = await import_bundle(api, exported, create_missing_users="true")

    assert response.status_code == 200, response.text
    assert comparable(await export_bundle(api)) == comparable(exported)


async def test_importing_the_same_bundle_twice_changes_nothing_the_second_time(
    api: Api, database: Database, sqlite_instance: OtherInstance
) -> None:
    source = await sqlite_instance()
    await populate(source)
    exported = await export_bundle(source)
    first = await import_bundle(api, exported, create_missing_users="true", policy="overwrite")
    assert first.status_code == 200
    before = await snapshot(database)

    second = await import_bundle(api, exported, create_missing_users="true", policy="overwrite")

    assert second.status_code == 200
    report = second.json()
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 3)
    assert (report["members_added"], report["members_removed"], report["users_created"]) == (
        0,
        0,
        0,
    )
    assert report["defaults"] == "unchanged"
    assert await snapshot(database) == before


async def test_dry_run_reports_the_plan_and_writes_nothing(
    api: Api, database: Database, sqlite_instance: OtherInstance
) -> None:
    source = await sqlite_instance()
    await populate(source)
    exported = await export_bundle(source)
    await api.admin()
    before = await snapshot(database)

    response = await import_bundle(api, exported, dry_run="true", create_missing_users="true")

    assert response.status_code == 200
    report = response.json()
    assert report["dry_run"] is True
    assert report["added"] == 3
    assert report["users_created"] == 2
    assert await snapshot(database) == before


async def test_policy_fail_refuses_existing_groups_that_differ_and_writes_nothing(
    api: Api, database: Database
) -> None:
    await populate(api)
    exported = await export_bundle(api)
    staff = next(group for group in exported["groups"] if group["name"] == "Staff")
    staff["description"] = "changed by the bundle"
    exported["groups"].append({"id": "brand-new", "name": "Brand new", "members": []})
    before = await snapshot(database)

    response = await import_bundle(api, exported, policy="fail")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "'Staff'" in detail
    assert "Brand new" not in detail
    assert await snapshot(database) == before


async def test_the_same_bundle_imported_again_is_unchanged_under_policy_fail(
    api: Api, sqlite_instance: OtherInstance
) -> None:
    await populate(api)
    exported = await export_bundle(api)
    other = await sqlite_instance()
    first = await import_bundle(other, exported, create_missing_users="true")
    assert first.status_code == 200, first.text
    before = await export_bundle(other)

    response = await import_bundle(other, exported, policy="fail")

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["unchanged"] == len(exported["groups"])
    assert (report["added"], report["updated"], report["members_added"]) == (0, 0, 0)
    assert {group["action"] for group in report["groups"]} == {"unchanged"}
    assert comparable(await export_bundle(other)) == comparable(before)


async def test_policy_skip_leaves_existing_groups_alone(api: Api) -> None:
    ids = await populate(api)
    exported = await export_bundle(api)
    for group in exported["groups"]:
        group["description"] = "changed by the bundle"
        group["members"] = []
    exported["groups"].append({"id": "brand-new", "name": "Brand new", "members": []})

    response = await import_bundle(api, exported, policy="skip")

    assert response.status_code == 200
    report = response.json()
    assert (report["added"], report["skipped"]) == (1, 3)
    staff = (await api.get(f"/api/v1/groups/id/{ids['staff']['id']}")).json()
    assert staff["description"] == ""
    assert staff["member_count"] == 1


async def test_policy_overwrite_applies_the_bundle_but_keeps_other_sources(api: Api) -> None:
    ids = await populate(api)  # members were added by hand: source "manual"
    exported = await export_bundle(api)
    analysts = next(g for g in exported["groups"] if g["name"] == "Analysts")
    analysts["description"] = "from the bundle"
    analysts["permissions"] = {"workspace": {"models": True}}
    first = await import_bundle(api, exported, policy="overwrite")
    assert first.status_code == 200
    assert first.json()["updated"] >= 1

    analysts["members"] = [m for m in analysts["members"] if m["id"] == ids["alice"].id]
    second = await import_bundle(api, exported, policy="overwrite")

    assert second.status_code == 200
    group = (await api.get(f"/api/v1/groups/id/{ids['analysts']['id']}")).json()
    assert group["description"] == "from the bundle"
    assert group["permissions"] == {"workspace": {"models": True}}
    members = (
        await api.get(f"/api/v1/groups/id/{ids['analysts']['id']}/members", membership="direct")
    ).json()["items"]
    by_id = {m["id"]: m["sources"] for m in members}
    # Bob's import source is withdrawn, but the manual membership made by hand survives.
    assert by_id[ids["bob"].id] == ["manual"]
    assert by_id[ids["alice"].id] == ["import", "manual"]


async def test_overwrite_removes_members_only_the_import_held(api: Api) -> None:
    carol = await api.user(name="Carol")
    bundle: dict[str, Any] = {
        "format": "opengroups-bundle",
        "version": 1,
        "groups": [{"id": "g-1", "name": "Imported", "members": [{"id": carol.id}]}],
    }
    assert (await import_bundle(api, bundle)).json()["members_added"] == 1
    bundle["groups"][0]["members"] = []

    report = (await import_bundle(api, bundle, policy="overwrite")).json()

    assert report["members_removed"] == 1
    assert (await api.get("/api/v1/groups/id/g-1")).json()["member_count"] == 0


async def test_a_failing_item_rolls_back_the_whole_import(api: Api, database: Database) -> None:
    await api.admin()
    before = await snapshot(database)
    bundle = {
        "format": "opengroups-bundle",
        "version": 1,
        "groups": [
            {"id": "ok-1", "name": "Fine"},
            {"id": "bad-2", "name": "Broken", "parent_group_id": "nowhere"},
        ],
    }

    response = await import_bundle(api, bundle)

    assert response.status_code == 422
    assert "Broken" in response.json()["detail"]
    assert "nowhere" in response.json()["detail"]
    assert await snapshot(database) == before


async def test_open_webui_exports_import_one_or_many(api: Api) -> None:
    member = await api.user()
    single = {
        "id": "owui-1",
        "name": "From Open WebUI",
        "description": "exported there",
        "user_id": "someone-else",
        "data": {"config": {"share": True}},
        "meta": None,
        "permissions": {"chat": {"delete": True}},
        "created_at": 1700000000,
        "updated_at": 1700000001,
        "member_count": 2,
        "user_ids": [member.id, "unknown-user"],
    }
    response = await import_bundle(api, single)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 1
    assert report["unmatched_members"] == [
        {"group_id": "owui-1", "group_name": "From Open WebUI", "id": "unknown-user", "email": None}
    ]
    group = (await api.get("/api/v1/groups/id/owui-1")).json()
    assert group["member_count"] == 1
    assert group["created_at"] == 1700000000

    many = [
        {**single, "id": "owui-2", "name": "Second"},
        {**single, "id": "owui-3", "name": "Third"},
    ]
    assert (await import_bundle(api, many)).json()["added"] == 2


async def test_members_match_by_email_when_the_id_is_unknown(api: Api) -> None:
    dora = await api.user(name="Dora")
    bundle = {
        "format": "opengroups-bundle",
        "version": 1,
        "groups": [
            {
                "id": "g-mail",
                "name": "By mail",
                "members": [{"id": "other-id", "email": dora.email.upper()}],
            }
        ],
    }
    report = (await import_bundle(api, bundle)).json()
    assert report["members_added"] == 1
    assert report["unmatched_members"] == []


async def test_database_url_of_other_instance_is_independent(
    tmp_path: Path, migrated: str, api: Api, database: Database
) -> None:
    # Guard for the fixtures above: a second instance, on a database of its own, writes there
    # and never touches the database under test.
    await api.admin()
    before = await table_counts(database)
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    other = create_app(make_settings(url, tmp_path / "other", migrate_on_start=True))
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            signup = await client.post(
                "/api/v1/auths/signup",
                json={"name": "Elsewhere", "email": "else@example.com", "password": "pw"},
            )
            assert signup.status_code == 200, signup.text
            assert signup.json()["role"] == "admin"  # the first account there
        assert (await table_counts(runtime_of(other).database))["user"] == 1

    assert await table_counts(database) == before
