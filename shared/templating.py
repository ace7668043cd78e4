"""One Jinja2 environment per app: autoescape on, StrictUndefined, gettext from shared.i18n."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.i18n import Translator
from shared.pii import mask_id_number, mask_phone


def make_environment(
    template_dirs: list[Path], translator: Translator, *, globals_: dict[str, Any] | None = None
) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translator.gettext, translator.ngettext, newstyle=True
    )
    env.filters["mask_phone"] = mask_phone
    env.filters["mask_id"] = mask_id_number
    if globals_:
        env.globals.update(globals_)
    return env
