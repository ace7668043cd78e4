"""Loading the lifecycle configuration (lifecycle.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from workflows.disputes.types import LifecycleConfig

LIFECYCLE_FILE = Path(__file__).resolve().parent / "lifecycle.yaml"


def load_lifecycle(path: Path = LIFECYCLE_FILE) -> LifecycleConfig:
    return LifecycleConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
