"""The identity providers an operator configured: one YAML or JSON file
(``OPENGROUPS_IDENTITY_PROVIDERS``), read once at start-up and checked whole, so a typo stops
the process with a message instead of a sign-in failing later. ``docs/identity-providers.md``
documents every key."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opengroups.errors import OpenGroupsError

# A provider's name is part of its membership source (``oauth:<name>``, 64 characters at most)
# and of its sign-in address.
ProviderName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class IdentityConfigError(OpenGroupsError):
    """The identity providers' file cannot be used (the message says where)."""


class GroupSync(BaseModel):
    """How the groups a provider reports become memberships (the source is the provider's)."""

    model_config = ConfigDict(extra="forbid")

    # Claim values (or LDAP group names) to groups: by the group's name (case-insensitive, as
    # names are), and by an explicit map from the provider's value (Entra's group object ids)
    # to a group's id or name; ``both`` tries the map first.
    match: Literal["name", "mapping", "both"] = "name"
    mapping: dict[str, str] = {}
    # Create a group for a name no group has (owned by the primary admin).
    create_groups: bool = False
    # Values never joined, as shell patterns matched case-insensitively ("admin*", "*-owners").
    blocked: list[str] = []
    # An empty or missing list removes the provider's memberships only when it is authoritative
    # (otherwise a claim that went missing, as providers do when a token is too large, would
    # empty everyone's groups).
    authoritative: bool = False


class OidcProvider(BaseModel):
    """An OpenID Connect provider (authorization code with PKCE)."""

    model_config = ConfigDict(extra="forbid")

    name: ProviderName
    display_name: str = ""
    issuer: str
    client_id: str
    client_secret: str | None = None
    # Read the secret from this environment variable instead (keeps it out of the file).
    client_secret_env: str | None = None
    scopes: list[str] = ["openid", "email", "profile"]
    # Match an existing account by its verified e-mail when no account has the subject yet.
    match_verified_email: bool = False
    # Create an account on a first sign-in (OPENGROUPS_DEFAULT_USER_ROLE, the default group).
    create_users: bool = True
    groups_claim: str | None = None
    # A claim that is one string holding several values (``"a,b"``).
    groups_separator: str | None = None
    groups_from: Literal["id_token", "userinfo"] = "id_token"
    groups: GroupSync = GroupSync()

    def secret(self) -> str | None:
        if self.client_secret_env is not None:
            return os.environ.get(self.client_secret_env)
        return self.client_secret

    @model_validator(mode="after")
    def _one_secret(self) -> OidcProvider:
        if self.client_secret is not None and self.client_secret_env is not None:
            raise ValueError("give client_secret or client_secret_env, not both")
        return self


class LdapDirectory(BaseModel):
    """An LDAP directory whose groups are synced (source ``ldap``), and optionally whose
    passwords sign users in."""

    model_config = ConfigDict(extra="forbid")

    url: str  # ldap://host:389 or ldaps://host:636
    start_tls: bool = False
    # A PEM file of the certificate authorities to trust for LDAPS and StartTLS (a directory's
    # own CA, say); none: the system's trust store. Certificates are always verified.
    ca_certificates: Path | None = None
    bind_dn: str | None = None
    bind_password: str | None = None
    bind_password_env: str | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=300)
    user_base: str
    user_filter: str = "(objectClass=inetOrgPerson)"
    user_id_attribute: str = "uid"
    user_email_attribute: str = "mail"
    user_name_attribute: str = "cn"
    group_base: str
    group_filter: str = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"
    group_name_attribute: str = "cn"
    # ``member`` (groupOfNames), ``uniqueMember`` (groupOfUniqueNames) or ``memberOf`` on users.
    member_attribute: Literal["member", "uniqueMember", "memberOf"] = "member"
    # Groups that are members of groups give their members to the outer group, this deep.
    nested_depth: int = Field(default=5, ge=0, le=20)
    # Seconds between full syncs by the server (0: only at sign-in and from the CLI).
    sync_interval_seconds: int = Field(default=0, ge=0)
    password_signin: bool = False
    create_users: bool = True
    groups: GroupSync = GroupSync()

    def password(self) -> str | None:
        if self.bind_password_env is not None:
            return os.environ.get(self.bind_password_env)
        return self.bind_password


class TrustedHeader(BaseModel):
    """Sign-in by headers a reverse proxy sets (source ``header``); only requests from
    ``OPENGROUPS_TRUSTED_PROXIES`` are believed."""

    model_config = ConfigDict(extra="forbid")

    email_header: str = "X-Forwarded-Email"
    name_header: str | None = "X-Forwarded-User"
    groups_header: str | None = None
    groups_separator: str = ","
    create_users: bool = True
    groups: GroupSync = GroupSync()


class IdentityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    oidc: list[OidcProvider] = []
    ldap: LdapDirectory | None = None
    header: TrustedHeader | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> IdentityConfig:
        names = [provider.name for provider in self.oidc]
        if len(set(names)) != len(names):
            raise ValueError("two OpenID providers have the same name")
        return self

    def provider(self, name: str) -> OidcProvider | None:
        return next((p for p in self.oidc if p.name == name), None)


NONE = IdentityConfig()


def load_identity(path: Path | None) -> IdentityConfig:
    """The configured providers (none without a file). Raises ``IdentityConfigError``."""
    if path is None:
        return NONE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IdentityConfigError(f"identity providers: cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise IdentityConfigError(f"identity providers: {path} is not valid: {exc}") from exc
    try:
        return IdentityConfig.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise IdentityConfigError(f"identity providers ({path}): {problems}") from exc


def blocked(value: str, patterns: list[str]) -> bool:
    """Whether a group value matches one of the blocked shell patterns (case-insensitive)."""
    from fnmatch import translate

    return any(re.fullmatch(translate(p.casefold()), value.casefold()) for p in patterns)
