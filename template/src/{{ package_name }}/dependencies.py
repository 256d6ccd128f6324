"""Typed seams shared by the routers."""

from typing import Annotated, cast

from fastapi import Depends, Request

from .config import Settings


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (not re-read from the environment)."""
    return cast(Settings, request.state.settings)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
