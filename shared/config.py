"""Settings: one pydantic-settings class per service, all read from the environment.

Every variable is listed in the README's configuration table; a test checks that the
table, these classes and docker-compose.yml agree.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _var_dir() -> Path:
    import os

    return Path(os.environ.get("FQ_VAR_DIR", str(REPO_ROOT / "var")))


def default_sqlite_url(name: str) -> str:
    return f"sqlite+aiosqlite:///{_var_dir() / f'{name}.db'}"


class CommonSettings(BaseSettings):
    """Variables every service reads. They carry no per-service prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    var_dir: Path = Field(default_factory=_var_dir, validation_alias=AliasChoices("FQ_VAR_DIR"))
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/", validation_alias=AliasChoices("AMQP_URL")
    )
    exchange: str = Field(default="fengqiao.events", validation_alias=AliasChoices("FQ_EXCHANGE"))
    temporal_address: str = Field(
        default="127.0.0.1:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS")
    )
    temporal_namespace: str = Field(
        default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE")
    )
    internal_token: str = Field(
        default="fengqiao-dev-internal-token",
        validation_alias=AliasChoices("FQ_INTERNAL_TOKEN"),
        description="Shared secret the portal presents to the services' internal APIs.",
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("FQ_LOG_LEVEL"))
    log_json: bool = Field(default=False, validation_alias=AliasChoices("FQ_LOG_JSON"))


class ServiceSettings(CommonSettings):
    """Fields each service has under its own prefix (FQ_<SERVICE>_...)."""

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    queue_prefetch: int = 128
    relay_interval_seconds: float = 0.5


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_PORTAL_", extra="ignore", populate_by_name=True
    )
    port: int = 8000
    database_url: str = Field(default_factory=lambda: default_sqlite_url("portal"))
    secret_key: str = "change-me-in-production-fengqiao-portal"
    secure_cookies: bool = False
    disputes_url: str = "http://127.0.0.1:8001"
    appointments_url: str = "http://127.0.0.1:8002"
    points_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    login_rate_limit: int = 10
    session_max_age_seconds: int = 8 * 3600


class DisputesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_DISPUTES_", extra="ignore", populate_by_name=True
    )
    port: int = 8001
    database_url: str = Field(default_factory=lambda: default_sqlite_url("disputes"))
    rules_file: Path = REPO_ROOT / "workflows" / "disputes" / "rules.yaml"
    task_queue: str = "fengqiao-disputes"


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_APPOINTMENTS_", extra="ignore", populate_by_name=True
    )
    port: int = 8002
    database_url: str = Field(default_factory=lambda: default_sqlite_url("appointments"))
    task_queue: str = "fengqiao-home-visits"
    timezone: str = "Asia/Shanghai"
    book_days_ahead: int = 30
    book_cutoff_minutes: int = 30
    change_cutoff_minutes: int = 120
    hold_seconds: int = 300
    reminder_hour: int = 18
    no_show_grace_minutes: int = 15
    jobs_interval_seconds: float = 30.0
    run_jobs: bool = True
    service_url: str = "http://127.0.0.1:8002"
    visit_schedule_hours: int = 48
    visit_done_grace_hours: int = 24
    visit_escalation_hours: int = 24


class PointsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_POINTS_", extra="ignore", populate_by_name=True
    )
    port: int = 8003
    database_url: str = Field(default_factory=lambda: default_sqlite_url("points"))
    rules_file: Path = REPO_ROOT / "services" / "points" / "rules.yaml"


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )
    port: int = 8004
    database_url: str = Field(default_factory=lambda: default_sqlite_url("notifications"))
    routing_file: Path = REPO_ROOT / "services" / "notifications" / "routing.yaml"
    sms_url: str = "json://127.0.0.1:8025/sms"
    bot_url: str = "json://127.0.0.1:8025/bot"
    smtp_url: str = "mailto://fengqiao@127.0.0.1:1025?from=noreply@fengqiao.local&mode=insecure"
    quiet_start_hour: int = 22
    quiet_end_hour: int = 7


class SinkSettings(ServiceSettings):
    """The local SMS/bot/email sink of the embedded stack (never used in production)."""

    model_config = SettingsConfigDict(env_prefix="FQ_SINK_", extra="ignore", populate_by_name=True)
    port: int = 8025
    smtp_port: int = 1025


class StackSettings(CommonSettings):
    """What `make run` (deploy/run.py) starts: the embedded stack on one machine."""

    model_config = SettingsConfigDict(env_prefix="FQ_STACK_", extra="ignore", populate_by_name=True)
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_http_port: int = 7243
    temporal_metrics_port: int = 7244
    seed_demo: bool = True
    start_rabbitmq: bool = True


ALL_SETTINGS: dict[str, type[ServiceSettings]] = {
    "portal": PortalSettings,
    "disputes": DisputesSettings,
    "appointments": AppointmentsSettings,
    "points": PointsSettings,
    "notifications": NotificationsSettings,
    "sink": SinkSettings,
}
