"""Love supermarket items (administrators): items with their price in points, stock per
village shop and the low-stock mark at which the village's group leader is told. The clerk
restocks at the counter (/redeem). Pages under /admin/supermarket, the JSON API under
/api/v1/admin/supermarket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.portal.admin_lib import staff_web as sw
from services.portal.admin_lib.backend import Problem as FieldProblem
from services.portal.admin_lib.backend import Problems, call
from services.portal.deps import (
    Clients,
    RuntimeDep,
    ServiceClients,
    User,
    audit,
    render,
    require_roles,
    verify_csrf,
)
from services.portal.web import client_ip
from shared.contracts import points as pts
from shared.db import transaction

UNAVAILABLE = "the points service is not available"
Admin = Annotated[User, Depends(require_roles("admin"))]


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    village_code: str = Field(min_length=1, max_length=16)
    shop: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=128)
    price: int = Field(gt=0, le=100000, description="points")
    stock: int = Field(ge=0, le=100000)
    low_at: int = Field(default=0, ge=0, le=100000, description="tell the group leader at this")


class ItemChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price: int | None = Field(default=None, gt=0, le=100000)
    low_at: int | None = Field(default=None, ge=0, le=100000)


class StockItem(BaseModel):
    id: str
    village_code: str
    shop: str
    name: str
    price: int
    stock: int
    low_at: int
    low: bool


pages = APIRouter()
api = APIRouter(
    prefix="/api/v1",
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "not an administrator"},
        422: {"model": Invalid, "description": "each problem with its field and reason"},
        503: {"model": Problem, "description": "the points service is not available"},
    },
)


async def _items(clients: ServiceClients, user: User) -> list[StockItem]:
    rows = await call(
        clients.points, UNAVAILABLE, "GET", "/admin/items", user, answer=list[pts.StockItemRead]
    )
    return [StockItem.model_validate(r, from_attributes=True) for r in rows]


async def _create(
    request: Request, rt: RuntimeDep, clients: Clients, user: User, body: ItemIn
) -> StockItem:
    villages = {v.code for v in await sw.villages(clients, user)}
    if body.village_code not in villages:
        raise Problems(
            [FieldProblem(field="village_code", reason="choose a village of the directory")]
        )
    created = await call(
        clients.points,
        UNAVAILABLE,
        "POST",
        "/items",
        user,
        answer=pts.ItemRead,
        json=pts.ItemCreate(**body.model_dump(exclude={"low_at"})).model_dump(),
    )
    change = ItemChange(low_at=body.low_at)
    return await _change(request, rt, clients, user, created.id, change, "created")


async def _change(
    request: Request,
    rt: RuntimeDep,
    clients: Clients,
    user: User,
    item_id: str,
    body: ItemChange,
    what: str = "changed",
) -> StockItem:
    changed = await call(
        clients.points,
        UNAVAILABLE,
        "PATCH",
        f"/admin/items/{item_id}",
        user,
        answer=pts.StockItemRead,
        json=pts.ItemChange(**body.model_dump()).model_dump(exclude_none=True),
    )
    out = StockItem.model_validate(changed, from_attributes=True)
    async with transaction(rt.factory) as session:
        await audit(
            session,
            action=f"admin.supermarket.item_{what}",
            actor_id=user.user_id,
            subject=item_id,
            ip=client_ip(request),
            detail={
                "name": out.name,
                "village_code": out.village_code,
                "price": out.price,
                "low_at": out.low_at,
            },
        )
    return out


def _int(form: Any, name: str) -> int | None:
    value = str(form.get(name, "")).strip()
    return int(value) if value.isdigit() and len(value) <= 6 else None


async def _page(
    request: Request,
    clients: Clients,
    user: User,
    code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    ctx = {
        "items": await _items(clients, user),
        "villages": await sw.villages(clients, user),
        "errors": errors or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/supermarket.html", ctx, status_code=code)


@pages.get("/admin/supermarket")
async def supermarket_page(request: Request, user: Admin, clients: Clients) -> Response:
    return await _page(request, clients, user)


@pages.post("/admin/supermarket/items", dependencies=[Depends(verify_csrf)])
async def create_page(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k, "")).strip()[:128] for k in ("village_code", "shop", "name")}
    numbers = {k: _int(form, k) for k in ("price", "stock", "low_at")}
    errors = {k: "give a whole number" for k, v in numbers.items() if v is None}
    if not errors:
        try:
            body = ItemIn(**raw, **numbers)
            await _create(request, rt, clients, user, body)
        except Problems as exc:
            errors = {p.field: p.reason for p in exc.problems}
        except ValidationError as exc:
            errors = {str(e["loc"][0]): "check this field" for e in exc.errors()}
    if errors:
        return await _page(request, clients, user, code=422, errors=errors)
    return RedirectResponse("/admin/supermarket?done=created", status_code=303)


@pages.post("/admin/supermarket/items/{item_id}", dependencies=[Depends(verify_csrf)])
async def change_page(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, item_id: str
) -> Response:
    form = await request.form()
    price, low_at = _int(form, "price"), _int(form, "low_at")
    if price is None or low_at is None or price <= 0:
        return await _page(
            request, clients, user, code=422, errors={item_id: "give a whole number"}
        )
    try:
        await _change(request, rt, clients, user, item_id, ItemChange(price=price, low_at=low_at))
    except Problems as exc:
        return await _page(
            request, clients, user, code=422, errors={item_id: exc.problems[0].reason}
        )
    return RedirectResponse("/admin/supermarket?done=changed", status_code=303)


@api.get("/admin/supermarket/items", response_model=list[StockItem])
async def items_api(user: Admin, clients: Clients) -> Any:
    """Every shop's items with price, stock and low-stock mark."""
    return await _items(clients, user)


@api.post("/admin/supermarket/items", response_model=StockItem, status_code=status.HTTP_201_CREATED)
async def create_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: ItemIn
) -> Any:
    try:
        return await _create(request, rt, clients, user, body)
    except Problems as exc:
        return exc.response()


@api.patch(
    "/admin/supermarket/items/{item_id}",
    response_model=StockItem,
    responses={404: {"model": Problem, "description": "no such item"}},
)
async def change_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, item_id: str, body: ItemChange
) -> Any:
    """Change the price (points) or the low-stock mark; a mark at or above the stock tells the
    group leader at once."""
    try:
        return await _change(request, rt, clients, user, item_id, body)
    except Problems as exc:
        return exc.response()
