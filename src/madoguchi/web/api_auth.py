"""The API's authentication: staff Bearer tokens, and the role each route needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from madoguchi.services.domain import StaffRole
from madoguchi.web.api_models import TOKEN_MAX
from madoguchi.web.security import Forbidden, StaffContext, staff_context

# -- authentication ------------------------------------------------------------------------

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="staffToken",
    description="職員のAPIトークン（`madoguchi staff token` で発行）。Authorization: Bearer <token>",
)


def _unauthenticated() -> HTTPException:
    return HTTPException(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request) -> StaffContext | None:
    """The staff member behind the request's bearer token, or None; kept on the request
    (the request guard asks before the body is read, the route's dependency after)."""
    if hasattr(request.state, "api_staff"):
        return request.state.api_staff  # type: ignore[no-any-return]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    ctx = None
    if scheme.lower() == "bearer" and token and len(token) <= TOKEN_MAX:
        container = request.app.state.container
        account = container.staff.token_account(token)
        ctx = staff_context(container, account, None) if account is not None else None
    request.state.api_staff = ctx
    return ctx


def api_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffContext:
    """The staff member behind the bearer token; 401 without a valid one."""
    ctx = authenticate(request)
    if ctx is None:
        raise _unauthenticated()
    return ctx


def _role(role: StaffRole) -> Callable[[StaffContext], StaffContext]:
    def dependency(ctx: Annotated[StaffContext, Depends(api_staff)]) -> StaffContext:
        if not ctx.may(role):
            raise Forbidden(role)
        return ctx

    return dependency


Clerk = Annotated[StaffContext, Depends(_role(StaffRole.CLERK))]
Supervisor = Annotated[StaffContext, Depends(_role(StaffRole.SUPERVISOR))]
