"""Children's records (duty team and managers). Every read is an audit event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.audit import record
from api.deps import CASEWORK, ID_PATTERN, IdPath, Limit, Offset, Principal, ReposDep, allow
from api.errors import body_error, error_responses
from api.schemas import ListPage
from domain.snapshot import Child

router = APIRouter(prefix="/children", tags=["children"], responses=error_responses(401, 403, 422))
Casework = Annotated[Principal, allow(*CASEWORK)]


@router.get("", response_model=ListPage[Child])
def list_children(
    user: Casework,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    sibling_group: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
) -> ListPage[Child]:
    """Children's records, by id."""
    page = repos.children.page(sibling_group=sibling_group, limit=limit, offset=offset)
    record(repos, user, "child.list", "child", None, detail={"children": [c.id for c in page.items]})
    return ListPage[Child](items=page.items, total=page.total)


@router.post("", response_model=Child, status_code=201, responses=error_responses(409))
def create_child(user: Casework, repos: ReposDep, child: Child) -> Child:
    """Record a child who needs (or may need) a placement."""
    created = repos.children.create(child)
    record(repos, user, "child.create", "child", child.id)
    return created


@router.get("/{child_id}", response_model=Child, responses=error_responses(404))
def get_child(user: Casework, repos: ReposDep, child_id: IdPath) -> Child:
    """One child's record."""
    child = repos.children.get(child_id)
    record(repos, user, "child.read", "child", child_id)
    return child


@router.put("/{child_id}", response_model=Child, responses=error_responses(404))
def replace_child(user: Casework, repos: ReposDep, child_id: IdPath, child: Child) -> Child:
    """Replace a child's record."""
    if child.id != child_id:
        raise body_error("id", f"the body's id {child.id} is not the path's {child_id}")
    repos.children.get(child_id)
    updated = repos.children.put(child)
    record(repos, user, "child.update", "child", child_id)
    return updated


@router.delete("/{child_id}", status_code=204, responses=error_responses(404, 409))
def delete_child(user: Casework, repos: ReposDep, child_id: IdPath) -> Response:
    """Delete a child's record that no request names."""
    repos.children.delete(child_id)
    record(repos, user, "child.delete", "child", child_id)
    return Response(status_code=204)
