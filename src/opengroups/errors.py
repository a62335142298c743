"""Domain errors. Each carries its HTTP status; one handler renders them as ``{"detail": ...}``."""

from __future__ import annotations

from collections.abc import Iterable


class OpenGroupsError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 400
    # Response headers the error comes with (``Retry-After`` on a 429, say).
    headers: dict[str, str] | None = None

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotAuthenticated(OpenGroupsError):
    status_code = 401


class AccessProhibited(OpenGroupsError):
    """Authenticated, but the role may not use the service (pending users): 401 as Open WebUI."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__(
            "Your account is pending approval or may not use this resource. "
            "Please contact your administrator."
        )


class NotPermitted(OpenGroupsError):
    status_code = 403

    def __init__(self, message: str = "You do not have permission to perform this action.") -> None:
        super().__init__(message)


class NotFound(OpenGroupsError):
    status_code = 404


class GroupNotFound(NotFound):
    def __init__(self, group_id: str | None = None, *, what: str = "Group") -> None:
        suffix = f" '{group_id}'" if group_id else ""
        super().__init__(f"{what}{suffix} not found.")


class UserNotFound(NotFound):
    def __init__(self, user_id: str | None = None) -> None:
        suffix = f" '{user_id}'" if user_id else ""
        super().__init__(f"User{suffix} not found.")


class Conflict(OpenGroupsError):
    status_code = 409


class NameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"A group named '{name}' already exists (names are case-insensitive).")


class EmailTaken(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"A user with the e-mail '{email}' already exists.")


class PreconditionFailed(OpenGroupsError):
    status_code = 412


class HierarchyError(OpenGroupsError):
    status_code = 400


class InvalidInput(OpenGroupsError):
    """Well-formed JSON whose content breaks a rule that needs the database to check."""

    status_code = 422


class UnknownUsers(InvalidInput):
    def __init__(self, user_ids: Iterable[str]) -> None:
        ids = sorted(set(user_ids))
        self.user_ids = ids
        shown = ", ".join(ids[:50]) + (f" and {len(ids) - 50} more" if len(ids) > 50 else "")
        super().__init__(f"Unknown user ids: {shown}.")
