"""docker-compose runs a Temporal server that has what the stuck board needs: >= 1.29 (the
TemporalReportedProblems search attribute) with deploy/temporal-dynamic-config.yaml mounted
where DYNAMIC_CONFIG_FILE_PATH points."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

SERVICES = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def version(image: str) -> tuple[int, ...]:
    found = re.search(r":(\d+)\.(\d+)\.(\d+)", image)
    assert found, f"{image} is not pinned to a version"
    return tuple(int(x) for x in found.groups())


def test_temporal_server_and_tools_are_at_least_1_29() -> None:
    assert version(SERVICES["temporal"]["image"]) >= (1, 29, 0)
    assert version(SERVICES["temporal-setup"]["image"]) >= (1, 29, 0)


def test_the_dynamic_config_is_mounted_where_the_server_reads_it() -> None:
    temporal = SERVICES["temporal"]
    path = temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = [v.split(":") for v in temporal["volumes"]]
    [(source, target, *_)] = [m for m in mounts if m[0] == "./deploy/temporal-dynamic-config.yaml"]
    assert (REPO / source).is_file()
    assert target == f"/etc/temporal/{path}"
    config = yaml.safe_load((REPO / source).read_text())
    assert any("problem" in key.lower() for key in config), "the problem threshold is configured"
