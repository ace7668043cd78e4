"""What the three rules pages share (screening rules, lifecycle deadlines, points rules): each is
a set of versions held by a service at the same path of its internal API as the page's
(`/admin/rules/<name>`: the version in force, `/versions`, `/versions/<n>`, `/preview`, a POST
saving a version), edited on a form that previews over the last days before it saves, and
audited here. `RulesPages` holds that flow once; each area module declares its routes (their
models and documentation) and its form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from services.portal.admin_lib.backend import Problem as FieldProblem
from services.portal.admin_lib.backend import Problems, call
from services.portal.deps import (
    RuntimeDep,
    ServiceClients,
    User,
    audit,
    render,
    require_roles,
)
from services.portal.web import client_ip
from shared.db import transaction

Admin = Annotated[User, Depends(require_roles("admin"))]


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


Responses = dict[int | str, dict[str, Any]]
INVALID: Responses = {
    422: {"model": Invalid, "description": "each problem with its field and reason"}
}
CONFLICT: Responses = {
    409: {"model": Problem, "description": "another version was saved at the same time"}
}
NO_VERSION: Responses = {404: {"model": Problem, "description": "no such version"}}


def api_router(unavailable: str, **kw: Any) -> APIRouter:
    """The JSON API of one rules page: administrators only, the service's absence a 503."""
    return APIRouter(
        responses={
            401: {"model": Problem, "description": "no or invalid bearer token"},
            403: {"model": Problem, "description": "not an administrator"},
            503: {"model": Problem, "description": unavailable},
        },
        **kw,
    )


class RulesForm(Protocol):
    """A page's form as typed, so a refused form is shown back unchanged."""

    reason: str
    days: int

    def payload(self) -> dict[str, Any]:
        """The body member the service checks: {"rules": ...} or {"values": ...}."""
        ...

    def show(self, problems: list[FieldProblem]) -> None:
        """Each of the service's problems next to its field."""
        ...

    def previewed(self) -> None:
        """After a preview (the screening form adds its empty rows again)."""
        ...


@dataclass(frozen=True)
class RulesPages:
    service: str  # the attribute of ServiceClients: "disputes" | "points"
    unavailable: str
    path: str  # /admin/rules/<name>, on the page and on the service's internal API
    version_model: type[BaseModel]
    preview_model: type[BaseModel]
    audit_action: str
    audit_subject: str  # with {n}: the version saved
    template: str

    def _client(self, clients: ServiceClients) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(clients, self.service)
        return client

    async def get(self, clients: ServiceClients, user: User, sub: str = "") -> Any:
        return await call(self._client(clients), self.unavailable, "GET", self.path + sub, user)

    async def in_force(self, clients: ServiceClients, user: User) -> Any:
        return self.version_model.model_validate(await self.get(clients, user))

    async def versions(self, clients: ServiceClients, user: User) -> list[Any]:
        found = await self.get(clients, user, "/versions")
        return [self.version_model.model_validate(v) for v in found]

    async def preview(
        self, clients: ServiceClients, user: User, payload: dict[str, Any], days: int
    ) -> Any:
        """Nothing is stored; Problems (every field and reason) when the service refuses."""
        found = await call(
            self._client(clients),
            self.unavailable,
            "POST",
            f"{self.path}/preview",
            user,
            json=payload,
            params={"days": days},
        )
        return self.preview_model.model_validate(found)

    async def save(
        self,
        request: Request,
        rt: RuntimeDep,
        clients: ServiceClients,
        user: User,
        body: dict[str, Any],
    ) -> Any:
        """A new version by `user` (the service stores who, when and why), audited here."""
        found = await call(
            self._client(clients),
            self.unavailable,
            "POST",
            self.path,
            user,
            json={**body, "author_id": user.user_id},
        )
        saved: Any = self.version_model.model_validate(found)
        async with transaction(rt.factory) as session:
            await audit(
                session,
                action=self.audit_action,
                actor_id=user.user_id,
                subject=self.audit_subject.format(n=saved.version),
                ip=client_ip(request),
                detail={"version": saved.version, "reason": saved.reason},
            )
        return saved

    def page(
        self, request: Request, form: RulesForm, context: dict[str, Any], code: int = 200
    ) -> Response:
        full = {"preview": None, "current": None, "versions": [], "saved": None, **context}
        return render(request, self.template, {**full, "form": form}, status_code=code)

    async def start(self, clients: ServiceClients, user: User, version: int | None) -> Any:
        """(in force, every version, the one the form starts from: asked for, or in force)."""
        current = await self.in_force(clients, user)
        versions = await self.versions(clients, user)
        chosen = next((v for v in versions if v.version == version), current)
        return current, versions, chosen

    async def posted(
        self,
        request: Request,
        clients: ServiceClients,
        rt: RuntimeDep,
        user: User,
        form: RulesForm,
        context: dict[str, Any],
    ) -> Response:
        """The form's preview, or its save (then back to the page, saying what was saved);
        a refusal shows the form again with each problem next to its field (422)."""
        current = await self.in_force(clients, user)
        action = (await request.form()).get("action")
        try:
            if action == "save":
                body = {**form.payload(), "reason": form.reason}
                saved = await self.save(request, rt, clients, user, body)
                return RedirectResponse(f"{self.path}?saved={saved.version}", status_code=303)
            preview = await self.preview(clients, user, form.payload(), form.days)
        except Problems as exc:
            form.show(exc.problems)
            return self.page(request, form, {**context, "current": current}, code=422)
        form.previewed()
        return self.page(request, form, {**context, "current": current, "preview": preview})

    async def api_preview(
        self, clients: ServiceClients, user: User, payload: dict[str, Any], days: int
    ) -> Any:
        try:
            return await self.preview(clients, user, payload, days)
        except Problems as exc:
            return exc.response()

    async def api_save(
        self,
        request: Request,
        rt: RuntimeDep,
        clients: ServiceClients,
        user: User,
        body: dict[str, Any],
    ) -> Any:
        try:
            return await self.save(request, rt, clients, user, body)
        except Problems as exc:
            return exc.response()
