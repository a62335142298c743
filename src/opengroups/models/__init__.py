"""SQLAlchemy 2 typed ORM models. Importing this package registers every table on the metadata."""

from opengroups.models.audit import AuditEvent
from opengroups.models.authz_state import AuthzChange, AuthzState
from opengroups.models.base import Base, new_id, now_epoch
from opengroups.models.config_entry import ConfigEntry
from opengroups.models.grant import AccessGrant, AccessResource
from opengroups.models.group import Group
from opengroups.models.identity_link import IdentityGroupLink, IdentityLink
from opengroups.models.membership import GroupMember, GroupMemberSource, MembershipSource
from opengroups.models.owui_target import OwuiTarget
from opengroups.models.scim_client import ScimClient
from opengroups.models.signin import SigninFailure
from opengroups.models.user import User

# Rows every instance needs, which emptying the data must keep.
_BOOKKEEPING_TABLES = {AuthzState.__tablename__}


def data_tables_children_first() -> list[str]:
    """Quoted names of the tables holding data, each before the tables it references, so that
    deleting in this order never breaks a foreign key."""
    return [
        f'"{table.name}"'
        for table in reversed(Base.metadata.sorted_tables)
        if table.name not in _BOOKKEEPING_TABLES
    ]


__all__ = [
    "AccessGrant",
    "AccessResource",
    "AuditEvent",
    "AuthzChange",
    "AuthzState",
    "Base",
    "ConfigEntry",
    "Group",
    "GroupMember",
    "GroupMemberSource",
    "IdentityGroupLink",
    "IdentityLink",
    "MembershipSource",
    "OwuiTarget",
    "ScimClient",
    "SigninFailure",
    "User",
    "data_tables_children_first",
    "new_id",
    "now_epoch",
]
