"""Users and API keys (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.audit import record
from api.auth import ROLES, new_api_key
from api.deps import Limit, Offset, Principal, ReposDep, ServicesDep, allow
from api.errors import error_responses
from api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ListPage, UserIn, UserOut, UserPatch
from store.models import ApiKeyRow, UserRow

router = APIRouter(tags=["users"], responses=error_responses(401, 403, 422))
Admin = Annotated[Principal, allow("admin")]
UsernamePath = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


def _user(row: UserRow) -> UserOut:
    return UserOut(username=row.username, role=row.role, active=row.active, created_at=row.created_at)


def _key(row: ApiKeyRow) -> ApiKeyOut:
    return ApiKeyOut(id=row.id, name=row.name, prefix=row.prefix, created_at=row.created_at, revoked_at=row.revoked_at)


@router.get("/users", response_model=ListPage[UserOut])
def list_users(
    user: Admin,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    role: Annotated[str | None, Query(pattern="^(" + "|".join(ROLES) + ")$")] = None,
) -> ListPage[UserOut]:
    """Users by username."""
    page = repos.users.page(role=role, limit=limit, offset=offset)
    return ListPage[UserOut](items=[_user(r) for r in page.items], total=page.total)


@router.post("/users", response_model=UserOut, status_code=201, responses=error_responses(409))
def create_user(user: Admin, services: ServicesDep, repos: ReposDep, data: UserIn) -> UserOut:
    """Add a user with one role."""
    row = repos.users.create(data.username, services.hashing.hash(data.password), data.role)
    record(repos, user, "user.create", "user", data.username, detail={"role": data.role})
    return _user(row)


@router.get("/users/{username}", response_model=UserOut, responses=error_responses(404))
def get_user(user: Admin, repos: ReposDep, username: UsernamePath) -> UserOut:
    return _user(repos.users.get(username))


@router.patch("/users/{username}", response_model=UserOut, responses=error_responses(404))
def update_user(
    user: Admin, services: ServicesDep, repos: ReposDep, username: UsernamePath, data: UserPatch
) -> UserOut:
    """Change a user's role, disable them, or set a new password."""
    password_hash = services.hashing.hash(data.password) if data.password is not None else None
    row = repos.users.update(username, role=data.role, active=data.active, password_hash=password_hash)
    record(
        repos,
        user,
        "user.update",
        "user",
        username,
        detail={"role": data.role, "active": data.active, "password": data.password is not None},
    )
    return _user(row)


@router.get("/users/{username}/api-keys", response_model=list[ApiKeyOut], responses=error_responses(404))
def list_api_keys(user: Admin, repos: ReposDep, username: UsernamePath) -> list[ApiKeyOut]:
    return [_key(k) for k in repos.users.api_keys(username)]


@router.post(
    "/users/{username}/api-keys", response_model=ApiKeyCreated, status_code=201, responses=error_responses(404)
)
def create_api_key(user: Admin, repos: ReposDep, username: UsernamePath, data: ApiKeyIn) -> ApiKeyCreated:
    """A new API key acting as this user (for automation such as the nightly batch). Shown once."""
    made = new_api_key()
    row = repos.users.add_api_key(username, name=data.name, prefix=made.prefix, key_hash=made.key_hash)
    record(repos, user, "api_key.create", "user", username, detail={"key_id": row.id})
    return ApiKeyCreated(**_key(row).model_dump(), key=made.key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, responses=error_responses(404))
def revoke_api_key(user: Admin, repos: ReposDep, key_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> ApiKeyOut:
    """Revoke an API key; calls with it are refused from now on."""
    row = repos.users.revoke_api_key(key_id)
    record(repos, user, "api_key.revoke", "api_key", str(key_id))
    return _key(row)
