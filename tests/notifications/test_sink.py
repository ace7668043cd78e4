"""The local sink records SMS, WeCom/DingTalk-style bot posts and mail, and shows them."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import anyio
import httpx

from services.notifications.sink.app import create_sink_app
from shared.config import SinkSettings
from tests.notifications.conftest import Sink


async def test_bot_formats_and_page_escapes_what_it_shows() -> None:
    app = create_sink_app(SinkSettings(), smtp=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sink") as client:
        wecom = {"msgtype": "text", "text": {"content": "案件GY-1已升级"}}
        dingtalk = {
            "msgtype": "markdown",
            "markdown": {"title": "升级", "text": "<script>x</script>"},
        }
        await client.post("/bot", json=wecom)
        await client.post("/bot", json=dingtalk)
        await client.post("/sms", json={"title": "", "message": "验证码", "to": "13800000009"})

        listed = (await client.get("/api/messages", params={"kind": "bot"})).json()
        assert [m["body"] for m in listed] == ["<script>x</script>", "案件GY-1已升级"]
        assert listed[0]["subject"] == "升级"
        page = await client.get("/")
        assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text
        assert page.text.count('class="msg"') == 3
        only_sms = await client.get("/", params={"kind": "sms"})
        assert only_sms.text.count('class="msg"') == 1 and "13800000009" in only_sms.text
        assert (await client.delete("/api/messages")).status_code == 204
        assert (await client.get("/api/messages")).json() == []


async def test_mail_through_the_smtp_server_is_recorded(sink: Sink) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@fengqiao.local", "b@example.cn", "案件提醒"
    mail.set_content("请于明日前回访。")

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", sink.smtp_port, timeout=5) as smtp:
            smtp.send_message(mail)

    await anyio.to_thread.run_sync(send)
    [got] = sink.received("email", "b@example.cn")
    assert got.subject == "案件提醒" and got.body == "请于明日前回访。"
