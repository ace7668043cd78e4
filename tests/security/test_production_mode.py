"""FQ_ENV=production refuses to start with a default secret, insecure cookies, the guest
broker user or the demo sink; compose runs that way with its secrets from .env."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from deploy.rabbitmq import bus_users
from shared.codec import new_key_spec
from shared.config import NotificationsSettings, PortalSettings, SinkSettings
from tests.conftest import REPO

SAFE: dict[str, Any] = {
    "env": "production",
    "internal_token": "x" * 40,
    "temporal_keys": new_key_spec("2026a"),
    "amqp_url": "amqp://fq-portal:s3cret@rabbitmq:5672/",
    "bus_users": bus_users(),
}
COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)


def test_production_portal_with_defaults_names_every_problem() -> None:
    with pytest.raises(ValidationError) as refused:
        PortalSettings(env="production")
    message = str(refused.value)
    for problem in (
        "FQ_INTERNAL_TOKEN is the default",
        "FQ_TEMPORAL_KEYS holds the development key",
        "AMQP_URL uses the broker's guest user",
        "FQ_BUS_USERS is empty",
        "FQ_PORTAL_SECRET_KEY is the default",
        "FQ_PORTAL_SECURE_COOKIES is false",
    ):
        assert problem in message


def test_production_portal_with_its_own_secrets_starts() -> None:
    settings = PortalSettings(**SAFE, secret_key="y" * 40, secure_cookies=True)
    assert settings.env == "production"
    with pytest.raises(ValidationError, match="FQ_PORTAL_SECURE_COOKIES is false"):
        PortalSettings(**SAFE, secret_key="y" * 40, secure_cookies=False)


def test_production_refuses_the_sink_as_a_channel_and_as_a_process() -> None:
    with pytest.raises(ValidationError, match="FQ_NOTIFICATIONS_SMS_URL points at the demo sink"):
        NotificationsSettings(**SAFE)
    real: dict[str, Any] = {
        "sms_url": "json://sms-gateway.internal/sms?:to={to}",
        "bot_url": "wecombot://key",
        "smtp_url": "mailtos://mail.internal?to={to}",
    }
    assert NotificationsSettings(**SAFE, **real).sms_url.startswith("json://sms-gateway")
    with pytest.raises(ValidationError, match="the demo sink never runs in production"):
        SinkSettings(**SAFE)


def test_a_service_process_in_production_mode_with_defaults_exits_saying_why() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FQ_", "AMQP_"))}
    env["FQ_ENV"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", "services.points"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "FQ_ENV=production refuses to start" in done.stderr
    assert "FQ_INTERNAL_TOKEN is the default" in done.stderr


def test_compose_runs_in_production_mode_with_secrets_from_the_env_file() -> None:
    common = COMPOSE["x-fengqiao-env"]
    assert common["FQ_ENV"] == "${FQ_ENV:-production}"
    assert "change-me" not in COMPOSE_TEXT
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_TEXT))
    assert {"FQ_INTERNAL_TOKEN", "FQ_TEMPORAL_KEYS", "FQ_PORTAL_SECRET_KEY"} <= required
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^(\w+)=", example, flags=re.M))
    assert required <= documented, required - documented
    services = COMPOSE["services"]
    assert services["portal"]["environment"]["FQ_PORTAL_SECURE_COOKIES"].endswith("-true}")
    assert services["sink"]["profiles"] == ["demo"]


def test_compose_publishes_no_management_ui_and_gives_each_service_its_own_broker_user() -> None:
    services = COMPOSE["services"]
    rabbit = services["rabbitmq"]
    assert "management" not in rabbit["image"] and "ports" not in rabbit
    assert "RABBITMQ_DEFAULT_PASS" not in str(rabbit)
    users = {
        name: re.match(r"amqp://([^:]+):", svc["environment"]["AMQP_URL"]).group(1)  # type: ignore[union-attr]
        for name, svc in services.items()
        if "AMQP_URL" in svc.get("environment", {})
    }
    expected = bus_users()
    for service in ("portal", "disputes", "appointments", "points", "notifications"):
        assert users[service] == expected[service]
    assert users["disputes-worker"] == expected["disputes"]
    assert users["home-visits-worker"] == expected["appointments"]
    assert yaml.safe_load(services["portal"]["environment"]["FQ_BUS_USERS"]) == expected
