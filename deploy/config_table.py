"""Prints the README's configuration table from the settings classes (`--check` compares).

`python -m deploy.config_table --write` rewrites the table between the markers in README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from shared.config import ALL_SETTINGS, REPO_ROOT, CommonSettings, StackSettings

BEGIN = "<!-- config-table:begin -->"
END = "<!-- config-table:end -->"


def _env_name(cls: type[BaseSettings], name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if alias is not None and hasattr(alias, "choices"):
        return str(alias.choices[0])
    return (str(cls.model_config.get("env_prefix", "")) + name).upper()


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "(computed, see below)"
    value = field.default
    if isinstance(value, Path):
        try:
            value = value.relative_to(REPO_ROOT)
        except ValueError:
            pass
    return f"`{value}`"


def table() -> str:
    rows = ["| variable | used by | default | meaning |", "|---|---|---|---|"]
    common = set(CommonSettings.model_fields)
    for name, field in CommonSettings.model_fields.items():
        rows.append(
            f"| `{_env_name(CommonSettings, name, field)}` | all | {_default(field)} | "
            f"{field.description or _MEANING.get(name, '')} |"
        )
    classes: list[tuple[str, type[BaseSettings]]] = [
        *ALL_SETTINGS.items(),
        ("stack", StackSettings),
    ]
    for service, cls in classes:
        for name, field in cls.model_fields.items():
            if name in common:
                continue
            rows.append(
                f"| `{_env_name(cls, name, field)}` | {service} | {_default(field)} | "
                f"{field.description or _MEANING.get(name, '')} |"
            )
    return "\n".join(rows)


_MEANING = {
    "var_dir": "where the embedded stack keeps its SQLite files and Temporal's database",
    "amqp_url": "RabbitMQ",
    "exchange": "the topic exchange of all events; queues are named after it",
    "temporal_address": "Temporal frontend (host:port)",
    "temporal_namespace": "Temporal namespace",
    "log_level": "log level",
    "log_json": "JSON log lines (production)",
    "host": "address the HTTP server binds",
    "port": "HTTP port",
    "database_url": "SQLAlchemy URL; default a SQLite file `var/<service>.db`; "
    "`postgresql+psycopg://...` for PostgreSQL",
    "queue_prefetch": "RabbitMQ prefetch of the consumer",
    "relay_interval_seconds": "how often the outbox relay looks for unpublished events",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:start] + "\n" + table() + "\n" + text[end:]
    if args.write:
        readme.write_text(new, encoding="utf-8")
    else:
        sys.stdout.write(table() + "\n")


if __name__ == "__main__":
    main()
