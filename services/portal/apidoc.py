"""The published OpenAPI document of /api/v1, finished from what the routes really do.

FastAPI documents a route's success answer and its 422; the portal's dependencies add more
(401 without a token, 403 for another role, 503 when a backend is down), which are read here
from each route's dependency tree, so the document cannot drift from the code. Also: one
problem schema for every error, the OAuth2 password flow with the token's lifetime, and the
links from each creating operation to the operations that use the id it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from services.portal.deps import get_clients, get_current_user

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "title": "Detail", "description": "why"}},
}
FIELD_ERROR: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "required": ["field", "reason", "type"],
    "properties": {
        "field": {"type": "string", "title": "Field", "description": "dotted path, e.g. parties.0"},
        "reason": {"type": "string", "title": "Reason"},
        "type": {"type": "string", "title": "Type"},
    },
}
WHY: dict[int, str] = {
    400: "the body could not be parsed (not JSON, or not UTF-8)",
    401: "no bearer token, or an expired or revoked one",
    403: "not allowed for your role, or outside your village or station",
    404: "no such resource (or not yours)",
    409: "refused in the resource's current state, or an Idempotency-Key reused with another body",
    422: "invalid input: each entry names the field and the reason",
    429: "too many attempts; try again later",
    503: "a backend service is not available right now; retry later",
}
SCHEME = "OAuth2Password"
TOKEN_URL = "/api/v1/auth/token"

# creating operation -> (field of its answer, [(operation using it, its path parameter)])
LINKS: dict[tuple[str, str], tuple[str, list[tuple[str, str, str]]]] = {
    # and every action of the case (added from the document: one operation per action)
    ("post", "/api/v1/disputes"): ("case_id", [("get", "/api/v1/disputes/{case_id}", "case_id")]),
    ("post", "/api/v1/patrols"): (
        "id",
        [("post", "/api/v1/patrols/{patrol_id}/cosign", "patrol_id")],
    ),
    ("post", "/api/v1/tips"): ("id", [("post", "/api/v1/tips/{tip_id}/rate", "tip_id")]),
    ("post", "/api/v1/bookings"): (
        "code",
        [
            ("post", "/api/v1/bookings/{code}/confirm", "code"),
            ("post", "/api/v1/bookings/{code}/cancel", "code"),
            ("post", "/api/v1/bookings/{code}/reschedule", "code"),
            ("get", "/api/v1/bookings/mine", ""),
        ],
    ),
    ("post", "/api/v1/applications"): (
        "id",
        [
            ("post", "/api/v1/applications/{app_id}/withdraw", "app_id"),
            ("get", "/api/v1/applications/mine", ""),
        ],
    ),
    ("post", "/api/v1/home-visits"): (
        "id",
        [
            ("post", "/api/v1/home-visits/{visit_id}/withdraw", "visit_id"),
            ("get", "/api/v1/home-visits/mine", ""),
        ],
    ),
}


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dep in dependant.dependencies:
        yield from _tree(dep)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    return (d.call for d in _tree(dependant) if d.call is not None)


def statuses_of(route: APIRoute) -> dict[int, str]:
    """The error statuses the route's dependencies and parameters can answer."""
    calls = list(_calls(route.dependant))
    tree = list(_tree(route.dependant))
    found: dict[int, str] = {}
    if get_current_user in calls:
        found[401] = WHY[401]
    if roles_of(route):
        found[403] = WHY[403]
    if any(d.body_params for d in tree) or "requestBody" in (route.openapi_extra or {}):
        found[400] = WHY[400]
    if any(d.path_params for d in tree):
        found[404] = WHY[404]
    if found.get(400) or any(d.path_params or d.query_params or d.header_params for d in tree):
        found[422] = WHY[422]
    if get_clients in calls:
        found[503] = WHY[503]
    return found


def roles_of(route: APIRoute) -> list[str]:
    return sorted({r for c in _calls(route.dependant) for r in getattr(c, "roles", ())})


def _finish_operation(op: dict[str, Any], route: APIRoute) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    for status, why in statuses_of(route).items():
        responses.setdefault(str(status), {"description": why})
    for code, answer in responses.items():
        if not code.isdigit() or int(code) < 400:
            continue
        answer["content"] = {
            "application/json": {"schema": VALIDATION_REF if code == "422" else PROBLEM_REF}
        }
        if answer.get("description") in (None, "", "Validation Error", "Successful Response"):
            answer["description"] = WHY.get(int(code), "refused")
    roles = roles_of(route)
    if roles:
        op["x-roles"] = roles
        note = "Roles: " + ", ".join(roles) + "."
        op["description"] = f"{op.get('description', '').rstrip()}\n\n{note}".strip()
    for sec in op.get("security", []):
        if "HTTPBearer" in sec:
            sec[SCHEME] = sec.pop("HTTPBearer")


def _add_links(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    for (method, path), (field, listed) in LINKS.items():
        targets = listed + (dispute_action_targets(doc) if path == "/api/v1/disputes" else [])
        op = paths.get(path, {}).get(method)
        if op is None:
            continue
        created = next((c for c in op["responses"] if c in ("200", "201")), None)
        if created is None:
            continue
        links: dict[str, Any] = {}
        for t_method, t_path, param in targets:
            target = paths.get(t_path, {}).get(t_method)
            if target is None:
                continue
            link: dict[str, Any] = {"operationId": target["operationId"]}
            if param:
                link["parameters"] = {param: f"$response.body#/{field}"}
            links[target["operationId"]] = link
        op["responses"][created]["links"] = links


def dispute_action_targets(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    prefix = "/api/v1/disputes/{case_id}/"
    return [
        ("post", p, "case_id")
        for p, ops in doc["paths"].items()
        if p.startswith(prefix) and "post" in ops and not ops["post"].get("deprecated")
    ]


def install(app: FastAPI, token_lifetime_seconds: int) -> None:
    """Finish `app.openapi()` once, on first use."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = generate()
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = PROBLEM
        schemas["ValidationError"] = FIELD_ERROR
        schemas["HTTPValidationError"] = {
            "title": "HTTPValidationError",
            "type": "object",
            "required": ["detail"],
            "properties": {
                "detail": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ValidationError"},
                }
            },
        }
        hours = token_lifetime_seconds / 3600
        components["securitySchemes"] = {
            SCHEME: {
                "type": "oauth2",
                "description": (
                    f"A bearer token from POST {TOKEN_URL} (JSON or the OAuth2 password form), "
                    f"valid for {token_lifetime_seconds} seconds ({hours:g} hours) after it is "
                    "issued; send it as `Authorization: Bearer <token>`."
                ),
                "flows": {"password": {"tokenUrl": TOKEN_URL, "scopes": {}}},
            }
        }
        for ctx in iter_route_contexts(app.routes):
            route = ctx.original_route
            if isinstance(route, APIRoute) and route.include_in_schema:
                for method in route.methods or ():
                    op = doc["paths"].get(ctx.path_format or "", {}).get(method.lower())
                    if op is not None:
                        _finish_operation(op, route)
        _add_links(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
