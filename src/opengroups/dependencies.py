"""FastAPI dependencies, as ``Annotated`` aliases so authorization shows in every signature.

Each reads the process's ``bootstrap.Runtime`` from the application's state (the admin page, a
mounted sub-application, shares the same one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.auths import service as auths_service
from opengroups.bootstrap import Runtime
from opengroups.errors import AccessProhibited, NotAuthenticated, NotPermitted
from opengroups.kit.context import Actor
from opengroups.kit.db import Database
from opengroups.models import User

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Query integers are bounded so that every value a route accepts fits the databases' 64-bit
# integers: anything larger is a 422, never an overflow deep in a query.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# A page number times the largest page (1,000) stays far inside 64 bits.
MAX_PAGE = 1_000_000_000
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number.")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX)]
# ``*`` or entity tags (RFC 9110 §8.8.3) such as ``"3", W/"4"``; text of any other form names no
# revision: ``If-Match`` then refuses (412), ``If-None-Match`` lets the read through.
IfMatch = Annotated[
    str | None,
    Header(description='ETags from a GET (`"3"`): refuse with 412 if it changed since.'),
]
IfNoneMatch = Annotated[
    str | None, Header(description='ETags (`"3"`): 304 if one is still current.')
]
_bearer = HTTPBearer(auto_error=False, description="A JWT from sign-in, or an API key (sk-...)")


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
# dependency in a worker thread, a thread hop on every request.


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return _runtime(request)


async def get_database(request: Request) -> Database:
    return _runtime(request).database


def _actor(request: Request) -> Actor:
    return Actor(
        address=request.client.host if request.client else None,
        request_id=request.scope.get("state", {}).get("request_id"),
    )


async def get_actor(request: Request) -> Actor:
    """Where the request comes from (its client's address and its id), for routes that open
    their own transactions."""
    return _actor(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed before the response is sent, rolled back on any
    error. Reads (GET) do not take SQLite's write lock."""
    database = _runtime(request).database
    async with database.session(write=request.method not in _READ_METHODS) as session:
        actor = _actor(request)
        recorder.set_actor(session, address=actor.address, request_id=actor.request_id)
        yield session


# The process's settings, permission engine, caches and password hashing, in one dependency
# (each dependency costs on every request).
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ActorDep = Annotated[Actor, Depends(get_actor)]
# scope="function": the commit happens before the response leaves, so a client that gets 200
# can rely on its change being stored, and a failed commit is reported as an error.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _authenticate(
    request: Request, session: AsyncSession, credentials: HTTPAuthorizationCredentials | None
) -> User:
    if credentials is None:
        raise NotAuthenticated("Not authenticated.")
    runtime = _runtime(request)
    user = await auths_service.authenticate(
        session, runtime.caches, credential=credentials.credentials, settings=runtime.settings
    )
    recorder.set_actor(session, user_id=user.id)
    return user


# The three levels below are flat dependencies rather than a chain of one another: FastAPI's
# dependency resolution costs on every request, in proportion to the number of dependencies.


async def get_current_user(request: Request, session: SessionDep, credentials: BearerDep) -> User:
    """Any authenticated account, pending ones included."""
    return await _authenticate(request, session, credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


def _require_verified(user: User) -> User:
    if user.role not in ("user", "admin"):
        raise AccessProhibited()  # 401 for pending accounts, as Open WebUI does
    return user


async def get_verified_user(request: Request, session: SessionDep, credentials: BearerDep) -> User:
    """A user or admin; pending accounts are refused with 401, as Open WebUI does."""
    return _require_verified(await _authenticate(request, session, credentials))


VerifiedUser = Annotated[User, Depends(get_verified_user)]


async def get_admin_user(request: Request, session: SessionDep, credentials: BearerDep) -> User:
    """An admin; other authenticated users get 403 (Open WebUI answers 401)."""
    user = _require_verified(await _authenticate(request, session, credentials))
    if user.role != "admin":
        raise NotPermitted("This action requires an administrator.")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


async def get_admin_outside_transaction(request: Request, credentials: BearerDep) -> User:
    """An admin, authenticated in a read-only transaction of its own, for routes that open
    their own transactions while they wait on something else (a connector target): the
    request's write transaction would hold SQLite's write lock all that time."""
    if credentials is None:
        raise NotAuthenticated("Not authenticated.")
    runtime = _runtime(request)
    async with runtime.database.session(write=False) as session:
        user = await auths_service.authenticate(
            session, runtime.caches, credential=credentials.credentials, settings=runtime.settings
        )
    user = _require_verified(user)
    if user.role != "admin":
        raise NotPermitted("This action requires an administrator.")
    return user


AdminOutsideTransaction = Annotated[User, Depends(get_admin_outside_transaction)]
