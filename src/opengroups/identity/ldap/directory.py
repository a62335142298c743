"""Reading an LDAP directory with ldap3: whole, or not at all.

A sync that believed a partial answer would withdraw the memberships of everyone the answer
left out (GitLab's LDAP sync did, when its directory rate-limited a read). So every read here
either returns everything it asked for or raises ``DirectoryUnavailable``: on any error or
timeout, on a referral (not followed: it would read another server's view), and on any result
code but success, which covers a truncated answer (``sizeLimitExceeded``,
``adminLimitExceeded``, ``timeLimitExceeded``), a server that is busy, unavailable or refusing
(rate limits), and a paged search that did not run to its last page.

Everything here blocks (ldap3's synchronous strategy): callers run it in a worker thread.
"""

from __future__ import annotations

import math
import re
import ssl
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

# ldap3 ships no type information (pyproject's mypy overrides would be the place to say so),
# and its import touches pyasn1 names that pyasn1 deprecates: a warning about a library's
# internals, which the caller can do nothing about.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from ldap3 import (  # type: ignore[import-untyped]
        ANONYMOUS,
        BASE,
        NONE,
        SIMPLE,
        SUBTREE,
        Connection,
        Server,
        Tls,
    )
    from ldap3.core.exceptions import (  # type: ignore[import-untyped]
        LDAPException,
        LDAPInvalidDnError,
    )
    from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]
    from ldap3.utils.dn import parse_dn  # type: ignore[import-untyped]

from opengroups.errors import OpenGroupsError
from opengroups.identity.config import LdapDirectory
from opengroups.identity.ldap import nesting

# Entries per page of a paged search (RFC 2696): under the usual server limits (AD: 1,000).
PAGE_SIZE = 500
_PAGED_RESULTS = "1.2.840.113556.1.4.319"
_SUCCESS = 0
_NO_SUCH_OBJECT = 32
_INVALID_CREDENTIALS = 49
# groupOfUniqueNames members may carry an optional unique id: ``uid=a,dc=x#'0101'B``.
_UNIQUE_ID_SUFFIX = re.compile(r"#'[01]*'B$")

# Called from the reading thread with what is being read ("users", "groups") and how many
# entries of it have arrived so far.
Progress = Callable[[str, int], None]


class DirectoryUnavailable(OpenGroupsError):
    """The directory could not be read completely; nothing it returned may be used. (502 when
    it ends a request: the upstream identity provider failed.)"""

    status_code = 502

    def __init__(self, what: str, *, code: int | None = None) -> None:
        super().__init__(f"The LDAP directory could not be read completely: {what}")
        self.what = what
        # The LDAP result code, when the directory answered with one.
        self.code = code


@dataclass(frozen=True)
class DirectoryUser:
    """A user entry. ``key`` is its DN normalised (``dn_key``): what links it to an account."""

    dn: str
    key: str
    uid: str | None
    email: str | None
    name: str | None


@dataclass(frozen=True)
class DirectoryGroup:
    """A group entry and the normalised DNs of its direct members (users and groups)."""

    dn: str
    key: str
    name: str
    members: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DirectoryView:
    """The whole directory as one read saw it, by normalised DN."""

    users: dict[str, DirectoryUser]
    groups: dict[str, DirectoryGroup]

    def effective_members(self, depth: int) -> dict[str, set[str]]:
        """Each group's user keys, nested groups expanded ``depth`` levels (``nesting``)."""
        return nesting.effective_members(
            {key: group.members for key, group in self.groups.items()}, self.users, depth=depth
        )


@dataclass(frozen=True)
class SignedIn:
    """A user whose password the directory accepted, with the groups it is an effective member
    of (None when they could not be read: ``problem`` says why, and the sign-in goes on
    without a sync)."""

    user: DirectoryUser
    groups: list[DirectoryGroup] | None
    problem: str | None = None


