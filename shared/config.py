"""Settings: one pydantic-settings class per service, all read from the environment.

Every variable is listed in the README's configuration table; a test checks that the
table, these classes and docker-compose.yml agree.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# the embedded stack's and the tests' secrets: FQ_ENV=production refuses to start with any.
# DEV_TEMPORAL_KEYS never changes: histories recorded by the tests are encrypted with it
DEV_INTERNAL_TOKEN = "fengqiao-dev-internal-token"
DEV_PORTAL_SECRET = "change-me-in-production-fengqiao-portal"
DEV_TEMPORAL_KEYS = "dev-2026:" + base64.b64encode(b"fengqiao-dev-temporal-key-32byte").decode()
# where the demo sink listens (HTTP and SMTP): never a delivery target in production
SINK_HOSTS = {"127.0.0.1", "localhost", "sink"}
SINK_PORTS = {8025, 1025}


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
    env: Literal["development", "production"] = Field(
        default="development",
        validation_alias=AliasChoices("FQ_ENV"),
        description="`production` refuses to start with a default secret, insecure cookies,"
        " the guest broker user or the demo sink",
    )
    internal_token: str = Field(
        default=DEV_INTERNAL_TOKEN,
        validation_alias=AliasChoices("FQ_INTERNAL_TOKEN"),
        description="Shared secret the portal presents to the services' internal APIs.",
    )
    temporal_keys: str = Field(
        default=DEV_TEMPORAL_KEYS,
        validation_alias=AliasChoices("FQ_TEMPORAL_KEYS"),
        description="AES-256 keys of Temporal payloads, `id:base64,...`; the first encrypts,"
        " all decrypt (shared/codec.py)",
    )
    bus_users: dict[str, str] = Field(
        default={},
        validation_alias=AliasChoices("FQ_BUS_USERS"),
        description='JSON {"<service>": "<broker user>"}: who may publish the events each'
        " service owns; empty: every service shares the connection's user (dev, tests)",
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("FQ_LOG_LEVEL"))
    log_json: bool = Field(default=False, validation_alias=AliasChoices("FQ_LOG_JSON"))
    timezone: str = Field(
        default="Asia/Shanghai",
        validation_alias=AliasChoices("FQ_TIMEZONE"),
        description="the bureau's local zone: days, opening and quiet hours, times shown",
    )

    def production_problems(self) -> list[str]:
        """What production mode refuses; each subclass adds its own."""
        problems = []
        if self.internal_token == DEV_INTERNAL_TOKEN or self.internal_token.startswith("change-me"):
            problems.append("FQ_INTERNAL_TOKEN is the default")
        if self.temporal_keys == DEV_TEMPORAL_KEYS or "dev-2026:" in self.temporal_keys:
            problems.append("FQ_TEMPORAL_KEYS holds the development key")
        if urlsplit(self.amqp_url).username in (None, "", "guest"):
            problems.append("AMQP_URL uses the broker's guest user")
        if not self.bus_users:
            problems.append("FQ_BUS_USERS is empty (every service would share one broker user)")
        return problems

    @model_validator(mode="after")
    def _refuse_defaults_in_production(self) -> Self:
        if self.env == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("FQ_ENV=production refuses to start: " + "; ".join(problems))
        return self


class ServiceSettings(CommonSettings):
    """Fields each service has under its own prefix (FQ_<SERVICE>_...)."""

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    db_pool_size: int = Field(
        default=10,
        description="PostgreSQL connections each process keeps (and up to twice as many more"
        " under bursts); size it so all processes together stay under max_connections.",
    )
    queue_prefetch: int = 128
    consumer_batch_size: int = Field(
        default=100,
        description="deliveries a batching consumer applies in one transaction (at most;"
        " fewer when fewer are waiting)",
    )
    relay_interval_seconds: float = 0.5


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_PORTAL_", extra="ignore", populate_by_name=True
    )
    port: int = 8000
    database_url: str = Field(default_factory=lambda: default_sqlite_url("portal"))
    secret_key: str = DEV_PORTAL_SECRET
    secure_cookies: bool = False
    disputes_url: str = "http://127.0.0.1:8001"
    appointments_url: str = "http://127.0.0.1:8002"
    points_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    login_rate_limit: int = Field(
        default=10,
        description="wrong passwords per account (and per account+address) before each further "
        "attempt waits a doubling delay (30 s up to 15 min); nobody is locked out",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='JSON list of proxy addresses/networks (["10.0.0.0/8"]) whose '
        "X-Forwarded-For is believed; from any other peer the header is ignored",
    )
    reports_per_day: int = Field(
        default=5, description="dispute reports one resident may file per day (UTC)"
    )
    phone_reveals_per_hour: int = Field(
        default=30,
        description="full party phone numbers one officer may reveal per hour (each is audited)",
    )
    session_max_age_seconds: int = 8 * 3600
    temporal_ui_origin: str = Field(
        default="http://localhost:8233",
        description="origin of the Temporal Web UI, the only one allowed to call /codec",
    )

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.secret_key == DEV_PORTAL_SECRET or self.secret_key.startswith("change-me"):
            problems.append("FQ_PORTAL_SECRET_KEY is the default")
        if not self.secure_cookies:
            problems.append("FQ_PORTAL_SECURE_COOKIES is false")
        return problems


class DisputesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_DISPUTES_", extra="ignore", populate_by_name=True
    )
    port: int = 8001
    database_url: str = Field(default_factory=lambda: default_sqlite_url("disputes"))
    rules_file: Path = REPO_ROOT / "workflows" / "disputes" / "rules.yaml"
    lifecycle_file: Path = REPO_ROOT / "workflows" / "disputes" / "lifecycle.yaml"
    task_queue: str = "fengqiao-disputes"
    # the board says "no worker is polling" when no worker polled the queue for this long
    worker_stale_seconds: float = 90
    # stuck for the business: no progress for this long (technically stuck: see FqTrouble)
    stuck_idle_hours: float = 72
    worker_max_workflow_tasks: int | None = Field(
        default=None, ge=1, description="workflow tasks the worker runs at once (empty: the SDK's)"
    )
    worker_max_activities: int | None = Field(
        default=None, ge=1, description="activities the worker runs at once (empty: the SDK's)"
    )


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_APPOINTMENTS_", extra="ignore", populate_by_name=True
    )
    port: int = 8002
    database_url: str = Field(default_factory=lambda: default_sqlite_url("appointments"))
    task_queue: str = Field(
        default="fengqiao-home-visits", description="Temporal task queue of door-to-door visits"
    )
    book_days_ahead: int = Field(default=30, description="how many days ahead one can book")
    book_cutoff_minutes: int = Field(default=30, description="booking closes this long before")
    change_cutoff_minutes: int = Field(
        default=120, description="cancel/reschedule allowed until this long before the start"
    )
    hold_seconds: int = Field(default=300, description="a held seat waits this long for confirm")
    reminder_hour: int = Field(default=18, description="local hour of the day-before reminder")
    no_show_grace_minutes: int = Field(
        default=15, description="after the slot's end plus this, a booking is a no-show"
    )
    jobs_interval_seconds: float = Field(
        default=30.0, description="period of reminders, no-shows, expired holds"
    )
    run_jobs: bool = Field(default=True, description="run the periodic jobs in this process")
    service_url: str = Field(
        default="http://127.0.0.1:8002",
        description="where the home-visits worker reaches the appointments service",
    )
    visit_schedule_hours: int = Field(
        default=48, description="a door-to-door visit must be scheduled within this"
    )
    visit_done_grace_hours: int = Field(
        default=24, description="a scheduled visit must be done within this after its time"
    )
    visit_escalation_hours: int = Field(
        default=24, description="door-to-door escalation window (to the station chief)"
    )


class PointsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_POINTS_", extra="ignore", populate_by_name=True
    )
    port: int = 8003
    database_url: str = Field(default_factory=lambda: default_sqlite_url("points"))
    rules_file: Path = REPO_ROOT / "services" / "points" / "rules.yaml"
    maintenance_interval_seconds: float = 300.0  # expiry of points, void of expired holds


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FQ_NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )
    port: int = 8004
    database_url: str = Field(default_factory=lambda: default_sqlite_url("notifications"))
    routing_file: Path = Field(
        default=REPO_ROOT / "services" / "notifications" / "routing.yaml",
        description="which event goes to whom over which channels",
    )
    sms_url: str = Field(
        default="json://127.0.0.1:8025/sms?:to={to}",
        description="apprise URL of the SMS gateway; `{to}` = phone number",
    )
    bot_url: str = Field(
        default="json://127.0.0.1:8025/bot?:group={to}",
        description="apprise URL of station group bots; `{to}` = station code",
    )
    bot_urls: dict[str, str] = Field(
        default={},
        description='JSON {"<station>": "wecombot://<key>"}: a station\'s own bot, else bot_url',
    )
    smtp_url: str = Field(
        default="mailto://127.0.0.1:1025?from=noreply@fengqiao.local&to={to}&mode=insecure",
        description="apprise URL of the mail relay; `{to}` = e-mail address",
    )
    quiet_start_hour: int = Field(default=22, description="default start of quiet hours")
    quiet_end_hour: int = Field(default=7, description="default end of quiet hours")
    worker_interval_seconds: float = Field(
        default=1.0, description="how often the delivery worker looks for due messages"
    )
    worker_batch: int = Field(default=50, description="messages claimed per worker round")
    send_timeout_seconds: float = Field(default=15.0, description="one send's time limit")
    retry_backoff_seconds: list[float] = Field(
        default=[10, 60, 300, 1800],
        description="delays before attempts 2, 3...; after the last, the message is failed",
    )
    digest_roles: list[str] = Field(
        default=["officer", "station_chief"],
        description="roles whose non-urgent SMS/e-mail are bundled into digests",
    )
    digest_window_minutes: int = Field(default=30, description="digest period (0: no digests)")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        for name in ("sms_url", "bot_url", "smtp_url"):
            parts = urlsplit(getattr(self, name))
            if parts.hostname in SINK_HOSTS and parts.port in SINK_PORTS:
                problems.append(f"FQ_NOTIFICATIONS_{name.upper()} points at the demo sink")
        return problems


class SinkSettings(ServiceSettings):
    """The local SMS/bot/email sink of the embedded stack (never used in production)."""

    model_config = SettingsConfigDict(env_prefix="FQ_SINK_", extra="ignore", populate_by_name=True)
    port: int = 8025
    smtp_port: int = Field(default=1025, description="port of the sink's SMTP server")
    keep_messages: int = Field(default=2000, description="messages kept in memory")

    def production_problems(self) -> list[str]:
        return [*super().production_problems(), "the demo sink never runs in production"]


class StackSettings(CommonSettings):
    """What `make run` (deploy/run.py) starts: the embedded stack on one machine."""

    model_config = SettingsConfigDict(env_prefix="FQ_STACK_", extra="ignore", populate_by_name=True)
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_http_port: int = 7243
    temporal_metrics_port: int = 7244
    seed_demo: bool = True
    start_rabbitmq: bool = True
    own_broker_users: bool = Field(
        default=True,
        description="when the broker is local and rabbitmqctl works: each process logs in as"
        " its service's own broker user (created at start, deleted at exit)",
    )


ALL_SETTINGS: dict[str, type[ServiceSettings]] = {
    "portal": PortalSettings,
    "disputes": DisputesSettings,
    "appointments": AppointmentsSettings,
    "points": PointsSettings,
    "notifications": NotificationsSettings,
    "sink": SinkSettings,
}
