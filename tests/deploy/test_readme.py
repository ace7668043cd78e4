"""The README's configuration table is the one the settings classes produce."""

from __future__ import annotations

from deploy.config_table import BEGIN, END, table
from tests.conftest import REPO


def test_readme_configuration_table_lists_every_setting() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    current = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    assert current == table().strip(), "run: python -m deploy.config_table --write"


def test_readme_shows_both_commands_and_every_demo_account() -> None:
    import json

    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    accounts = json.loads((REPO / "deploy/demo/accounts.json").read_text(encoding="utf-8"))
    for a in accounts:
        assert f"`{a['username']}`" in text and f"`{a['password']}`" in text
