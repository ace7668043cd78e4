"""docker-compose.yml stays true to the code, checked without a Docker engine."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import yaml
from pydantic_settings import BaseSettings

from deploy.run import processes
from shared.config import ALL_SETTINGS, CommonSettings, StackSettings
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
INFRA = {
    "postgresql",
    "rabbitmq",
    "rabbitmq-definitions",
    "temporal",
    "temporal-setup",
    "temporal-ui",
}


def env_names(cls: type[BaseSettings]) -> set[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if alias is not None and hasattr(alias, "choices"):
            names.update(str(c) for c in alias.choices)
        else:
            names.add((prefix + name).upper())
    return names


SETTINGS_CLASSES: list[type[BaseSettings]] = [*ALL_SETTINGS.values(), StackSettings, CommonSettings]
KNOWN_ENV: set[str] = set().union(*(env_names(c) for c in SETTINGS_CLASSES))


def fengqiao_services() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in SERVICES.items() if k not in INFRA}


def test_every_process_of_make_run_is_a_compose_service_with_the_same_command() -> None:
    from shared.config import StackSettings as S

    wanted = {
        name: cmd.split(" -m ")[1] for name, cmd in processes(S()).items() if name != "temporal"
    }
    assert wanted, "deploy.run starts no Fengqiao process"
    for name, module in wanted.items():
        assert name in SERVICES, f"{name} is started by make run but missing from compose"
        assert SERVICES[name]["command"] == ["python", "-m", module]


def test_commands_name_modules_that_exist_and_build_from_the_one_dockerfile() -> None:
    for name, svc in fengqiao_services().items():
        module = svc["command"][2]
        assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    for src in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        assert (REPO / src).exists(), f"Dockerfile copies missing {src}"


def test_environment_variables_match_the_settings_classes() -> None:
    for name, svc in fengqiao_services().items():
        unknown = set(svc["environment"]) - KNOWN_ENV
        assert not unknown, f"{name}: variables no settings class reads: {unknown}"
        prefix = f"FQ_{name.upper()}_"
        if name in ALL_SETTINGS:
            assert f"{prefix}DATABASE_URL" in svc["environment"] or name == "sink"


def test_health_checks_restart_policies_and_dependencies() -> None:
    for name, svc in SERVICES.items():
        if name != "temporal-setup":
            assert "healthcheck" in svc, f"{name} has no health check"
        assert svc.get("restart") in {"unless-stopped", "on-failure", "always"}, name
        for dep in svc.get("depends_on", {}):
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
        image = svc.get("image", "")
        if "build" not in svc:
            assert re.match(r"^[\w./-]+:[\w.-]+$", image) and not image.endswith(":latest"), image
    for port_var in ("8000", "8001", "8002", "8003", "8004"):
        assert any(
            port_var in str(s.get("healthcheck", {}).get("test"))
            for s in fengqiao_services().values()
        )


def test_postgres_init_creates_one_database_per_service() -> None:
    sql = (REPO / "deploy" / "postgres-init.sql").read_text()
    for service in ("portal", "disputes", "appointments", "points", "notifications"):
        assert f"CREATE DATABASE {service};" in sql
        urls = [
            v["environment"].get(f"FQ_{service.upper()}_DATABASE_URL", "")
            for v in fengqiao_services().values()
        ]
        assert any(u.endswith(f"/{service}") for u in urls)


def test_temporal_setup_registers_every_search_attribute_and_the_problem_threshold() -> None:
    from shared.temporal import SEARCH_ATTRIBUTES, WORKFLOW_TASK_PROBLEMS_AFTER

    command = " ".join(SERVICES["temporal-setup"]["command"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    assert registered == SEARCH_ATTRIBUTES
    temporal = SERVICES["temporal"]
    mount = next(v for v in temporal["volumes"] if "temporal-dynamic-config" in v)
    src, target = mount.split(":")[:2]
    assert target.endswith(temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"])
    dynamic = yaml.safe_load((REPO / src).read_text())
    key = "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute"
    assert dynamic[key] == [{"value": WORKFLOW_TASK_PROBLEMS_AFTER}]
