"""Typed seams shared by the routers."""

from typing import Annotated, cast

from fastapi import Depends, Request

from .config import Settings


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (not re-read from the environment).

    `async def` though it awaits nothing, like every dependency that only reads the app's
    state: FastAPI runs a plain `def` dependency in a worker thread, and that hand-off cost
    `GET /api/v1/users/me` nearly half its throughput (CHANGELOG, v0.5.0).
    """
    return cast(Settings, request.state.settings)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