def dn_key(dn: str) -> str:
    """A DN in one spelling: attribute types and values lower-cased (the naming attributes of
    users and groups compare case-insensitively), no blanks around separators."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPInvalidDnError:
        return dn.strip().lower()
    return "".join(f"{kind.lower()}={value.lower()}{sep}" for kind, value, sep in parts)


# --- connecting ------------------------------------------------------------------------------


def _server(config: LdapDirectory) -> Server:
    url = urlparse(config.url)
    if url.scheme not in ("ldap", "ldaps") or not url.hostname:
        raise DirectoryUnavailable(f"{config.url!r} is not an ldap:// or ldaps:// URL")
    # Certificates are always verified: against ``ca_certificates`` when given, else the
    # system's trust store.
    authorities = str(config.ca_certificates) if config.ca_certificates else None
    tls = Tls(validate=ssl.CERT_REQUIRED, sni=url.hostname, ca_certs_file=authorities)
    return Server(
        url.hostname,
        port=url.port,
        use_ssl=url.scheme == "ldaps",
        tls=tls,
        get_info=NONE,
        connect_timeout=config.timeout_seconds,
    )


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Any failure of ldap3 or the network while doing ``what`` as ``DirectoryUnavailable``."""
    try:
        yield
    except DirectoryUnavailable:
        raise
    except (LDAPException, OSError) as exc:
        raise DirectoryUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc


def _describe(result: dict[str, Any] | None) -> str:
    if not result:
        return "no result"
    message = f"{result.get('description')} (result code {result.get('result')})"
    return f"{message}: {result['message']}" if result.get("message") else message


@contextmanager
def _connection(
    config: LdapDirectory, *, user: str | None = None, password: str | None = None
) -> Iterator[Connection]:
    """A connection bound as ``user`` (default: the configured bind DN, or anonymously), TLS
    first when the configuration asks for StartTLS. Raises ``DirectoryUnavailable``, also when
    the bind is refused."""
    who = user or config.bind_dn
    secret = password if user else config.password()
    connection = Connection(
        _server(config),
        user=who,
        password=secret,
        authentication=SIMPLE if who else ANONYMOUS,
        auto_referrals=False,
        read_only=True,
        raise_exceptions=False,
        receive_timeout=math.ceil(config.timeout_seconds),  # ldap3 packs it as an integer
    )
    failed = True
    try:
        with _guarded(f"connecting to {config.url}"), _hostname_checks():
            connection.open()
            if config.start_tls and not connection.start_tls():
                raise DirectoryUnavailable(f"StartTLS refused: {_describe(connection.result)}")
            if not connection.bind():
                raise _BindRefused(connection.result)
        yield connection
        failed = False
    finally:
        try:
            with _guarded("closing the connection"):
                connection.unbind()
        except DirectoryUnavailable:
            if not failed:  # after a failure, its own reason is the one to tell
                raise
        # A connection that failed half-way may still hold its socket.
        if connection.socket is not None:
            connection.socket.close()


@contextmanager
def _hostname_checks() -> Iterator[None]:
    """ldap3 checks a certificate's names with ``ssl.match_hostname``, which Python 3.11 still
    has but warns about (3.12 removed it, and ldap3 then uses its own copy): the check is made
    either way; only the warning is silenced, so that it is not taken for an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"ssl\.match_hostname\(\) is deprecated", category=DeprecationWarning
        )
        yield


class _BindRefused(DirectoryUnavailable):
    def __init__(self, result: dict[str, Any] | None) -> None:
        super().__init__(f"the bind was refused: {_describe(result)}", code=_code(result))


def _code(result: dict[str, Any] | None) -> int | None:
    code = (result or {}).get("result")
    return code if isinstance(code, int) else None


# --- searching -----------------------------------------------------------------------------


def _search(
    connection: Connection,
    config: LdapDirectory,
    *,
    base: str,
    search_filter: str,
    attributes: Sequence[str],
    scope: str = SUBTREE,
    what: str,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Every entry the search finds, page by page (``PAGE_SIZE``), or ``DirectoryUnavailable``:
    each page must succeed and carry no referral, and the last page must say it is the last."""
    found: list[dict[str, Any]] = []
    cookie: bytes | None = None
    with _guarded(f"reading {what}"):
        while True:
            connection.search(
                base,
                search_filter,
                search_scope=scope,
                attributes=list(attributes),
                time_limit=math.ceil(config.timeout_seconds),
                paged_size=PAGE_SIZE,
                paged_cookie=cookie,
            )
            result = connection.result
            if not result or result.get("result") != _SUCCESS:
                raise DirectoryUnavailable(
                    f"reading {what}: {_describe(result)}", code=_code(result)
                )
            for item in connection.response or []:
                if item.get("type") == "searchResRef":
                    raise DirectoryUnavailable(
                        f"reading {what}: the directory referred the search to "
                        f"{', '.join(item.get('uri') or [])} (referrals are not followed)"
                    )
                if item.get("type") == "searchResEntry":
                    found.append(item)
            if progress is not None:
                progress(what, len(found))
            control = (result.get("controls") or {}).get(_PAGED_RESULTS)
            cookie = control["value"]["cookie"] if control else None
            if not cookie:
                return found


