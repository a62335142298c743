"""SQLAlchemy 2 typed ORM models. Importing this package registers every table on the metadata."""

from opengroups.models.audit import AuditEvent
from opengroups.models.authz_state import AuthzState
from opengroups.models.base import Base, new_id, now_epoch
from opengroups.models.config_entry import ConfigEntry
from opengroups.models.grant import AccessGrant, AccessResource
from opengroups.models.group import Group
from opengroups.models.membership import GroupMember, GroupMemberSource, MembershipSource
from opengroups.models.user import User

__all__ = [
    "AccessGrant",
    "AccessResource",
    "AuditEvent",
    "AuthzState",
    "Base",
    "ConfigEntry",
    "Group",
    "GroupMember",
    "GroupMemberSource",
    "MembershipSource",
    "User",
    "new_id",
    "now_epoch",
]
