"""The members page reads the same whichever way it is planned (``memberships/members_page``):
every page, total and count is checked against a reference computed here in Python, with the
plan left to the cost model (through the API) and forced each way by a cost model that favours
it (walking the name index, walking it against a set, gathering and sorting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from opengroups.app import runtime_of
from opengroups.kit.db import Database
from opengroups.memberships import service as memberships_service
from opengroups.memberships.members_page.costs import CostModel, Plan
from tests.conftest import Api
from tests.groups.conftest import group_path, insert_users
from tests.groups.test_query_count import counting_statements

MEMBERSHIPS = ("direct", "inherited", "effective")
# Names, e-mails (either case), and LIKE's wildcards, which must match themselves only.
QUERIES = (None, "member 1", "SEED2", "_", "%")


@dataclass
class Forest:
    """Top ← Middle ← Low and Top ← Empty, and an unrelated Leaf; users with repeated names."""

    groups: dict[str, str]  # name -> id
    parents: dict[str, str | None]  # id -> parent id
    members: dict[str, set[str]]  # id -> direct member ids
    users: dict[str, tuple[str, str]]  # id -> (name, email)


@pytest.fixture
async def forest(api: Api, database: Database) -> Forest:
    top = await api.group("Top")
    middle = await api.group("Middle", parent_group_id=top["id"])
    low = await api.group("Low", parent_group_id=middle["id"])
    empty = await api.group("Empty", parent_group_id=top["id"])
    leaf = await api.group("Leaf")
    # 30 users, names repeating every 20 so that the id decides the order between equals.
    ids = await insert_users(database, 30, prefix="seed")  # e-mails seed0@... to seed29@...
    users = {uid: (f"Member {n % 20:02}", f"seed{n}@example.com") for n, uid in enumerate(ids)}
    async with database.session() as session:
        for uid, (name, _email) in users.items():
            await session.execute(
                text('UPDATE "user" SET name = :name WHERE id = :id'), {"name": name, "id": uid}
            )
    members = {
        top["id"]: set(ids[0:12]),
        middle["id"]: set(ids[8:18]),
        low["id"]: set(ids[10:14]) | set(ids[25:28]),
        empty["id"]: set(),
        leaf["id"]: set(ids[20:23]),
    }
    for group_id, member_ids in members.items():
        if member_ids:
            await api.add(group_id, *sorted(member_ids))
    return Forest(
        groups={"top": top["id"], "middle": middle["id"], "low": low["id"], "leaf": leaf["id"]},
        parents={
            top["id"]: None,
            middle["id"]: top["id"],
            low["id"]: middle["id"],
            empty["id"]: top["id"],
            leaf["id"]: None,
        },
        members=members,
        users=users,
    )


def _below(forest: Forest, group_id: str) -> list[str]:
    found: list[str] = []
    frontier = [group_id]
    while frontier:
        children = [g for g, p in forest.parents.items() if p in frontier]
        found += children
        frontier = children
    return found


def reference(
    forest: Forest, group_id: str, membership: str, query: str | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every member of the kind, in page order, as the API shows them, and the counts."""
    below = _below(forest, group_id)
    direct = forest.members[group_id]
    inherited_from = {
        uid: sorted(g for g in below if uid in forest.members[g])
        for uid in set().union(*(forest.members[g] for g in below))
    }

    def matches(uid: str) -> bool:
        name, email = forest.users[uid]
        return query is None or query.lower() in name.lower() or query.lower() in email.lower()

    effective = {uid for uid in direct | set(inherited_from) if matches(uid)}
    counts = {
        "direct": len({uid for uid in direct if matches(uid)}),
        "effective": len(effective),
        "inherited": len({uid for uid in effective if uid not in direct}),
    }
    chosen = {
        "direct": {uid for uid in effective if uid in direct},
        "inherited": {uid for uid in effective if uid not in direct},
        "effective": effective,
    }[membership]
    items = [
        {
            "id": uid,
            "name": forest.users[uid][0],
            "membership_type": "direct" if uid in direct else "inherited",
            "via_group_ids": inherited_from.get(uid, []),
            "sources": ["manual"] if uid in direct else [],
        }
        for uid in sorted(chosen, key=lambda uid: (forest.users[uid][0], uid))
    ]
    return items, counts


