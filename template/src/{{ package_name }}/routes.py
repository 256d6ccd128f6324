"""Which route served a request, as its full path template: `/api/v1/users/{user_id}`.

Logs and metrics label requests by template, never by raw path: raw paths carry ids (one
series per user) and sometimes personal data.
"""

from collections import Counter

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.types import Scope


class RouteTemplates:
    """Maps the route the router put in the scope to its template, prefixes included."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        # Keyed by id: routes compare by value and are unhashable; the app keeps them alive.
        self._templates: dict[int, str] | None = None
        self._by_endpoint: dict[int, str] = {}

    def __call__(self, scope: Scope) -> str | None:
        """The template of the route that matched, or None (a 404, a CORS preflight)."""
        if self._templates is None:
            # Built on first use: routers are included after the middleware is added.
            paths = [
                (context.original_route, context.path)
                for context in iter_route_contexts(self.app.routes)
                if context.path is not None
            ]
            self._templates = {id(route): path for route, path in paths}
            # Starlette's own routes (/docs, /openapi.json) put their endpoint in the scope, not
            # themselves (API routes put themselves). An endpoint behind several of them could
            # be any: it is left out.
            by_endpoint = [
                (id(endpoint), path)
                for route, path in paths
                if not isinstance(route, APIRoute)
                and (endpoint := getattr(route, "endpoint", None)) is not None
            ]
            counts = Counter(key for key, _ in by_endpoint)
            self._by_endpoint = {key: path for key, path in by_endpoint if counts[key] == 1}
        route = scope.get("route")
        if route is None:
            return self._by_endpoint.get(id(scope.get("endpoint")))
        return self._templates.get(id(route), getattr(route, "path", None))
