"""The services' internal APIs answer with the models in shared/ that the portal reads: each
service's OpenAPI document names the shared model, field for field (no service drifts)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.appointments.api import create_app as appointments_app
from services.disputes.api import create_app as disputes_app
from shared.config import AppointmentsSettings, DisputesSettings
from shared.tasks import TaskPage

# (service, method, path, the shared model of its 200 answer)
CONTRACTS = [
    ("disputes", "get", "/internal/v1/tasks", TaskPage),
    ("appointments", "get", "/internal/v1/tasks", TaskPage),
]


def app_of(service: str) -> FastAPI:
    if service == "disputes":
        return disputes_app(DisputesSettings(database_url="sqlite+aiosqlite://"))
    return appointments_app(
        AppointmentsSettings(database_url="sqlite+aiosqlite://"), connect_temporal=False
    )


def shared_schemas(model: type[BaseModel]) -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "serialization")], ref_template="#/components/schemas/{model}"
    )
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def without_defaults(schema: Any) -> Any:
    """FastAPI leaves the defaults out of answer schemas; they say nothing about the shape."""
    if isinstance(schema, dict):
        return {k: without_defaults(v) for k, v in schema.items() if k != "default"}
    if isinstance(schema, list):
        return [without_defaults(v) for v in schema]
    return schema


@pytest.mark.parametrize(("service", "method", "path", "model"), CONTRACTS)
def test_the_openapi_of_each_service_is_the_shared_model(
    service: str, method: str, path: str, model: type[BaseModel]
) -> None:
    doc = app_of(service).openapi()
    answer = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    published = doc["components"]["schemas"]
    expected = shared_schemas(model)
    assert {"TaskPage", "TaskRead", "TaskKind"} <= set(expected)
    for name, schema in expected.items():
        assert without_defaults(published[name]) == without_defaults(schema), (service, name)