async def members_page(
    api: Api, app: FastAPI, group_id: str, plan: Plan | None, params: dict[str, Any]
) -> dict[str, Any]:
    """A page as the API shows it (``plan`` None: as the cost model plans it), or as the
    members service reads it with a cost model favouring ``plan``."""
    if plan is None:
        response = await api.get(group_path(group_id, "/members"), **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
    runtime = runtime_of(app)
    async with runtime.database.session(write=False) as session:
        listing = await memberships_service.list_members(
            session,
            runtime.caches,
            group_id=group_id,
            membership=params["membership"],
            query=params.get("query"),
            page=params["page"],
            page_size=params["limit"],
            costs=CostModel.favouring(plan),
        )
    return listing.model_dump()


@pytest.mark.parametrize("plan", [None, "walk", "walk_by_set", "sort"], ids=str)
@pytest.mark.parametrize("group", ["top", "middle", "leaf"])
async def test_every_page_matches_the_reference(
    api: Api, app: FastAPI, forest: Forest, plan: Plan | None, group: str
) -> None:
    group_id = forest.groups[group]
    for membership in MEMBERSHIPS:
        for query in QUERIES:
            expected, counts = reference(forest, group_id, membership, query)
            for limit in (4, 100):
                seen: list[dict[str, Any]] = []
                for page in range(1, len(expected) // limit + 3):
                    params: dict[str, Any] = {"membership": membership, "limit": limit}
                    params |= {"page": page} | ({"query": query} if query else {})
                    body = await members_page(api, app, group_id, plan, params)
                    assert body["total"] == counts[membership], (membership, query)
                    assert body["counts"] == counts, (membership, query)
                    assert len(body["items"]) <= limit
                    seen += [
                        {key: item[key] for key in expected[0]} if expected else item
                        for item in body["items"]
                    ]
                assert seen == expected, (membership, query, limit)


async def test_a_page_past_the_end_is_empty_with_the_totals(api: Api, forest: Forest) -> None:
    response = await api.get(
        group_path(forest.groups["top"], "/members"), membership="inherited", page=50, limit=10
    )

    assert response.status_code == 200
    assert response.json()["items"] == []
    # Members of Middle and Low that are not in Top: seed12 to seed17, seed25 to seed27.
    assert response.json()["total"] == 9
    assert response.json()["counts"] == {"direct": 12, "effective": 21, "inherited": 9}


async def _counts(api: Api, group_id: str) -> dict[str, int]:
    response = await api.get(group_path(group_id, "/members"), membership="direct")
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["counts"]
    return counts


async def test_counts_follow_every_change_below(
    api: Api, database: Database, forest: Forest
) -> None:
    """The inherited count is cached under the subtree's membership versions: any change below
    (members, the shape of the tree, a deleted user) is seen at once."""
    top, low = forest.groups["top"], forest.groups["low"]
    assert await _counts(api, top) == {"direct": 12, "effective": 21, "inherited": 9}
    extra = await insert_users(database, 1, prefix="extra")

    await api.add(low, extra[0])
    assert await _counts(api, top) == {"direct": 12, "effective": 22, "inherited": 10}

    response = await api.post(group_path(low, "/update"), {"parent_group_id": None})
    assert response.status_code == 200, response.text
    # Low's own members seed25..27 and the extra user leave; seed12, 13 stay through Middle.
    assert await _counts(api, top) == {"direct": 12, "effective": 18, "inherited": 6}

    response = await api.post(group_path(low, "/update"), {"parent_group_id": top})
    assert response.status_code == 200, response.text
    assert await _counts(api, top) == {"direct": 12, "effective": 22, "inherited": 10}

    async with database.session() as session:  # behind the API's back
        await session.execute(text('DELETE FROM "user" WHERE id = :id'), {"id": extra[0]})
    assert await _counts(api, top) == {"direct": 12, "effective": 21, "inherited": 9}


async def test_an_unchanged_subtree_is_not_counted_again(
    api: Api, database: Database, forest: Forest
) -> None:
    top = forest.groups["top"]
    await _counts(api, top)

    with counting_statements(database) as statements:
        assert await _counts(api, top) == {"direct": 12, "effective": 21, "inherited": 9}

    assert not [sql for sql in statements if "DISTINCT" in sql.upper()]