def _values(entry: dict[str, Any], attribute: str) -> list[str]:
    value = (entry.get("attributes") or {}).get(attribute)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [text for text in (_text(item).strip() for item in items) if text]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _first(entry: dict[str, Any], attribute: str) -> str | None:
    values = _values(entry, attribute)
    return values[0] if values else None


def _member_key(value: str) -> str:
    return dn_key(_UNIQUE_ID_SUFFIX.sub("", value))


def _user_attributes(config: LdapDirectory) -> list[str]:
    names = [config.user_id_attribute, config.user_email_attribute, config.user_name_attribute]
    if config.member_attribute == "memberOf":
        names.append("memberOf")
    return list(dict.fromkeys(names))


def _group_attributes(config: LdapDirectory) -> list[str]:
    return list(dict.fromkeys([config.group_name_attribute, config.member_attribute]))


def _user(entry: dict[str, Any], config: LdapDirectory) -> DirectoryUser:
    email = _first(entry, config.user_email_attribute)
    return DirectoryUser(
        dn=entry["dn"],
        key=dn_key(entry["dn"]),
        uid=_first(entry, config.user_id_attribute),
        email=email.lower() if email else None,
        name=_first(entry, config.user_name_attribute),
    )


def _group_name(entry: dict[str, Any], config: LdapDirectory) -> str:
    name = _first(entry, config.group_name_attribute)
    if name:
        return name
    rdn = parse_dn(entry["dn"], strip=True)[0]
    return str(rdn[1])


# --- what the sync reads -------------------------------------------------------------------


def read_directory(config: LdapDirectory, *, progress: Progress | None = None) -> DirectoryView:
    """Every user and group under the configured bases, with each group's direct members
    (from the groups' ``member``/``uniqueMember``, or from the ``memberOf`` of users and
    groups). Raises ``DirectoryUnavailable``; never returns part of the directory."""
    with _connection(config) as connection:
        user_entries = _search(
            connection,
            config,
            base=config.user_base,
            search_filter=config.user_filter,
            attributes=_user_attributes(config),
            what="users",
            progress=progress,
        )
        group_entries = _search(
            connection,
            config,
            base=config.group_base,
            search_filter=config.group_filter,
            attributes=_group_attributes(config),
            what="groups",
            progress=progress,
        )
    users = {user.key: user for user in (_user(entry, config) for entry in user_entries)}
    members: dict[str, set[str]] = defaultdict(set)
    if config.member_attribute == "memberOf":
        for entry in [*user_entries, *group_entries]:
            for group in _values(entry, "memberOf"):
                members[dn_key(group)].add(dn_key(entry["dn"]))
    else:
        for entry in group_entries:
            members[dn_key(entry["dn"])] = {
                _member_key(value) for value in _values(entry, config.member_attribute)
            }
    groups = {}
    for entry in group_entries:
        key = dn_key(entry["dn"])
        groups[key] = DirectoryGroup(
            dn=entry["dn"],
            key=key,
            name=_group_name(entry, config),
            members=frozenset(members.get(key, ())),
        )
    return DirectoryView(users=users, groups=groups)


def _login_filter(config: LdapDirectory, login: str) -> str:
    value = escape_filter_chars(login)
    return (
        f"(&{config.user_filter}(|({config.user_id_attribute}={value})"
        f"({config.user_email_attribute}={value})))"
    )


def find_user(connection: Connection, config: LdapDirectory, login: str) -> DirectoryUser | None:
    """The one user entry whose id or e-mail is ``login`` (none: unknown or ambiguous)."""
    entries = _search(
        connection,
        config,
        base=config.user_base,
        search_filter=_login_filter(config, login),
        attributes=_user_attributes(config),
        what="the user",
    )
    return _user(entries[0], config) if len(entries) == 1 else None


