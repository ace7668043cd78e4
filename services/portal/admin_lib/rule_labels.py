"""Labels of screening rules an administrator made (their ids are not in the portal's built-in
table, areas/_disputes_labels.RULES): taken from the stored rule versions, newest first."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import HTTPException

from services.portal.admin_lib.backend import Problems, call
from services.portal.deps import ServiceClients, User
from shared.contracts.screening_rules import RulesVersion

log = logging.getLogger("fengqiao.portal.admin")
PATH = "/admin/rules/screening/versions"


def labels_from(versions: list[RulesVersion], wanted: set[str], language: str) -> dict[str, str]:
    """Each wanted id's label in the newest version that has it, Chinese when asked for and
    given (else English)."""
    out: dict[str, str] = {}
    for v in sorted(versions, key=lambda v: -v.version):
        for rule in v.rules.rules:
            if rule.id in wanted and rule.id not in out:
                zh = rule.label_zh
                out[rule.id] = zh if language == "zh_CN" and zh else (rule.label or rule.id)
    return out


async def rule_labels(
    clients: ServiceClients, user: User, ids: Iterable[str], known: dict[str, str]
) -> dict[str, str]:
    """Labels of the ids not in `known`; an id whose label cannot be had stays shown as is."""
    wanted = {i for i in ids if i not in known}
    if not wanted:
        return {}
    try:
        versions = await call(
            clients.disputes, "rules unavailable", "GET", PATH, user, answer=list[RulesVersion]
        )
    except (HTTPException, Problems) as exc:
        log.warning("screening rule labels unavailable: %s", exc)
        return {}
    return labels_from(versions, wanted, user.language)
