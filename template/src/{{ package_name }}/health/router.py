"""Liveness and readiness probes for load balancers and orchestrators."""

from fastapi import APIRouter, Response, status

from ..db import DatabaseDep
from ..dependencies import SettingsDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database does not answer"}})
async def ready(database: DatabaseDep, settings: SettingsDep, response: Response) -> dict[str, str]:
    """Ready to serve: the database answers within the configured timeout."""
    if await database.is_ready(within_seconds=settings.db_ready_timeout_seconds):
        return {"status": "ok"}
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "unavailable"}
