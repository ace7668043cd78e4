"""What the three rules pages share (screening rules, lifecycle deadlines, points rules): each is
a set of versions held by a service at the same path of its internal API as the page's
(`/admin/rules/<name>`: the version in force, `/versions`, `/versions/<n>`, `/preview`, a POST
saving a version), edited on a form that previews over the last days before it saves, and
audited here. `RulesPages` holds that flow once; each area module declares its routes (their
models and documentation) and its form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

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


class Version(Protocol):
    """What the pages read of a stored version (each service's shared `...Read` model)."""

    @property
    def version(self) -> int: ...

    @property
    def reason(self) -> str | None: ...


V = TypeVar("V", bound=Version)
P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class RulesPages(Generic[V, P]):
    service: str  # the attribute of ServiceClients: "disputes" | "points"
    unavailable: str
    path: str  # /admin/rules/<name>, on the page and on the service's internal API
    version_model: type[V]  # the service's answer models, from shared/contracts
    preview_model: type[P]
    audit_action: str
    audit_subject: str  # with {n}: the version saved
    template: str

    def _client(self, clients: ServiceClients) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(clients, self.service)
        return client

    async def in_force(self, clients: ServiceClients, user: User) -> V:
        return await self.version(clients, user, None)

    async def version(self, clients: ServiceClients, user: User, number: int | None) -> V:
        """The version in force (None) or the one numbered (404 when there is none)."""
        sub = "" if number is None else f"/versions/{number}"
        return await call(
            self._client(clients),
            self.unavailable,
            "GET",
            self.path + sub,
            user,
            answer=self.version_model,
        )

    async def versions(self, clients: ServiceClients, user: User) -> list[V]:
        """Every version, newest first."""
        answer: type[list[V]] = list[self.version_model]  # type: ignore[name-defined]
        return await call(
            self._client(clients),
            self.unavailable,
            "GET",
            f"{self.path}/versions",
            user,
            answer=answer,
        )

    async def preview(
        self, clients: ServiceClients, user: User, payload: dict[str, Any], days: int
    ) -> P:
        """Nothing is stored; Problems (every field and reason) when the service refuses."""
        return await call(
            self._client(clients),
            self.unavailable,
            "POST",
            f"{self.path}/preview",
            user,
            answer=self.preview_model,
            json=payload,
            params={"days": days},
        )

    async def save(
        self,
        request: Request,
        rt: RuntimeDep,
        clients: ServiceClients,
        user: User,
        body: dict[str, Any],
    ) -> V:
        """A new version by `user` (the service stores who, when and why), audited here."""
        saved = await call(
            self._client(clients),
            self.unavailable,
            "POST",
            self.path,
            user,
            answer=self.version_model,
            json={**body, "author_id": user.user_id},
        )
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

    async def start(
        self, clients: ServiceClients, user: User, version: int | None
    ) -> tuple[V, list[V], V]:
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
