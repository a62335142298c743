"""Every per-process cache, in one object, and the one place that invalidates them.

What is kept, and why it is never stale:

- **Verified tokens** (``tokens``): a JWT's signature and claims never change, so a token that
  verified once is kept with its expiry, which is checked on every use; its version is checked
  against the (exact) cached user's on every use too.
- **Users by id** (``users``: their column values) and **effective permissions by user**
  (``permissions``): exact as of the cache revision the process has applied
  (``caching.revision``). Each committed change logs whom it affects; a process that observes a
  newer revision reads the log in between and drops just those users' entries, or everything
  when the log cannot tell (a change naming everyone, a gap, a process far behind).
- **API-key hashes** (``api_keys``: hash to user id): checked against the cached user's own
  ``api_key_hash`` on use, so a replaced or deleted key is refused with the user's entry.
- **Inherited-member counts** (``inherited_counts``): filed under a digest of the subtree they
  were counted in; a changed subtree shows another digest, so nothing invalidates them.
- **The number of users** (``user_count``), read at most once a minute: it only steers the
  members page's plan, where a figure a minute old chooses as well as an exact one.
- **Built statements** (``statements``), keyed by their shape: pure functions of it.
- **Identity providers' published documents** (``provider_documents``: OpenID discovery and
  key sets, by URL), kept for an hour; a token signed by a key the cached set lacks has the set
  fetched again (keys rotate), at most once a minute (``identity.oidc.provider``).

An entry computed at revision *r* is refused if a change after *r* that touches it has already
been applied (a slow request that read older data must not file it over the newer state).
"""

from __future__ import annotations

from collections import deque
from typing import Any
from weakref import WeakValueDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.caching import revision as revisions
from opengroups.caching.lru import LRU, ExpiringLRU, SignedLRU
from opengroups.caching.revision import Invalidation
from opengroups.permissions import EffectivePermissions

# How many applied changes are remembered one by one, to check late entries against.
RECENT_CHANGES = 1_024
# A process this far behind drops everything rather than reading the log in between.
MAX_REPLAY = 1_000


class Caches:
    """The caches of one process (see the module's docstring)."""

    def __init__(self, *, max_users: int = 100_000, max_tokens: int = 10_000) -> None:
        # token -> (user id, token version), with the token's expiry
        self.tokens: ExpiringLRU[str, tuple[str, int]] = ExpiringLRU(max_tokens)
        self.users: LRU[str, dict[str, Any]] = LRU(max_users)
        self.api_keys: LRU[str, str] = LRU(max_users)
        self.permissions: LRU[str, EffectivePermissions] = LRU(max_users)
        # One value per distinct set of granted keys, shared by every user who has it (users in
        # the same groups): 100,000 cached users take a few megabytes, not one tree each.
        self.permission_values: WeakValueDictionary[frozenset[str], EffectivePermissions] = (
            WeakValueDictionary()
        )
        self.inherited_counts: SignedLRU[str, int] = SignedLRU(4_096)
        self.user_count: tuple[float, int] | None = None
        self.statements: dict[tuple[Any, ...], Any] = {}
        self.provider_documents: ExpiringLRU[str, dict[str, Any]] = ExpiringLRU(256)
        self._applied = -1
        self._recent: deque[tuple[int, Invalidation]] = deque(maxlen=RECENT_CHANGES)
        # Entries computed before this revision are refused: changes up to it are not known
        # one by one any more.
        self._known_from = -1

    # --- keeping up with changes -----------------------------------------------------------

    async def observe(self, session: AsyncSession) -> int:
        """Bring the per-user entries up to date with every change committed before this
        transaction began, and return that revision. Costs nothing (host hint) or one query
        (``OPENGROUPS_CACHE_VALIDATION=database``), plus one when something changed."""
        observed = await revisions.observed_revision(session)
        if observed > self._applied:
            await self._catch_up(session, observed)
        return observed

    async def filing_revision(self, session: AsyncSession) -> int:
        """The revision to file an entry under that is computed from data read after this
        call (``revisions.revision_for_caching``)."""
        return await revisions.revision_for_caching(
            session, await revisions.observed_revision(session)
        )

    async def _catch_up(self, session: AsyncSession, observed: int) -> None:
        start = self._applied
        if start < 0 or observed - start > MAX_REPLAY:
            self._drop_everything(observed)
            return
        changes = await revisions.changes_after(session, start, upto=observed)
        if [number for number, _ in changes] != list(range(start + 1, observed + 1)):
            self._drop_everything(observed)  # a revision the log does not explain
            return
        for number, invalidation in changes:
            self.apply(number, invalidation)

    def apply(self, revision: int, invalidation: Invalidation) -> None:
        """Drop what the change that made ``revision`` invalidates."""
        if revision <= self._applied:
            return  # applied already (another request caught up first)
        if invalidation.everyone:
            self._drop_everything(revision)
            return
        for user_id in invalidation.user_ids:
            self.users.pop(user_id)
            self.permissions.pop(user_id)
        if len(self._recent) == self._recent.maxlen:
            self._known_from = self._recent[0][0]
        self._recent.append((revision, invalidation))
        self._applied = max(self._applied, revision)

    def _drop_everything(self, revision: int) -> None:
        self.users.clear()
        self.api_keys.clear()
        self.permissions.clear()
        self._recent.clear()
        self._applied = max(self._applied, revision)
        self._known_from = self._applied

    def _current(self, user_id: str, computed_at: int) -> bool:
        """Whether an entry for ``user_id`` computed at ``computed_at`` is still exact as of
        every change applied so far."""
        if computed_at >= self._applied:
            return True
        if computed_at < self._known_from:
            return False
        for number, invalidation in reversed(self._recent):
            if number <= computed_at:
                break
            if invalidation.touches(user_id):
                return False
        return True

    # --- filing ----------------------------------------------------------------------------

    def put_user(self, user_id: str, computed_at: int, values: dict[str, Any]) -> None:
        if self._current(user_id, computed_at):
            self.users.put(user_id, values)

    def put_permissions(self, user_id: str, computed_at: int, value: EffectivePermissions) -> None:
        if self._current(user_id, computed_at):
            self.permissions.put(user_id, value)