def read_user_groups(config: LdapDirectory, *, dn: str | None, email: str) -> SignedIn | None:
    """The user entry (by DN when known, else by e-mail) and its effective groups, nested
    parents included up to ``nested_depth``. None when the directory has no such user.
    Raises ``DirectoryUnavailable``."""
    with _connection(config) as connection:
        user = _user_by_dn(connection, config, dn) if dn else None
        if user is None:
            user = find_user(connection, config, email)
        if user is None:
            return None
        return SignedIn(user=user, groups=_groups_of(connection, config, user))


def authenticate(config: LdapDirectory, *, login: str, password: str) -> SignedIn | None:
    """The user whose id or e-mail is ``login`` if the directory accepts ``password`` for it (a
    bind as the entry), with its groups. None for an unknown, ambiguous or wrong login, and for
    an empty password (which many servers would take as an anonymous bind). Raises
    ``DirectoryUnavailable`` when the directory cannot answer."""
    if not password or not login.strip():
        return None
    with _connection(config) as connection:
        user = find_user(connection, config, login.strip())
        if user is None:
            return None
        try:
            with _connection(config, user=user.dn, password=password):
                pass
        except _BindRefused as exc:
            if exc.code == _INVALID_CREDENTIALS:
                return None
            raise
        try:
            groups = _groups_of(connection, config, user)
        except DirectoryUnavailable as exc:
            return SignedIn(user=user, groups=None, problem=exc.message)
        return SignedIn(user=user, groups=groups)


def _under(dn: str, base: str) -> bool:
    key, base_key = dn_key(dn), dn_key(base)
    return key == base_key or key.endswith("," + base_key)


def _user_by_dn(connection: Connection, config: LdapDirectory, dn: str) -> DirectoryUser | None:
    if not _under(dn, config.user_base):
        return None
    try:
        entries = _search(
            connection,
            config,
            base=dn,
            scope=BASE,
            search_filter=config.user_filter,
            attributes=_user_attributes(config),
            what="the user",
        )
    except DirectoryUnavailable as exc:
        if exc.code == _NO_SUCH_OBJECT:  # renamed or deleted: look it up by e-mail
            return None
        raise
    return _user(entries[0], config) if entries else None


def _groups_of(
    connection: Connection, config: LdapDirectory, user: DirectoryUser
) -> list[DirectoryGroup]:
    """The groups ``user`` is a member of, directly or through nested groups (at most
    ``nested_depth`` levels up), each read with a search per level."""
    found: dict[str, DirectoryGroup] = {}
    frontier = [user.dn]
    for _level in range(config.nested_depth + 1):
        if not frontier:
            break
        fresh = []
        for entry in _containing_groups(connection, config, frontier):
            key = dn_key(entry["dn"])
            if key not in found:
                found[key] = DirectoryGroup(
                    dn=entry["dn"], key=key, name=_group_name(entry, config)
                )
                fresh.append(entry["dn"])
        frontier = fresh
    return sorted(found.values(), key=lambda group: group.key)


def _containing_groups(
    connection: Connection, config: LdapDirectory, dns: list[str]
) -> list[dict[str, Any]]:
    """The group entries that hold one of ``dns`` as a direct member."""
    if config.member_attribute == "memberOf":
        wanted: list[str] = []
        for dn in dns:
            entries = _search(
                connection,
                config,
                base=dn,
                scope=BASE,
                search_filter="(objectClass=*)",
                attributes=["memberOf"],
                what="memberOf",
            )
            wanted += [v for entry in entries for v in _values(entry, "memberOf")]
        return [
            entry for dn in dict.fromkeys(wanted) for entry in _group_entry(connection, config, dn)
        ]
    members = "".join(f"({config.member_attribute}={escape_filter_chars(dn)})" for dn in dns)
    return _search(
        connection,
        config,
        base=config.group_base,
        search_filter=f"(&{config.group_filter}(|{members}))",
        attributes=_group_attributes(config),
        what="the user's groups",
    )


def _group_entry(connection: Connection, config: LdapDirectory, dn: str) -> list[dict[str, Any]]:
    """The group at ``dn`` if it lies under the group base and passes the group filter."""
    if not _under(dn, config.group_base):
        return []
    try:
        return _search(
            connection,
            config,
            base=dn,
            scope=BASE,
            search_filter=config.group_filter,
            attributes=_group_attributes(config),
            what="a group",
        )
    except DirectoryUnavailable as exc:
        if exc.code == _NO_SUCH_OBJECT:  # a stale memberOf value
            return []
        raise
