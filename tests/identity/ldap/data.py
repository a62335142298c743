"""Generated directories: users and groups nested in levels, as LDAP entries, with the
effective memberships they imply computed here independently of the code under test (a plain
transitive closure, exact while the sync's ``nested_depth`` exceeds every nesting path)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.identity.ldap.slapd import SUFFIX

Entry = tuple[str, dict[str, list[str]]]


@dataclass
class Tree:
    """A directory under ``ou=<name>``: users by uid (their e-mails), groups by name (their
    direct members: user uids and group names)."""

    name: str
    users: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    # Member DNs that name nothing in the tree (they must be ignored).
    strays: dict[str, set[str]] = field(default_factory=dict)
    member_attribute: str = "member"

    @property
    def base(self) -> str:
        return f"ou={self.name},{SUFFIX}"

    @property
    def user_base(self) -> str:
        return f"ou=people,{self.base}"

    @property
    def group_base(self) -> str:
        return f"ou=groups,{self.base}"

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{self.user_base}"

    def group_dn(self, name: str) -> str:
        return f"cn={name},{self.group_base}"

    def add_user(self, uid: str, email: str | None = None, name: str | None = None) -> None:
        self.users[uid] = email if email is not None else f"{uid}@example.org"
        self.names[uid] = name or f"User {uid}"

    def add_group(self, name: str, users: set[str], groups: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.groups[name] = (set(users), set(groups))

    def user_entry(self, uid: str) -> Entry:
        attributes = {
            "objectClass": ["inetOrgPerson"],
            "uid": [uid],
            "cn": [self.names[uid]],
            "sn": [uid],
            "userPassword": [f"pw-{uid}"],
        }
        if self.users[uid]:
            attributes["mail"] = [self.users[uid]]
        return self.user_dn(uid), attributes

    def group_entry(self, name: str) -> Entry:
        users, groups = self.groups[name]
        members = sorted(
            [self.user_dn(u) for u in users]
            + [self.group_dn(g) for g in groups]
            + sorted(self.strays.get(name, ()))
        )
        if self.member_attribute == "uniqueMember":
            return self.group_dn(name), {
                "objectClass": ["groupOfUniqueNames"],
                "cn": [name],
                "uniqueMember": members or [SUFFIX],
            }
        return self.group_dn(name), {
            "objectClass": ["groupOfNames"],
            "cn": [name],
            "member": members or [SUFFIX],  # groupOfNames must have a member
        }

    def entries(self) -> Iterator[Entry]:
        yield self.base, {"objectClass": ["organizationalUnit"], "ou": [self.name]}
        yield self.user_base, {"objectClass": ["organizationalUnit"], "ou": ["people"]}
        yield self.group_base, {"objectClass": ["organizationalUnit"], "ou": ["groups"]}
        for uid in self.users:
            yield self.user_entry(uid)
        for name in self.groups:
            yield self.group_entry(name)

    def effective(self) -> dict[str, set[str]]:
        """Each group's effective members, as e-mails (groups nested at any depth)."""
        closure = {name: set(groups) for name, (_users, groups) in self.groups.items()}
        changed = True
        while changed:
            changed = False
            for inner in closure.values():
                reached = set().union(*(closure.get(g, set()) for g in inner)) - inner
                if reached:
                    inner |= reached
                    changed = True
        return {
            name: {
                self.users[uid]
                for group in {name} | closure[name]
                for uid in self.groups[group][0]
                if self.users.get(uid)
            }
            for name in self.groups
        }


def generated(name: str, *, users: int, groups: int, seed: int = 15) -> Tree:
    """``users`` users and ``groups`` groups in four levels (a group of level k > 0 is a member
    of one or two groups of level k - 1: nested 3 deep), each user a direct member of up to
    three groups; plus a cycle (a deepest group containing its top-level ancestor) and a stray
    member DN."""
    rng = random.Random(seed)
    tree = Tree(name)
    for i in range(users):
        tree.add_user(f"u{i:05d}")
    uids = list(tree.users)
    levels: list[list[str]] = [[], [], [], []]
    for i in range(groups):
        levels[min(3, i * 4 // groups)].append(f"g{i:04d}")
    nested: dict[str, set[str]] = {g: set() for level in levels for g in level}
    parent_of: dict[str, str] = {}
    for depth in range(1, 4):
        for group in levels[depth]:
            parents = rng.sample(
                levels[depth - 1], k=min(len(levels[depth - 1]), rng.choice([1, 2]))
            )
            for parent in parents:
                nested[parent].add(group)
            parent_of[group] = parents[0]
    direct: dict[str, set[str]] = {g: set() for g in nested}
    for uid in uids:
        for group in rng.sample(sorted(nested), k=rng.choice([0, 1, 2, 3])):
            direct[group].add(uid)
    for group in direct:
        if not direct[group] and not nested[group]:
            direct[group].add(rng.choice(uids))
    deepest = levels[3][0]
    top = parent_of[parent_of[parent_of[deepest]]]
    nested[deepest].add(top)
    for group in nested:
        tree.add_group(group, direct[group], nested[group])
    tree.strays[levels[0][0]] = {f"uid=nobody,ou=elsewhere,{SUFFIX}"}
    return tree
