"""The services' internal APIs answer with the models in shared/ that the portal reads: each
service's OpenAPI document names the shared model, field for field (no service drifts)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from services.appointments.api import create_app as appointments_app
from services.disputes.api import create_app as disputes_app
from services.notifications.api import create_app as notifications_app
from services.points.api import create_app as points_app
from shared.config import (
    AppointmentsSettings,
    DisputesSettings,
    NotificationsSettings,
    PointsSettings,
)
from shared.contracts import appointments as apts
from shared.contracts import appointments_desk as desk
from shared.contracts import directory as org
from shared.contracts import disputes as contract
from shared.contracts import disputes_read as reads
from shared.contracts import notifications as notes
from shared.contracts import points as pts
from shared.contracts import screening_rules as screening
from shared.tasks import TaskPage
from workflows.disputes import types as carried

# (service, method, path, the shared model of its 200 answer): every call the portal's backend
# client reads into a shared model
DIRECTORY = "/internal/v1/admin/directory"
LIFECYCLE = "/internal/v1/admin/rules/lifecycle"
SCREENING = "/internal/v1/admin/rules/screening"
STOCK = "/internal/v1/admin/items"
DESK = "/internal/v1/admin/desk"
CONTRACTS = [
    ("disputes", "get", "/internal/v1/tasks", TaskPage),
    ("disputes", "get", "/internal/v1/cases/{case_id}", reads.CaseRead),
    ("disputes", "get", "/internal/v1/cases", reads.CaseSummary),
    ("disputes", "post", "/internal/v1/cases", reads.CaseStarted),
    ("disputes", "get", "/internal/v1/cases/{case_id}/live", contract.CaseView),
    ("disputes", "get", "/internal/v1/stuck", reads.StuckBoard),
    ("disputes", "get", "/internal/v1/figures", reads.Figures),
    ("disputes", "get", "/internal/v1/directory/villages", reads.VillageRead),
    ("disputes", "get", "/internal/v1/directory/officers", reads.OfficerRead),
    ("disputes", "post", "/internal/v1/supervision/retry/{case_id}", reads.RetryRead),
    ("disputes", "post", "/internal/v1/supervision/reconcile", reads.ReconcileRead),
    ("disputes", "post", "/internal/v1/supervision/terminate/{case_id}", reads.ReconcileRead),
    (
        "disputes",
        "post",
        "/internal/v1/supervision/repair/{repair_name}/{case_id}",
        reads.RepairRead,
    ),
    ("disputes", "get", "/internal/v1/lifecycle", reads.LifecycleRead),
    ("disputes", "post", "/internal/v1/lifecycle/rollouts", reads.RolloutRead),
    ("disputes", "get", f"{DIRECTORY}/stations", org.OrgStationRead),
    ("disputes", "put", f"{DIRECTORY}/stations/{{code}}", org.OrgStationRead),
    ("disputes", "get", f"{DIRECTORY}/police-rooms", org.OrgPoliceRoomRead),
    ("disputes", "put", f"{DIRECTORY}/police-rooms/{{code}}", org.OrgPoliceRoomRead),
    ("disputes", "get", f"{DIRECTORY}/villages", org.OrgVillageRead),
    ("disputes", "put", f"{DIRECTORY}/villages/{{code}}", org.OrgVillageRead),
    ("disputes", "get", f"{DIRECTORY}/households", org.OrgHouseholdRead),
    ("disputes", "put", f"{DIRECTORY}/households/{{household_id}}", org.OrgHouseholdRead),
    ("disputes", "get", f"{DIRECTORY}/postings", org.OrgPostingRead),
    ("disputes", "put", f"{DIRECTORY}/postings/{{officer_id}}", org.OrgPostingRead),
    ("disputes", "get", f"{DIRECTORY}/changes", org.OrgChangeRead),
    ("disputes", "get", LIFECYCLE, contract.LifecyclePolicyRead),
    ("disputes", "get", f"{LIFECYCLE}/versions", contract.LifecyclePolicyRead),
    ("disputes", "get", f"{LIFECYCLE}/versions/{{number}}", contract.LifecyclePolicyRead),
    ("disputes", "post", LIFECYCLE, contract.LifecyclePolicyRead),
    ("disputes", "post", f"{LIFECYCLE}/preview", contract.LifecyclePreviewRead),
    ("disputes", "get", SCREENING, screening.RulesVersion),
    ("disputes", "get", f"{SCREENING}/versions", screening.RulesVersion),
    ("disputes", "get", f"{SCREENING}/versions/{{number}}", screening.RulesVersion),
    ("disputes", "post", SCREENING, screening.RulesVersion),
    ("disputes", "post", f"{SCREENING}/preview", screening.Preview),
    ("disputes", "post", f"{DIRECTORY}/police-rooms/{{code}}/close", org.OrgClosedRead),
    ("disputes", "post", f"{DIRECTORY}/villages/{{code}}/close", org.OrgClosedRead),
    ("disputes", "get", f"{DIRECTORY}/partners", org.OrgPartnerRead),
    ("disputes", "put", f"{DIRECTORY}/partners/{{code}}", org.OrgPartnerRead),
    ("disputes", "post", f"{DIRECTORY}/partners/{{code}}/deactivate", org.OrgPartnerRead),
    ("disputes", "put", f"{DIRECTORY}/partners/{{code}}/channel", org.OrgPartnerRead),
    ("appointments", "get", "/internal/v1/tasks", TaskPage),
    ("notifications", "get", "/internal/v1/users/{user_id}/inbox", notes.InboxPage),
    ("notifications", "get", "/internal/v1/users/{user_id}/unread", notes.UnreadCount),
    ("notifications", "post", "/internal/v1/users/{user_id}/inbox/read-all", notes.UnreadCount),
    (
        "notifications",
        "post",
        "/internal/v1/users/{user_id}/inbox/{message_id}/read",
        notes.UnreadCount,
    ),
    ("notifications", "get", "/internal/v1/users/{user_id}/preferences", notes.PreferenceRead),
    ("notifications", "put", "/internal/v1/users/{user_id}/preferences", notes.PreferenceRead),
    ("notifications", "get", "/internal/v1/deliveries", notes.DeliveryPage),
    ("notifications", "get", "/internal/v1/deliveries/{delivery_id}", notes.DeliveryRead),
    ("notifications", "post", "/internal/v1/deliveries/{delivery_id}/retry", notes.RetryResult),
    ("points", "get", "/internal/v1/accounts/{account_id}/history", pts.HistoryRead),
    ("points", "post", "/internal/v1/accounts/{account_id}/codes", pts.CodeRead),
    ("points", "post", "/internal/v1/accounts/{account_id}/adjustments", pts.EntryRead),
    ("points", "post", "/internal/v1/entries/{entry_id}/reverse", pts.EntryRead),
    ("points", "get", "/internal/v1/codes/{code}", pts.AccountRead),
    ("points", "get", "/internal/v1/items", pts.ItemRead),
    ("points", "post", "/internal/v1/items", pts.ItemRead),
    ("points", "post", "/internal/v1/items/{item_id}/stock", pts.ItemRead),
    ("points", "get", STOCK, pts.StockItemRead),
    ("points", "patch", f"{STOCK}/{{item_id}}", pts.StockItemRead),
    ("points", "post", "/internal/v1/redemptions", pts.RedemptionRead),
    ("points", "get", "/internal/v1/redemptions", pts.DailyList),
    ("points", "get", "/internal/v1/groups", pts.GroupRead),
    ("points", "post", "/internal/v1/groups/{group_code}/members", pts.GroupRead),
    ("points", "get", "/internal/v1/patrols", pts.PatrolRead),
    ("points", "post", "/internal/v1/patrols", pts.PatrolRead),
    ("points", "post", "/internal/v1/patrols/{patrol_id}/cosign", pts.PatrolRead),
    ("points", "get", "/internal/v1/tips", pts.TipRead),
    ("points", "post", "/internal/v1/tips", pts.TipRead),
    ("points", "post", "/internal/v1/tips/{tip_id}/rate", pts.TipRead),
    ("points", "get", "/internal/v1/chain/verify", pts.ChainRead),
    ("points", "get", "/internal/v1/figures", pts.FiguresRead),
    ("appointments", "get", "/internal/v1/services", apts.ServiceRead),
    ("appointments", "get", "/internal/v1/offices", apts.OfficeRead),
    ("appointments", "get", "/internal/v1/offices/{office_code}/windows", apts.WindowRead),
    ("appointments", "get", "/internal/v1/offices/{office_code}/day", apts.BookingRead),
    ("appointments", "get", "/internal/v1/slots", apts.SlotRead),
    ("appointments", "post", "/internal/v1/bookings", apts.BookingRead),
    ("appointments", "get", "/internal/v1/bookings", apts.BookingRead),
    ("appointments", "get", "/internal/v1/bookings/{code}", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/confirm", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/cancel", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/reschedule", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/check-in", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/precheck", apts.BookingRead),
    ("appointments", "post", "/internal/v1/bookings/{code}/documents", apts.BookingRead),
    ("appointments", "get", "/internal/v1/precheck-queue", apts.BookingRead),
    ("appointments", "post", "/internal/v1/applications", apts.ApplicationRead),
    ("appointments", "get", "/internal/v1/applications", apts.ApplicationRead),
    ("appointments", "get", "/internal/v1/applications/{app_id}", apts.ApplicationRead),
    ("appointments", "post", "/internal/v1/applications/{app_id}/decision", apts.ApplicationRead),
    ("appointments", "post", "/internal/v1/applications/{app_id}/withdraw", apts.ApplicationRead),
    ("appointments", "post", "/internal/v1/home-visits", apts.HomeVisitRead),
    ("appointments", "get", "/internal/v1/home-visits", apts.HomeVisitRead),
    ("appointments", "get", "/internal/v1/home-visits/{visit_id}", apts.HomeVisitRead),
    ("appointments", "post", "/internal/v1/home-visits/{visit_id}/actions", apts.VisitStateRead),
    ("appointments", "post", "/internal/v1/home-visits/{visit_id}/withdraw", apts.HomeVisitRead),
    ("appointments", "get", "/internal/v1/kiosks", apts.KioskRead),
    ("appointments", "post", "/internal/v1/kiosks/{code}", apts.KioskRead),
    ("appointments", "get", "/internal/v1/closures", apts.ClosureRead),
    ("appointments", "post", "/internal/v1/closures", apts.ClosureRead),
    ("appointments", "get", "/internal/v1/figures", apts.DeskFiguresRead),
    ("appointments", "put", f"{DESK}/services/{{code}}", desk.ServiceSaved),
    ("appointments", "get", f"{DESK}/offices/{{code}}", desk.OfficeDetail),
    ("appointments", "put", f"{DESK}/offices/{{code}}", desk.OfficeSaved),
    ("appointments", "put", f"{DESK}/offices/{{code}}/hours", desk.Change),
    ("appointments", "put", f"{DESK}/offices/{{code}}/seats", desk.Change),
    ("appointments", "put", f"{DESK}/offices/{{code}}/windows", desk.WindowOut),
    ("appointments", "post", f"{DESK}/closures", desk.ClosureSaved),
    ("appointments", "post", f"{DESK}/closures/{{office_code}}/{{day}}/delete", desk.Change),
    ("appointments", "get", f"{DESK}/to-move", desk.ToMove),
]
# (service, method, path, the shared model of its request body)
REQUESTS = [
    ("disputes", "put", f"{DIRECTORY}/stations/{{code}}", org.OrgStationWrite),
    ("disputes", "put", f"{DIRECTORY}/police-rooms/{{code}}", org.OrgPoliceRoomWrite),
    ("disputes", "put", f"{DIRECTORY}/villages/{{code}}", org.OrgVillageWrite),
    ("disputes", "put", f"{DIRECTORY}/households/{{household_id}}", org.OrgHouseholdWrite),
    ("disputes", "put", f"{DIRECTORY}/postings/{{officer_id}}", org.OrgPostingWrite),
    ("disputes", "post", f"{DIRECTORY}/police-rooms/{{code}}/close", org.OrgCloseWrite),
    ("disputes", "post", f"{DIRECTORY}/villages/{{code}}/close", org.OrgCloseWrite),
    ("disputes", "put", f"{DIRECTORY}/partners/{{code}}", org.OrgPartnerWrite),
    ("disputes", "post", f"{DIRECTORY}/partners/{{code}}/deactivate", org.OrgCloseWrite),
    ("disputes", "put", f"{DIRECTORY}/partners/{{code}}/channel", org.OrgPartnerChannelWrite),
    ("appointments", "post", "/internal/v1/bookings", apts.BookingCreate),
    ("appointments", "post", "/internal/v1/bookings/{code}/cancel", apts.BookingCancel),
    ("appointments", "post", "/internal/v1/bookings/{code}/reschedule", apts.BookingReschedule),
    ("appointments", "post", "/internal/v1/applications", apts.ApplicationCreate),
    (
        "appointments",
        "post",
        "/internal/v1/applications/{app_id}/decision",
        apts.ApplicationDecision,
    ),
    ("appointments", "post", "/internal/v1/home-visits", apts.HomeVisitCreate),
    ("appointments", "post", "/internal/v1/home-visits/{visit_id}/actions", apts.HomeVisitAction),
    ("appointments", "post", "/internal/v1/capacity", apts.CapacityUpdate),
    ("appointments", "post", "/internal/v1/closures", apts.ClosureCreate),
    ("appointments", "post", "/internal/v1/kiosks/{code}", apts.KioskUpdate),
    ("appointments", "put", f"{DESK}/services/{{code}}", desk.ServiceUpdate),
    ("appointments", "put", f"{DESK}/offices/{{code}}", desk.OfficeUpdate),
    ("appointments", "put", f"{DESK}/offices/{{code}}/hours", desk.HoursUpdate),
    ("appointments", "put", f"{DESK}/offices/{{code}}/seats", desk.SeatsUpdate),
    ("appointments", "put", f"{DESK}/offices/{{code}}/windows", desk.WindowsUpdate),
    ("appointments", "post", f"{DESK}/closures", apts.ClosureCreate),
    ("appointments", "post", f"{DESK}/closures/{{office_code}}/{{day}}/delete", desk.ClosureDelete),
    ("points", "post", "/internal/v1/items", pts.ItemCreate),
    ("points", "patch", f"{STOCK}/{{item_id}}", pts.ItemChange),
    ("points", "post", "/internal/v1/patrols", pts.PatrolCreate),
    ("points", "post", "/internal/v1/tips", pts.TipCreate),
    ("points", "post", "/internal/v1/tips/{tip_id}/rate", pts.TipRate),
    ("points", "post", "/internal/v1/redemptions", pts.RedemptionCreate),
    ("points", "post", "/internal/v1/accounts/{account_id}/adjustments", pts.AdjustCreate),
    ("points", "post", "/internal/v1/entries/{entry_id}/reverse", pts.ReverseCreate),
    ("notifications", "put", "/internal/v1/users/{user_id}/preferences", notes.PreferenceUpdate),
]


def app_of(service: str) -> FastAPI:
    if service == "disputes":
        return disputes_app(DisputesSettings(database_url="sqlite+aiosqlite://"))
    if service == "points":
        return points_app(PointsSettings(database_url="sqlite+aiosqlite://"))
    if service == "notifications":
        return notifications_app(NotificationsSettings(database_url="sqlite+aiosqlite://"))
    return appointments_app(
        AppointmentsSettings(database_url="sqlite+aiosqlite://"), connect_temporal=False
    )


def shared_schemas(
    model: type[BaseModel], mode: JsonSchemaMode = "serialization"
) -> dict[str, Any]:
    _, top = models_json_schema([(model, mode)], ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def without_defaults(schema: Any) -> Any:
    """FastAPI leaves the defaults out of answer schemas; they say nothing about the shape."""
    if isinstance(schema, dict):
        return {k: without_defaults(v) for k, v in schema.items() if k != "default"}
    if isinstance(schema, list):
        return [without_defaults(v) for v in schema]
    return schema


def published(doc: dict[str, Any], name: str, side: str = "Output") -> Any:
    """A component of the document; FastAPI names a model's two schemas X-Input / X-Output
    when reading and writing it differ."""
    schemas = doc["components"]["schemas"]
    return schemas.get(name) or schemas[f"{name}-{side}"]


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {
        name: app_of(name).openapi()
        for name in ("disputes", "appointments", "notifications", "points")
    }


@pytest.mark.parametrize(("service", "method", "path", "model"), CONTRACTS)
def test_the_openapi_of_each_service_is_the_shared_model(
    docs: dict[str, dict[str, Any]], service: str, method: str, path: str, model: type[BaseModel]
) -> None:
    doc = docs[service]
    responses = doc["paths"][path][method]["responses"]
    answer = (responses.get("200") or responses["201"])["content"]["application/json"]["schema"]
    ref = (answer.get("items") or answer)["$ref"].removeprefix("#/components/schemas/")
    assert ref.removesuffix("-Output") == model.__name__
    expected = shared_schemas(model)
    assert model.__name__ in expected
    for name, schema in expected.items():
        assert without_defaults(published(doc, name)) == without_defaults(schema), (service, name)


@pytest.mark.parametrize(("service", "method", "path", "model"), REQUESTS)
def test_the_request_bodies_of_each_service_are_the_shared_model(
    docs: dict[str, dict[str, Any]], service: str, method: str, path: str, model: type[BaseModel]
) -> None:
    doc = docs[service]
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    for name, schema in shared_schemas(model, "validation").items():
        assert without_defaults(published(doc, name, "Input")) == without_defaults(schema), (
            service,
            name,
        )


def _shape(schema: Any) -> Any:
    """A model's schema without what says strict or lenient (additionalProperties)."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k != "additionalProperties"}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


