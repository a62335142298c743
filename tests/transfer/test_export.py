"""Single-group export with provenance, and the stable bundle export."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from opengroups.kit.db import Database
from opengroups.models import Group
from tests.conftest import Api, AppFactory
from tests.transfer.conftest import export_bundle

VOLATILE = {"export_timestamp", "exported_at"}


def without_timestamps(value: object) -> object:
    if isinstance(value, dict):
        return {k: without_timestamps(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_timestamps(v) for v in value]
    return value


async def test_group_export_fills_provenance_and_keeps_custom_data(
    api: Api, database: Database
) -> None:
    admin = await api.admin()
    group = await api.group("Research")
    member = await api.user()
    await api.add(group["id"], member.id)
    async with database.session() as session:
        await session.execute(
            update(Group)
            .where(Group.id == group["id"])
            .values(meta={"custom_data": {"cost_center": "42"}, "note": "kept"})
        )

    response = await api.get(f"/api/v1/groups/id/{group['id']}/export")

    assert response.status_code == 200
    body = response.json()
    assert body["user_ids"] == [member.id]
    assert body["member_count"] == 1
    meta = body["meta"]
    assert meta["exported_by"] == admin.id
    assert meta["source_system"] == "opengroups"
    assert meta["version"] == "1"
    assert isinstance(meta["export_timestamp"], int)
    assert meta["custom_data"] == {"cost_center": "42"}
    assert meta["note"] == "kept"


async def test_group_export_uses_the_instance_name(app_factory: AppFactory) -> None:
    app = await app_factory(instance_name="eu-production")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = Api(client)
        group = await api.group("Named")
        response = await api.get(f"/api/v1/groups/id/{group['id']}/export")
        bundle = await api.get("/api/v1/transfer/export")
    assert response.json()["meta"]["source_system"] == "eu-production"
    assert bundle.json()["source_system"] == "eu-production"


async def test_bundle_export_is_stable_and_ordered(api: Api) -> None:
    parent = await api.group("Zeta parent")
    child = await api.group("Alpha child", parent_group_id=parent["id"])
    await api.group("Beta")
    member = await api.user()
    await api.add(child["id"], member.id)

    first = await export_bundle(api)
    second = await export_bundle(api)

    assert without_timestamps(first) == without_timestamps(second)
    names = [g["name"] for g in first["groups"]]
    assert names.index("Zeta parent") < names.index("Alpha child")
    assert names[:2] == ["Beta", "Zeta parent"]  # top level first, by name
    assert first["format"] == "opengroups-bundle"
    assert first["version"] == 1
    assert first["catalog_version"]
    assert first["default_permissions"]["chat"]["delete"] is True
    child_entry = next(g for g in first["groups"] if g["name"] == "Alpha child")
    assert child_entry["members"] == [{"id": member.id, "email": member.email, "name": "User 1"}]


async def test_bundle_export_bytes_are_identical_apart_from_timestamps(api: Api) -> None:
    await api.group("One")
    await api.group("Two")
    first = (await api.get("/api/v1/transfer/export")).text
    second = (await api.get("/api/v1/transfer/export")).text

    def strip(body: str) -> list[str]:
        return [
            line
            for line in body.splitlines()
            if "export_timestamp" not in line and "exported_at" not in line
        ]

    assert strip(first) == strip(second)


async def test_export_routes_are_admin_only(api: Api) -> None:
    user = await api.user()
    group = await api.group("Private")
    assert (await api.get("/api/v1/transfer/export", user)).status_code == 403
    assert (await api.get(f"/api/v1/groups/id/{group['id']}/export", user)).status_code == 403
    assert (await api.get("/api/v1/groups/id/missing/export")).status_code == 404


async def test_group_export_lists_member_ids_sorted_and_an_empty_group_none(
    api: Api, database: Database
) -> None:
    full, empty = await api.group("Full"), await api.group("Empty")
    members = [await api.user(name=f"M{n}") for n in range(5)]
    await api.add(full["id"], *[m.id for m in members])

    exported = await api.get(f"/api/v1/groups/id/{full['id']}/export")
    nobody = await api.get(f"/api/v1/groups/id/{empty['id']}/export")
    missing = await api.get("/api/v1/groups/id/no-such-group/export")

    assert exported.status_code == nobody.status_code == 200
    assert exported.headers["content-type"] == "application/json"
    body = exported.json()
    assert body["user_ids"] == sorted(m.id for m in members)
    assert body["member_count"] == 5
    assert list(body)[-2:] == ["member_count", "user_ids"]
    assert nobody.json()["user_ids"] == []
    assert nobody.json()["member_count"] == 0
    assert missing.status_code == 404
