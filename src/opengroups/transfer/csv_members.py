"""CSV member import for one group, in Open WebUI's template (header ``Name,Email``)."""

from __future__ import annotations

import csv
import io
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.errors import GroupNotFound, InvalidInput
from opengroups.groups import repository as groups_repository
from opengroups.memberships import repository as memberships
from opengroups.memberships import service as memberships_service
from opengroups.models import MembershipSource
from opengroups.schemas_common import MAX_USER_IDS
from opengroups.transfer.schemas import CsvImportReport, CsvRowResult
from opengroups.users import repository as users_repository

HEADER = ["name", "email"]


def _rows(text: str) -> list[list[str]]:
    if "\x00" in text:
        raise InvalidInput("The CSV may not contain NUL characters.")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InvalidInput(f"The CSV cannot be read: {exc}.") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows or [cell.strip().lower() for cell in rows[0]] != HEADER:
        raise InvalidInput("The CSV must start with the header 'Name,Email'.")
    if len(rows) - 1 > MAX_USER_IDS:
        raise InvalidInput(f"The CSV has {len(rows) - 1} rows; at most {MAX_USER_IDS} are allowed.")
    return rows[1:]


async def import_members_csv(session: AsyncSession, *, group_id: str, text: str) -> CsvImportReport:
    """Add the users named by e-mail (matched case-insensitively) as direct members, in one
    transaction, and say what happened to each row (rows are numbered from 2, after the
    header). Raises ``GroupNotFound``; ``InvalidInput`` for a file without the header."""
    group = await groups_repository.get_group_for_update(session, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    rows = _rows(text)
    emails = [row[1].strip().lower() for row in rows if len(row) == 2 and "@" in row[1]]
    users = {u.email: u for u in await users_repository.users_by_emails(session, emails)}
    members = await memberships.existing_member_ids(
        session, group_id, [u.id for u in users.values()]
    )
    results: list[CsvRowResult] = []
    to_add: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if len(row) != 2 or "@" not in row[1]:
            results.append(
                CsvRowResult(row=number, status="invalid", message="Expected 'Name,Email'.")
            )
            continue
        name, email = row[0].strip(), row[1].strip().lower()
        user = users.get(email)
        status: Literal["added", "already_member", "not_found", "duplicate"]
        if user is None:
            status = "not_found"
        elif user.id in seen:
            status = "duplicate"
        elif user.id in members:
            status = "already_member"
        else:
            status = "added"
            to_add.append(user.id)
        if user is not None:
            seen.add(user.id)
        results.append(
            CsvRowResult(
                row=number,
                name=name,
                email=email,
                status=status,
                user_id=user.id if user else None,
            )
        )
    await memberships_service.add_to_group(
        session, group=group, user_ids=to_add, source=MembershipSource.MANUAL.value
    )
    return CsvImportReport(
        group_id=group_id,
        added=len(to_add),
        already_members=sum(r.status == "already_member" for r in results),
        not_found=sum(r.status == "not_found" for r in results),
        invalid=sum(r.status == "invalid" for r in results),
        rows=results,
    )
