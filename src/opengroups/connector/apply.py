"""Carrying a plan out on a target, one request per action, in the plan's order.

It stops at the first failure and says what was done and what was not. Nothing needs undoing:
the next apply computes its plan from the target afresh, so it finishes the job, and an action
already done no longer appears in it (applying twice changes nothing the second time).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opengroups.connector.client import TargetClient, TargetUnavailable
from opengroups.connector.plan import Action, GroupFields, Plan
from opengroups.connector.state import MARKER

# Called after each action with (actions done, actions in all).
Progress = Callable[[int, int], None]
# At most this many missing users' e-mails are kept in a stored result (all are counted).
STORED_MISSING_USERS = 100


@dataclass
class ApplyReport:
    """What an apply did. ``error``: why it stopped (the target's failure), None when it
    finished; ``plan``: None when the target could not even be read."""

    target: str
    plan: Plan | None
    done: list[Action] = field(default_factory=list)
    not_done: list[Action] = field(default_factory=list)
    error: str | None = None
    # E-mails of the accounts created on the target first (``create_users``).
    created_users: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self, *, at: int) -> dict[str, Any]:
        """The report as stored in ``owui_target.last_result`` and the audit event."""
        done: Counter[str] = Counter(action.kind for action in self.done)
        for action in self.done:
            if action.kind in ("add_members", "remove_members"):
                done[f"{action.kind}.users"] += len(action.user_ids)
        missing = list(self.plan.missing_users) if self.plan else []
        return {
            "at": at,
            "ok": self.ok,
            "error": self.error,
            "done": dict(sorted(done.items())),
            "not_done": len(self.not_done),
            "drift": [d.group for d in self.plan.drift] if self.plan else [],
            "created_users": len(self.created_users),
            "missing_users": len(missing),
            "missing_user_emails": missing[:STORED_MISSING_USERS],
            "conflicts": list(self.plan.conflicts) if self.plan else [],
        }


async def create_users(
    client: TargetClient, emails: Sequence[str], *, names: Mapping[str, str]
) -> tuple[list[str], str | None]:
    """Create the target's missing accounts (role ``user``, a random password nobody is told:
    they sign in through the target's identity provider, or its admin sets one). The e-mails
    created, and why it stopped (None when all were)."""
    created: list[str] = []
    for email in emails:
        name = names.get(email) or email.split("@")[0]
        try:
            await client.create_user(name=name, email=email, password=secrets.token_urlsafe(24))
        except TargetUnavailable as exc:
            return created, exc.message
        created.append(email)
    return created, None


def _form(fields: GroupFields, og_id: str, parent_target_id: str | None) -> dict[str, Any]:
    """The whole group form: every field sent, so the target ends exactly as planned."""
    return {
        "name": fields.name,
        "description": fields.description,
        "permissions": fields.permissions,
        "data": {"config": fields.config, MARKER: fields.marker(og_id)},
        "parent_group_id": parent_target_id,
    }


def _parent_target_id(fields: GroupFields, ids: Mapping[str, str]) -> str | None:
    """The target's id of the group's parent: held there before the apply (``Plan.target_ids``)
    or created by it."""
    if fields.parent_id is None:
        return None
    return ids[fields.parent_id]


def _overlay(tree: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``tree`` with the leaves of ``changes`` set over it, recursively."""
    merged = dict(tree)
    for key, value in changes.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = _overlay(current, value)
        else:
            merged[key] = value
    return merged


async def _run(client: TargetClient, action: Action, ids: dict[str, str]) -> None:
    if action.kind == "default_permissions":
        # Open WebUI wants every section (422 otherwise) and resets a key left out to its
        # code's default: send its own tree with opengroups' keys set over it, so the keys
        # only the target knows keep their values.
        current = await client.default_permissions()
        await client.set_default_permissions(_overlay(current, action.permissions or {}))
        return
    if action.kind == "delete":
        assert action.target_id is not None
        await client.delete_group(action.target_id)
        return
    assert action.og_id is not None
    if action.kind == "create":
        assert action.fields is not None
        form = _form(action.fields, action.og_id, _parent_target_id(action.fields, ids))
        ids[action.og_id] = await client.create_group(form)
        return
    target_id = action.target_id or ids[action.og_id]
    if action.kind in ("update", "mark"):
        assert action.fields is not None
        parent = _parent_target_id(action.fields, ids)
        await client.update_group(target_id, _form(action.fields, action.og_id, parent))
    elif action.kind == "add_members":
        await client.add_members(target_id, list(action.user_ids))
    elif action.kind == "remove_members":
        await client.remove_members(target_id, list(action.user_ids))


async def apply_plan(
    client: TargetClient, plan: Plan, *, target: str, progress: Progress | None = None
) -> ApplyReport:
    """Run ``plan``'s actions in order; on the first ``TargetUnavailable``, stop and report."""
    report = ApplyReport(target=target, plan=plan)
    ids = dict(plan.target_ids)
    total = len(plan.actions)
    for index, action in enumerate(plan.actions):
        try:
            await _run(client, action, ids)
        except TargetUnavailable as exc:
            report.error = exc.message
            report.not_done = list(plan.actions[index:])
            return report
        report.done.append(action)
        if progress is not None:
            progress(index + 1, total)
    return report