PAIRS = [
    (getattr(contract, name), getattr(carried, name))
    for name in (
        "Party",
        "Household",
        "RiskFacts",
        "DisputeIntake",
        "Actor",
        "CaseView",
        "LifecycleDeadlines",
    )
] + [(contract.ACTIONS[name], model) for name, model in carried.ACTIONS.items()]


@pytest.mark.parametrize(("edge", "history"), PAIRS, ids=[h.__name__ for _, h in PAIRS])
def test_the_disputes_contract_is_the_workflow_model_field_for_field(
    edge: type[BaseModel], history: type[BaseModel]
) -> None:
    """The portal sends and reads shared.contracts.disputes; the workflow carries its own
    models in history: a field added to one and not the other fails here."""
    assert edge.__name__ == history.__name__
    assert _shape(edge.model_json_schema()) == _shape(history.model_json_schema())


def test_disputes_requests_refuse_an_unknown_field_and_answers_ignore_one() -> None:
    with pytest.raises(ValidationError, match="bogus\n  Extra inputs are not permitted"):
        contract.ACTIONS["decline"].model_validate({"reason": "on leave", "bogus": 1})
    with pytest.raises(ValidationError, match=r"parties\.0\.alias"):
        contract.DisputeIntake.model_validate(
            {
                "category": "land",
                "description": "a wall",
                "village_code": "V1",
                "parties": [{"name": "马", "alias": "x"}],
            }
        )
    assert set(contract.ACTIONS) == set(carried.ACTIONS)
    view = contract.CaseView.model_validate(
        {
            "case_id": "c1",
            "case_no": "FQ-1",
            "stage": "accepted",
            "colour": "green",
            "rules_fired": [],
            "colour_history": [],
            "assignee_id": None,
            "station_code": None,
            "village_code": "V1",
            "stage_deadline": None,
            "next_follow_up_at": None,
            "partner_requests": [],
            "open_tasks": [],
            "helper_ids": [],
            "settlement": None,
            "allowed_actions": [],
            "added_in_a_later_release": True,
        }
    )
    assert view.case_no == "FQ-1"
