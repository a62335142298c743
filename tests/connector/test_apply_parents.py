"""A group whose parent has nothing to do in the plan: its parent's id on the target comes
from the plan (found against a real Open WebUI, tests/interop/test_connector.py)."""

from __future__ import annotations

from opengroups.bootstrap import Runtime
from opengroups.connector import service
from opengroups.connector.apply import ApplyReport
from tests.conftest import Api, transaction
from tests.connector.conftest import Target, register


async def apply(runtime: Runtime) -> ApplyReport:
    async with transaction(runtime) as session:
        return await service.apply_target(
            session, runtime.authz, settings=runtime.settings, name="chat"
        )


async def test_a_new_subgroup_and_a_move_under_an_up_to_date_group(
    api: Api, runtime: Runtime, target: Target
) -> None:
    engineering = await api.group("Engineering")
    sales = await api.group("Sales")
    await register(runtime, target.base_url, target.api_key)
    assert (await apply(runtime)).ok
    await api.group("Backend", parent_group_id=engineering["id"])
    moved = await api.post(
        f"/api/v1/groups/id/{sales['id']}/update", {"parent_group_id": engineering["id"]}
    )
    assert moved.status_code == 200, moved.text

    report = await apply(runtime)

    assert report.ok, report.error
    assert sorted(a.kind for a in report.done) == ["create", "update"]
    groups = await target.groups()
    assert groups["Backend"]["parent_group_id"] == groups["Engineering"]["id"]
    assert groups["Sales"]["parent_group_id"] == groups["Engineering"]["id"]
    assert not (await apply(runtime)).done
