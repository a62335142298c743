"""``POST /api/v1/auths/ldap``: Open WebUI 0.12.4's LDAP sign-in route."""

from __future__ import annotations

from fastapi import APIRouter

from opengroups.auths.schemas import SessionUserResponse
from opengroups.dependencies import ActorDep, DatabaseDep, RuntimeDep
from opengroups.identity.ldap import signin
from opengroups.identity.ldap.schemas import LdapSigninForm
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/auths", tags=["auths"])


@router.post("/ldap", response_model=SessionUserResponse, responses=refusals(400, 403, 429, 502))
async def ldap_signin(
    form: LdapSigninForm, database: DatabaseDep, actor: ActorDep, runtime: RuntimeDep
) -> SessionUserResponse:
    """Sign in with a directory user's id (or e-mail) and password: a bind as the entry. The
    account is found or created as the directory sync does, and the user's `ldap` memberships
    are synced from the directory. Failed binds count toward the sign-in throttle (429 with
    `Retry-After`); 403 when LDAP sign-in is not configured; 502 when the directory cannot be
    reached."""
    return await signin.signin(database, runtime, form=form, actor=actor)
