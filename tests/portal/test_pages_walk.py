"""Walk every GET page each demo role can reach, in zh-CN and English.

Generic over areas: it starts from `/` and every NAV entry of every discovered area, follows
local links, and fails on any 5xx (except 503 from a backend not started here), on any msgid
the zh_CN catalogue lacks, and on what `language_problems` finds in the page's text: a raw
enum value (`follow_up`, `issued`), an English word on a Chinese page, or Chinese in the
labels, headings and buttons of an English page (data such as place and people's names aside).
An area's pages are covered as soon as they are linked from a page or from NAV. The demo
county's test (tests/deploy/test_demo_county.py) runs the same checks on pages full of data.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

from services.portal.areas import _appointments_backend, _points_backend, notifications
from services.portal.areas._disputes_labels import TABLES
from services.portal.web import Portal
from shared.demo import demo_accounts, org
from tests.portal.conftest import ACCOUNTS, PortalHarness

HREF_RE = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
MAX_PAGES = 150
SKIP = ("/static/", "/docs", "/redoc", "/openapi.json", "/metrics", "/healthz", "/api/")


def local_links(base: str, html: str) -> list[str]:
    out = []
    for href in HREF_RE.findall(html):
        url = urldefrag(urljoin(base, href.replace("&amp;", "&")))[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "portal.test") or parts.path.startswith(SKIP):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


SNAKE = re.compile(r"(?<![\w./:-])[a-z]+(?:_[a-z]+)+(?![\w./:-])")
WORD = re.compile(r"(?<![\w./@:#%&=+-])[A-Za-z]{2,}(?![\w./@:%&=+-])")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")
# Chrome: where a page's own words are, never data (a name in a <th scope=row> is data).
CHROME = {"h1", "h2", "h3", "label", "button", "summary", "legend", "dt", "option", "title"}
SKIP_TEXT = {"script", "style", "code", "pre", "kbd", "samp", "textarea"}
# Words a Chinese page may show as they are: acronyms, product names, a language's own name.
ENGLISH_OK = {"SMS", "ID", "API", "QR", "UTC", "AM", "PM", "Temporal", "RabbitMQ", "OpenAPI"}
ENGLISH_OK |= {"English"}


@cache
def raw_codes() -> frozenset[str]:
    """Every enum value the portal has a label for: shown bare, it was not translated."""
    tables = [
        *TABLES.values(),
        _appointments_backend.WAY_LABELS,
        _appointments_backend.STATUS_LABELS,
        _appointments_backend.REASON_LABELS,
        _appointments_backend.SERVICE_LABELS,
        _points_backend.RATING_LABELS,
        _points_backend.REASON_LABELS,
        _points_backend.KIND_LABELS,
        _points_backend.STATUS_LABELS,
        notifications.KIND_LABELS,
        notifications.STATUS_LABELS,
    ]
    codes = {str(k) for t in tables if isinstance(t, dict) for k in t}
    return frozenset(c for c in codes | {"issued", "redeemed"} if c.islower())


@cache
def data_words() -> str:
    """Chinese that is data, not interface: the county's places, groups and people."""
    o = org()
    names = [*o.counties.values(), *(v.name for v in o.villages)]
    names += [v.township for v in o.villages] + [s.name for s in o.stations]
    names += [r.name for r in o.rooms] + [g.name for g in o.groups]
    names += [x.name for x in o.officers] + [a.display_name for a in demo_accounts()]
    names += [f"{county}公安政务服务大厅" for county in o.counties.values()]  # service halls
    names += ["队员"]  # volunteers the seed knows by their code only: 队员G01-01
    names += ["中文", "中文（简体）"]  # the language's own name, on the language switches
    return "\n".join(names)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, own language: lang= or translate=no)
        self.nodes: list[tuple[str, bool]] = []  # (text, inside chrome)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("br", "input", "img", "meta", "link", "hr", "rect", "path"):
            return
        foreign = ("lang" in a and tag != "html") or a.get("translate") == "no"
        self.stack.append((tag, foreign))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not data.strip() or any(t in SKIP_TEXT or f for t, f in self.stack):
            return
        tags = {t for t, _ in self.stack}
        chrome = bool(tags & CHROME) or "nav" in tags
        self.nodes.append((data.strip(), chrome))


