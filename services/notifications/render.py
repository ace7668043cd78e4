"""Message templates: one Jinja2 file per event and language, one block per channel.

`templates/<locale>/<routing_key>.txt` extends `_base.txt` and fills the blocks `subject`,
`text` (inbox and e-mail), `sms` (short) and optionally `bot`. Messages are plain text, so
autoescaping (an HTML concern) is off here; nothing rendered goes into a page unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications.routing import RESIDENT_AUDIENCES
from services.notifications.wording import word_note
from shared.i18n import LOCALES, normalise
from shared.localtime import local_zone
from shared.messaging.events import Event
from shared.pii import mask_text

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
LOCAL_TZ = local_zone()
# Free text written by officers or residents: may name the other party, so residents never get it.
FREE_TEXT_FIELDS = frozenset({"summary", "reason", "settlement", "note", "outcome", "partner"})
SMS_MAX = 140


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _local_time(value: str | datetime | None) -> str:
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


def make_environment(directory: Path = TEMPLATE_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no stat of the file per message
    )
    env.filters["local_time"] = _local_time
    return env


def event_context(event: Event, audience: str) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    if audience in RESIDENT_AUDIENCES:
        for name in FREE_TEXT_FIELDS:
            data.pop(name, None)
    else:
        data = {k: mask_text(v) if isinstance(v, str) else v for k, v in data.items()}
    data["audience"] = audience
    return data


# Names of the six-ways desk's services and of application statuses (codes in the events).
SERVICE_LABELS = {
    "zh_CN": {
        "hukou": "户籍办理",
        "id_card": "居民身份证",
        "exit_entry": "出入境证件",
        "vehicle": "车驾管业务",
        "permit": "治安许可",
        "no_record": "无犯罪记录证明",
    },
    "en": {
        "hukou": "household registration",
        "id_card": "ID card",
        "exit_entry": "exit-entry documents",
        "vehicle": "vehicles and drivers",
        "permit": "public-order permit",
        "no_record": "no-criminal-record certificate",
    },
}
STATUS_LABELS = {
    "zh_CN": {
        "submitted": "已受理",
        "approved": "已办结",
        "rejected": "未通过",
        "returned": "需补充材料",
        "withdrawn": "已撤回",
    },
    "en": {
        "submitted": "received",
        "approved": "approved",
        "rejected": "rejected",
        "returned": "returned for more documents",
        "withdrawn": "withdrawn",
    },
}
COLOUR_LABELS = {
    "zh_CN": {"red": "红色", "yellow": "黄色", "green": "绿色"},
    "en": {"red": "red", "yellow": "yellow", "green": "green"},
}


class Renderer:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.directory = directory
        self.env = make_environment(directory)
        self._known: dict[str, bool] = {}

    def has_template(self, routing_key: str) -> bool:
        known = self._known.get(routing_key)
        if known is None:
            known = all((self.directory / loc / f"{routing_key}.txt").exists() for loc in LOCALES)
            self._known[routing_key] = known
        return known

    def _part(self, name: str, part: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render({**context, "part": part}).strip()

    def render(
        self, routing_key: str, language: str, channel: str, context: dict[str, Any]
    ) -> Rendered:
        locale = normalise(language)
        ctx = dict(context)
        ctx["for_resident"] = context.get("audience") in RESIDENT_AUDIENCES
        colour = str(context.get("colour", ""))
        ctx["colour_label"] = COLOUR_LABELS[locale].get(colour, colour)
        service = str(context.get("service_code", ""))
        ctx["service_label"] = SERVICE_LABELS[locale].get(service, service)
        status = str(context.get("status", ""))
        ctx["status_label"] = STATUS_LABELS[locale].get(status, status)
        for key in ("summary", "reason"):
            if isinstance(context.get(key), str):
                ctx[key] = word_note(context[key], locale, _local_time)
        name = f"{locale}/{routing_key}.txt"
        body = self._part(name, channel, ctx)
        if channel == "sms" and len(body) > SMS_MAX:
            body = body[: SMS_MAX - 1] + "…"
        return Rendered(subject=self._part(name, "subject", ctx), body=body)

    def render_digest(self, language: str, items: list[tuple[str, str]]) -> Rendered:
        name = f"{normalise(language)}/_digest.txt"
        ctx = {"items": items, "count": len(items)}
        subject = self._part(name, "subject", ctx)
        return Rendered(subject=subject, body=self._part(name, "text", ctx))
