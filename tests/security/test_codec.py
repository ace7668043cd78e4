"""Workflow payloads are encrypted: the raw history on the real Temporal server holds no phone
or ID number, keys rotate, old (unencrypted) payloads still decode, and the portal's codec
endpoint shows clear text to station chiefs and administrators only."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from cryptography.exceptions import InvalidTag
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shared.codec import ENCODING, KEY_ID, CodecError, EncryptionCodec, new_key_spec, parse_keys
from shared.temporal import dispute_workflow_id
from tests.portal.conftest import PortalFactory, portal_factory  # noqa: F401
from tests.workflows.disputes.conftest import Harness, intake, make_dispute_db, officer
from workflows.disputes.config import load_lifecycle
from workflows.disputes.types import Party
from workflows.disputes.worker import build_worker

PHONE = "13912345678"
ID_NUMBER = "640402198001011234"
NOTE_PHONE = "13987654321"
UI_ORIGIN = "http://temporal-ui.test:8233"


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_rotation_old_keys_decrypt_the_newest_encrypts() -> None:
    old_spec, new_spec = new_key_spec("2026a"), new_key_spec("2026b")
    before = EncryptionCodec(parse_keys(old_spec))
    after = EncryptionCodec(parse_keys(f"{new_spec},{old_spec}"))
    [sealed_old] = await before.encode([plain(PHONE)])
    [sealed_new] = await after.encode([plain(PHONE)])
    assert sealed_old.metadata[KEY_ID] == b"2026a"
    assert sealed_new.metadata[KEY_ID] == b"2026b"
    assert sealed_new.metadata["encoding"] == ENCODING
    assert PHONE.encode() not in sealed_new.SerializeToString()
    assert await after.decode([sealed_old, sealed_new]) == [plain(PHONE), plain(PHONE)]
    with pytest.raises(CodecError, match="unknown key '2026b'"):
        await before.decode([sealed_new])


async def test_unencrypted_payloads_of_old_histories_decode_unchanged() -> None:
    codec = EncryptionCodec(parse_keys(new_key_spec("k1")))
    assert await codec.decode([plain("旧的")]) == [plain("旧的")]


async def test_a_relabelled_ciphertext_is_refused() -> None:
    k1, k2 = new_key_spec("k1"), new_key_spec("k2")
    codec = EncryptionCodec(parse_keys(f"{k1},{k2}"))
    [sealed] = await codec.encode([plain(PHONE)])
    sealed.metadata[KEY_ID] = b"k2"
    with pytest.raises(InvalidTag):
        await codec.decode([sealed])


def test_bad_key_specs_say_what_is_wrong() -> None:
    with pytest.raises(CodecError, match="AES-256 needs 32"):
        parse_keys("k:" + base64.b64encode(b"short").decode())
    with pytest.raises(CodecError, match="expected id:base64"):
        parse_keys("nokey")
    with pytest.raises(CodecError, match="no Temporal payload key"):
        parse_keys(" , ")


@pytest.fixture
async def live(
    temporal_env: WorkflowEnvironment, task_queue: str, sqlite_url: Callable[[str], str]
) -> AsyncIterator[Harness]:
    factory = await make_dispute_db(sqlite_url("disputes"))
    config = load_lifecycle()
    worker = build_worker(temporal_env.client, factory, task_queue=task_queue, config=config)
    h = Harness(temporal_env.client, None, factory, task_queue)
    async with worker:
        yield h
        await h.terminate_all()


async def _case_with_personal_data(h: Harness) -> str:
    i = intake()
    parties = [
        Party(name="马建国", phone=PHONE, id_number=ID_NUMBER, role="complainant"),
        *i.parties[1:],
    ]
    case_id = await h.start(i.model_copy(update={"parties": parties}))
    v = await h.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    await h.act(case_id, "accept", me)
    await h.act(case_id, "follow-up", me, done=f"双方同意，电话 {NOTE_PHONE}", outcome="settled")
    return case_id


async def _raw_history(client: Client, case_id: str) -> bytes:
    request = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=dispute_workflow_id(case_id)),
    )
    response = await client.workflow_service.get_workflow_execution_history(request)
    return response.history.SerializeToString()


async def test_raw_history_on_the_server_holds_no_phone_or_id_number(live: Harness) -> None:
    case_id = await _case_with_personal_data(live)
    raw = await _raw_history(live.client, case_id)
    assert len(raw) > 1000  # start, activities, updates: the history is there
    for secret in (PHONE, ID_NUMBER, NOTE_PHONE, "马建国"):
        assert secret.encode() not in raw, f"{secret} in the raw history"
    # the same history decoded with the project's codec has them
    history = await live.client.get_workflow_handle(dispute_workflow_id(case_id)).fetch_history()
    start = history.events[0].workflow_execution_started_event_attributes.input.payloads
    codec = live.client.data_converter.payload_codec
    assert codec is not None
    [decoded] = await codec.decode(start)
    assert PHONE.encode() in decoded.data and ID_NUMBER.encode() in decoded.data


async def test_without_the_key_nothing_is_readable(live: Harness) -> None:
    case_id = await _case_with_personal_data(live)
    stranger = dataclasses.replace(
        live.client.data_converter,
        payload_codec=EncryptionCodec(parse_keys(new_key_spec("dev-2026"))),
    )
    history = await live.client.get_workflow_handle(dispute_workflow_id(case_id)).fetch_history()
    start = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert stranger.payload_codec is not None
    with pytest.raises(InvalidTag):
        await stranger.payload_codec.decode(start)


def _wire(payloads: list[Payload]) -> dict[str, object]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


async def test_codec_endpoint_decodes_for_chiefs_and_admins_only(
    portal_factory: PortalFactory,  # noqa: F811
) -> None:
    async with portal_factory(temporal_ui_origin=UI_ORIGIN) as portal:
        codec = EncryptionCodec(parse_keys(portal.settings.temporal_keys))
        body = _wire(await codec.encode([plain(PHONE)]))
        headers = {"Origin": UI_ORIGIN, "X-Namespace": "default"}

        anonymous = await portal.client().post("/codec/decode", json=body, headers=headers)
        assert anonymous.status_code == 401
        assert anonymous.headers["access-control-allow-origin"] == UI_ORIGIN
        officer_client = await portal.login("officer")
        refused = await officer_client.post("/codec/decode", json=body, headers=headers)
        assert refused.status_code == 403
        assert PHONE not in refused.text

        for who in ("station_chief", "admin"):
            c = await portal.login(who)
            r = await c.post("/codec/decode", json=body, headers=headers)
            assert r.status_code == 200, r.text
            assert r.headers["access-control-allow-credentials"] == "true"
            [payload] = json_format.ParseDict(r.json(), Payloads()).payloads
            assert payload == plain(PHONE)
            r = await c.post("/codec/encode", json=_wire([plain(PHONE)]), headers=headers)
            [sealed] = json_format.ParseDict(r.json(), Payloads()).payloads
            assert sealed.metadata["encoding"] == ENCODING
            assert await codec.decode([sealed]) == [plain(PHONE)]

        audit = await (await portal.api("admin")).get("/api/v1/audit?action=temporal.decode")
        assert len(audit.json()) == 2


async def test_codec_cors_admits_the_temporal_ui_origin_only(
    portal_factory: PortalFactory,  # noqa: F811
) -> None:
    async with portal_factory(temporal_ui_origin=UI_ORIGIN) as portal:
        preflight = {
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        }
        r = await portal.client().options("/codec/decode", headers=preflight)
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == UI_ORIGIN
        assert "x-namespace" in r.headers["access-control-allow-headers"]
        evil = {**preflight, "Origin": f"http://evil-{uuid.uuid4().hex[:6]}.test"}
        r = await portal.client().options("/codec/decode", headers=evil)
        assert "access-control-allow-origin" not in r.headers
        chief = await portal.login("station_chief")
        r = await chief.post(
            "/codec/decode", json={"payloads": []}, headers={"Origin": evil["Origin"]}
        )
        assert "access-control-allow-origin" not in r.headers
