"""Liveness: public, says which database the service runs on and its schema revision."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep, SessionDep
from api.schemas import Health
from store.migrate import revision_of

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(services: ServicesDep, session: SessionDep) -> Health:
    """Whether the service is up and its database answers."""
    revision = revision_of(session.connection())
    return Health(status="ok", database=services.database.url.get_backend_name(), revision=revision)