def language_problems(html: str, language: str) -> list[str]:
    """What on this page is not in its language."""
    parser = _Text()
    parser.feed(html)
    problems = []
    for text, chrome in parser.nodes:
        for code in SNAKE.findall(text):
            problems.append(f"raw value {code!r} in {text[:80]!r}")
        if text in raw_codes():
            problems.append(f"raw value {text!r}")
            continue
        if language == "zh_CN":
            # all capitals: a code (booking JLQAJWWGEQ, office HYZ) or an acronym, not a word
            words = [w for w in WORD.findall(text) if w not in ENGLISH_OK and not w.isupper()]
            if words and not SNAKE.search(text):
                problems.append(f"English {words} in {text[:80]!r}")
        elif chrome:
            chinese = [c for c in CJK.findall(text) if c not in data_words()]
            if chinese:
                problems.append(f"Chinese {chinese} in {text[:80]!r}")
    return problems


async def walk(
    client: httpx.AsyncClient, starts: list[str], language: str | None = None
) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        r = await client.get(path, follow_redirects=True)
        seen[path] = r.status_code
        # 503: a page whose backend service is not running in this harness (stubbed).
        assert r.status_code < 500 or r.status_code == 503, f"{path} -> {r.status_code}"
        if r.headers.get("content-type", "").startswith("text/html"):
            assert "{{" not in r.text and "{%" not in r.text, f"raw template syntax on {path}"
            if language is not None:
                problems = language_problems(r.text, language)
                assert not problems, f"{path} ({language}): {problems[:8]}"
            queue.extend(local_links(f"http://portal.test{path}", r.text))
    return seen


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_every_page_renders_translated_for_every_role(
    portal: PortalHarness, language: str
) -> None:
    state: Portal = portal.app.state.portal
    state.translator.seen.clear()
    starts = ["/", "/login", "/register", "/no-such-page", *(p for p, _, _ in state.nav)]
    visited: dict[str, dict[str, int]] = {}

    anon = portal.client()
    if language == "en":
        await portal.post_form(anon, "/lang", {"language": "en"})
    visited["anonymous"] = await walk(anon, starts, language)
    for role in ACCOUNTS:
        client = await portal.login(role)
        await portal.post_form(client, "/lang", {"language": language})
        visited[role] = await walk(client, starts, language)
        ok = [p for p, status in visited[role].items() if status == 200]
        assert "/" in ok and "/profile" in ok, (role, visited[role])

    assert visited["admin"]["/admin/audit"] == 200
    missing = state.translator.missing("zh_CN", sorted(state.translator.seen))
    assert not missing, f"untranslated msgids: {missing}"
    assert len(state.translator.seen) > 30


def test_language_problems_are_found_where_they_are() -> None:
    zh = '<html lang="zh-CN"><body><nav><a href="/">首页</a></nav><h1>统计</h1>'
    assert language_problems(zh + "<p>发放 120</p></body></html>", "zh_CN") == []
    assert language_problems(zh + "<td>issued</td>", "zh_CN") == ["raw value 'issued'"]
    assert language_problems(zh + "<td>阶段 follow_up</td>", "zh_CN") == [
        "raw value 'follow_up' in '阶段 follow_up'"
    ]
    assert language_problems(zh + "<h2>Open cases</h2>", "zh_CN") == [
        "English ['Open', 'cases'] in 'Open cases'"
    ]
    # codes, case numbers, e-mail addresses and the language switch are not words to translate
    fine = '<p>FQ2026-000003 off-0001 a@b.cn SMS JLQAJWWGEQ</p><button lang="en">English</button>'
    assert language_problems(zh + fine, "zh_CN") == []
    en = '<html lang="en"><body><h1>Figures</h1><table><tr><th scope="row">头营镇</th></tr>'
    assert language_problems(en + "<h2>蒋河村警务室</h2>", "en") == []
    assert language_problems(en + "<label>姓名</label>", "en") == ["Chinese ['姓名'] in '姓名'"]
    # a message written in Chinese before the reader switched to English says so itself
    assert language_problems(en + '<h2><span lang="zh-CN">案件已上报</span></h2>', "en") == []
    assert language_problems(zh + "<td>申请 no_record</td>", "zh_CN") == [
        "raw value 'no_record' in '申请 no_record'"
    ]
