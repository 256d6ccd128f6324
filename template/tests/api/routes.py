"""The app's route table, as the authorization tests walk it."""

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) for every endpoint of the app."""
    # FastAPI keeps included routers as a tree; iter_route_contexts flattens it, as OpenAPI does.
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }


def fill(path: str, **values: object) -> str:
    """`path` with each `{name}` replaced by `values[name]` (1 where not given)."""
    return re.sub(r"\{([^}]+)\}", lambda match: str(values.get(match[1], 1)), path)
