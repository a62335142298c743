"""Carrying a plan out on a target, one request per action, in the plan's order.

It stops at the first failure and says what was done and what was not. Nothing needs undoing:
the next apply computes its plan from the target afresh, so it finishes the job, and an action
already done no longer appears in it (applying twice changes nothing the second time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
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
            "missing_users": len(missing),
            "missing_user_emails": missing[:STORED_MISSING_USERS],
            "conflicts": list(self.plan.conflicts) if self.plan else [],
        }


def _form(fields: GroupFields, og_id: str, ids: dict[str, str]) -> dict[str, Any]:
    """The whole group form: every field sent, so the target ends exactly as planned."""
    return {
        "name": fields.name,
        "description": fields.description,
        "permissions": fields.permissions,
        "data": {"config": fields.config, MARKER: fields.marker(og_id)},
        "parent_group_id": ids[fields.parent_id] if fields.parent_id is not None else None,
    }


async def _run(client: TargetClient, action: Action, ids: dict[str, str]) -> None:
    if action.kind == "default_permissions":
        await client.set_default_permissions(action.permissions or {})
        return
    if action.kind == "delete":
        assert action.target_id is not None
        await client.delete_group(action.target_id)
        return
    assert action.og_id is not None
    if action.kind == "create":
        assert action.fields is not None
        ids[action.og_id] = await client.create_group(_form(action.fields, action.og_id, ids))
        return
    target_id = action.target_id or ids[action.og_id]
    if action.kind in ("update", "mark"):
        assert action.fields is not None
        await client.update_group(target_id, _form(action.fields, action.og_id, ids))
    elif action.kind == "add_members":
        await client.add_members(target_id, list(action.user_ids))
    elif action.kind == "remove_members":
        await client.remove_members(target_id, list(action.user_ids))


async def apply_plan(
    client: TargetClient, plan: Plan, *, target: str, progress: Progress | None = None
) -> ApplyReport:
    """Run ``plan``'s actions in order; on the first ``TargetUnavailable``, stop and report."""
    report = ApplyReport(target=target, plan=plan)
    ids = {a.og_id: a.target_id for a in plan.actions if a.og_id and a.target_id}
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
