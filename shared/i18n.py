"""Translations: gettext catalogues (.po, read with Babel), zh-CN by default, English second.

Source strings are English. A service keeps `translations/<locale>/LC_MESSAGES/*.po` (one
file per area of an app, merged); the catalogues are compiled in memory on first use, so the
.po files are the only artefact.
The locale of the current request lives in a context variable.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
LANGUAGE_TAGS = {"zh_CN": "zh-CN", "en": "en"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def normalise(tag: str | None) -> str:
    """'zh-CN', 'zh', 'en-US' ... -> one of LOCALES."""
    if not tag:
        return DEFAULT_LOCALE
    t = tag.replace("-", "_").lower()
    if t.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@lru_cache(maxsize=64)
def translations(directory: str, locale: str) -> gettext.NullTranslations:
    files = sorted((Path(directory) / locale / "LC_MESSAGES").glob("*.po"))
    result: gettext.NullTranslations = gettext.NullTranslations()
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        t = gettext.GNUTranslations(buf)
        if isinstance(result, gettext.GNUTranslations):
            result.add_fallback(t)
        else:
            result = t
    return result


class Translator:
    """gettext callables bound to one catalogue directory, following `current_locale`."""

    def __init__(self, directory: Path) -> None:
        self.directory = str(directory)

    def _t(self) -> gettext.NullTranslations:
        return translations(self.directory, current_locale.get())

    def gettext(self, message: str) -> str:
        return self._t().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t().ngettext(singular, plural, n)

    def missing(self, locale: str, messages: list[str]) -> list[str]:
        """Messages with no translation in `locale` (for the catalogue completeness test)."""
        if locale == "en":
            return []
        t = translations(self.directory, locale)
        return [m for m in messages if t.gettext(m) == m]
