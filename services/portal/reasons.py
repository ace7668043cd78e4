"""Backend reasons in the reader's language.

The services answer in English on purpose: their reasons are the API's machine-readable text.
Each reason is an English template with `{placeholders}` written in the service's source (an
f-string such as `f"the case is already {state.colour}"`); the template itself is the msgid
in `translations/zh_CN/LC_MESSAGES/reasons.po`, its msgstr uses the same placeholders. Here a
reason is matched against those templates, and the values it carried are put into the Chinese
one (codes among them, e.g. a stage or a colour, shown as their labels). Text that matches no
template (a note an officer typed) is shown as it came. `tests/portal/test_reasons.py` collects
every template from the services' code, so a new reason without a translation fails it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"\{[^{}]+\}")
# Pydantic prefixes the message of a validator's ValueError.
VALUE_ERROR = "Value error, "


# The services, as named in their reasons ("the disputes database is unreachable").
SERVICE_LABELS = {
    "disputes": "Disputes",
    "appointments": "Appointments",
    "points": "Points",
    "notifications": "Notifications",
}


@lru_cache(maxsize=1)
def code_labels() -> dict[str, str]:
    """Codes that travel inside reasons (a stage, a colour...), shown by their labels."""
    # Imported here: the areas import the web machinery, which imports this module.
    from services.portal.areas import _appointments_backend as ab
    from services.portal.areas import _disputes_labels as dl
    from services.portal.areas import _points_backend as pb

    return {
        **SERVICE_LABELS,
        **pb.KIND_LABELS,
        **pb.RATING_LABELS,
        **pb.STATUS_LABELS,
        **ab.WAY_LABELS,
        **ab.STATUS_LABELS,
        **ab.REASON_LABELS,
        **dl.KINDS,
        **dl.ACTIONS,
        **dl.CATEGORIES,
        **dl.COLOURS,
        **dl.STAGES,
        **dl.ACTIVITIES,
    }


@dataclass(frozen=True)
class Template:
    msgid: str
    pattern: re.Pattern[str]
    keys: tuple[str, ...]


def compile_template(msgid: str) -> Template:
    keys = tuple(PLACEHOLDER.findall(msgid))
    parts = PLACEHOLDER.split(msgid)
    regex = "(.+?)".join(re.escape(p) for p in parts)
    return Template(msgid, re.compile(regex, re.DOTALL), keys)


@dataclass(frozen=True)
class Catalogue:
    exact: dict[str, str]
    templates: list[Template]


@lru_cache(maxsize=8)
def catalogue(directory: str, locale: str) -> Catalogue:
    exact: dict[str, str] = {}
    for po in sorted((Path(directory) / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                msgid, msgstr = message.id, message.string
                if isinstance(msgid, str) and msgid and isinstance(msgstr, str) and msgstr:
                    exact.setdefault(msgid, msgstr)
    templated = [m for m in exact if PLACEHOLDER.search(m) and PLACEHOLDER.sub("", m).strip()]
    # The most literal text first, so "{x} is closed on {day}: {why}" beats "{a}: {b}".
    templated.sort(key=lambda m: len(PLACEHOLDER.sub("", m)), reverse=True)
    return Catalogue(exact, [compile_template(m) for m in templated])


def _value(cat: Catalogue, value: str) -> str:
    """A value carried by a reason: a code (or a list of codes) becomes its label."""
    if ", " in value:
        items = value.split(", ")
        if all(i in code_labels() for i in items):
            return "、".join(_value(cat, i) for i in items)
    bare = value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value
    label = code_labels().get(bare, bare)
    return cat.exact.get(label, value)


def translate_reason(text: str, directory: str | Path, locale: str) -> str:
    """`text` in `locale` when it is a known reason (or a catalogue msgid), else unchanged."""
    if not text:
        return text
    if locale == "en":
        return _english(text.strip(), directory) or text
    cat = catalogue(str(directory), locale)
    stripped = text.strip()
    if stripped in cat.exact:
        return cat.exact[stripped]
    if stripped in code_labels():
        return cat.exact.get(code_labels()[stripped], stripped)
    if stripped.startswith(VALUE_ERROR):
        return translate_reason(stripped[len(VALUE_ERROR) :], directory, locale)
    for t in cat.templates:
        found = t.pattern.fullmatch(stripped)
        if found is not None:
            values = [_value(cat, v) for v in found.groups()]
            # a value that is itself a reason ("...: database: {first}") is translated too
            values = [
                translate_reason(v, directory, locale) if v == raw and v != stripped else v
                for v, raw in zip(values, found.groups(), strict=True)
            ]
            return _fill(cat.exact[t.msgid], t.keys, values)
    return text


def _english(text: str, directory: str | Path) -> str | None:
    """A reason already in English, with the codes it carries (`follow_up`) shown by their
    labels; None when it is no known reason."""
    cat = catalogue(str(directory), "zh_CN")
    if text in code_labels():
        return code_labels()[text]
    for t in cat.templates:
        found = t.pattern.fullmatch(text)
        if found is not None:
            # snake_case codes only: "already red" reads well as it is
            values = [code_labels().get(v, v) if "_" in v else v for v in found.groups()]
            return _fill(t.msgid, t.keys, values)
    return None


def _fill(msgstr: str, keys: tuple[str, ...], values: list[str]) -> str:
    by_key = dict(zip(keys, values, strict=True))
    return PLACEHOLDER.sub(lambda m: by_key.get(m.group(0), m.group(0)), msgstr)
