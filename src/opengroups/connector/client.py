"""Reading and writing one target through Open WebUI 0.12.4's REST API, as its admin.

Every failure (a refused request, an answer that is not what the API documents, a target that
cannot be reached) is a ``TargetUnavailable`` naming the request, never the key.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Iterable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from opengroups.connector.state import Actual, TargetGroup, email_key, groups_to_read
from opengroups.errors import OpenGroupsError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_T = TypeVar("_T")
# Reads sent at once to a target (``TargetClient.read``); writes are sent one at a time.
READ_CONCURRENCY = 8


class TargetUnavailable(OpenGroupsError):
    """The target refused a request or could not be reached (502: the fault is upstream)."""

    status_code = 502

    def __init__(self, request: str, reason: str) -> None:
        super().__init__(f"{request}: {reason}")
        self.request = request
        self.reason = reason


class TargetClient:
    """An ``httpx.AsyncClient`` on the target with its admin's key; use it as a context
    manager. ``transport`` replaces the network in tests that need it."""

    def __init__(
        self, base_url: str, api_key: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> TargetClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, *, json: Any = None, **params: Any) -> Any:
        """The decoded JSON answer. Raises ``TargetUnavailable``."""
        name = f"{method} {path}"
        try:
            response = await self._http.request(method, path, json=json, params=params or None)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(name, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise TargetUnavailable(name, f"{response.status_code} {_detail(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise TargetUnavailable(name, "the answer is not JSON") from exc

    # --- reading ---------------------------------------------------------------------------

    async def groups(self) -> list[TargetGroup]:
        """Every group (an admin sees them all), without members."""
        body = await self.request("GET", "/api/v1/groups/")
        if not isinstance(body, list):
            raise TargetUnavailable("GET /api/v1/groups/", "expected a list of groups")
        return [_group(item) for item in body]

    async def member_ids(self, group_id: str) -> frozenset[str]:
        """The group's direct members' ids (``/export`` answers them in one list)."""
        path = f"/api/v1/groups/id/{group_id}/export"
        body = await self.request("GET", path)
        ids = body.get("user_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            raise TargetUnavailable(f"GET {path}", "expected user_ids")
        return frozenset(str(uid) for uid in ids)

    async def users(self) -> dict[str, str]:
        """``{email_key: user id}`` of every user, in one request (``/users/all``)."""
        path = "/api/v1/users/all"
        body = await self.request("GET", path)
        if not isinstance(body, dict) or not isinstance(body.get("users"), list):
            raise TargetUnavailable(f"GET {path}", "expected {users, total}")
        found: dict[str, str] = {}
        for user in body["users"]:
            try:
                found.setdefault(email_key(str(user["email"])), str(user["id"]))
            except (KeyError, TypeError) as exc:
                raise TargetUnavailable(f"GET {path}", "a user without id or email") from exc
        return found

    async def default_permissions(self) -> dict[str, Any]:
        body = await self.request("GET", "/api/v1/users/default/permissions")
        if not isinstance(body, dict):
            raise TargetUnavailable("GET /api/v1/users/default/permissions", "expected a tree")
        return body

    async def read(self, *, adopt: Iterable[str] = ()) -> Actual:
        """The target's state: its groups (with members for those a plan may touch), users and
        default permissions. Raises ``TargetUnavailable`` (the first failing request's).

        Members are read one group at a time (``/export``: Open WebUI has no request that
        answers every group's members), alongside the users and the defaults,
        ``READ_CONCURRENCY`` requests at once: with a thousand managed groups, one after the
        other would make each plan wait on a thousand round trips in a row."""
        groups = await self.groups()
        wanted = set(groups_to_read(groups, list(adopt)))
        limit = asyncio.Semaphore(READ_CONCURRENCY)

        async def limited(work: Coroutine[Any, Any, _T]) -> _T:
            async with limit:
                return await work

        async def members(group: TargetGroup) -> TargetGroup:
            if group.id not in wanted:
                return group
            ids = await limited(self.member_ids(group.id))
            return dataclasses.replace(group, member_ids=ids)

        try:
            async with asyncio.TaskGroup() as tasks:
                users = tasks.create_task(limited(self.users()))
                defaults = tasks.create_task(limited(self.default_permissions()))
                with_members = [tasks.create_task(members(group)) for group in groups]
        except ExceptionGroup as failed:  # the others were cancelled: the first failure
            raise failed.exceptions[0] from None
        return Actual(
            groups=tuple(task.result() for task in with_members),
            users=users.result(),
            default_permissions=defaults.result(),
        )

    # --- writing ---------------------------------------------------------------------------

    async def create_group(self, form: dict[str, Any]) -> str:
        """The new group's id."""
        body = await self.request("POST", "/api/v1/groups/create", json=form)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise TargetUnavailable("POST /api/v1/groups/create", "expected the new group")
        return str(body["id"])

    async def update_group(self, group_id: str, form: dict[str, Any]) -> None:
        await self.request("POST", f"/api/v1/groups/id/{group_id}/update", json=form)

    async def add_members(self, group_id: str, user_ids: list[str]) -> None:
        path = f"/api/v1/groups/id/{group_id}/users/add"
        await self.request("POST", path, json={"user_ids": user_ids})

    async def remove_members(self, group_id: str, user_ids: list[str]) -> None:
        path = f"/api/v1/groups/id/{group_id}/users/remove"
        await self.request("POST", path, json={"user_ids": user_ids})

    async def delete_group(self, group_id: str) -> None:
        await self.request("DELETE", f"/api/v1/groups/id/{group_id}/delete")

    async def create_user(self, *, name: str, email: str, password: str) -> str:
        """Create an account (role ``user``) through ``/auths/add``; the new user's id."""
        path = "/api/v1/auths/add"
        body = await self.request(
            "POST", path, json={"name": name, "email": email, "password": password, "role": "user"}
        )
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise TargetUnavailable(f"POST {path}", "expected the new user")
        return str(body["id"])

    async def set_default_permissions(self, tree: dict[str, Any]) -> None:
        await self.request("POST", "/api/v1/users/default/permissions", json=tree)


def _detail(response: httpx.Response) -> str:
    """The reason the target gives, short (its ``detail`` when it answers JSON)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    text = str(detail) if detail is not None else response.reason_phrase
    return text if len(text) <= 200 else text[:197] + "..."


def _group(item: Any) -> TargetGroup:
    try:
        return TargetGroup(
            id=str(item["id"]),
            name=str(item["name"]),
            description=str(item.get("description") or ""),
            permissions=item.get("permissions"),
            data=item.get("data"),
            parent_group_id=item.get("parent_group_id"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise TargetUnavailable("GET /api/v1/groups/", "a group without id or name") from exc
