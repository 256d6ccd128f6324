"""Liveness and readiness probes for load balancers and orchestrators."""

from fastapi import APIRouter, HTTPException, status

from ..db import DatabaseDep
from ..dependencies import SettingsDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up; says nothing about its dependencies."""
    return {"status": "ok"}


DATABASE_DOWN = "The database does not answer"


@router.get(
    "/ready", responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"description": DATABASE_DOWN}}
)
async def ready(database: DatabaseDep, settings: SettingsDep) -> dict[str, str]:
    """Ready to serve: the database answers within the configured timeout."""
    if not await database.is_ready(within_seconds=settings.db_ready_timeout_seconds):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, DATABASE_DOWN)
    return {"status": "ok"}
