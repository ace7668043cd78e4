"""Real Chromium: the station chief repairs technically stuck cases from the board. A workflow
whose task keeps failing after a bad deploy: opens the row, must tick the confirmation, gives
a reason, terminates it; the workflow ends with that reason and the row leaves the board. A
real case whose screening step keeps failing: retried now, then terminated with a reason; the
case's timeline shows both repairs and the board no longer lists it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateStage
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from services.disputes.live import request_for
from shared.temporal import SA_KIND, SA_STATION, dispute_workflow_id
from tests.disputes.drills import breakable_worker_on
from tests.portal.browser import browser_page, log_in, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION
from tests.portal.disputes.test_browser import OFFICER, Live, live
from workflows.disputes import client as dc
from workflows.disputes.client import UPDATE_NAME
from workflows.disputes.types import ACTIONS, Actor

__all__ = ["live"]  # the live stack's fixture, used here
pytestmark = pytest.mark.browser


@workflow.defn(name="BadDeployDispute", sandboxed=False)
class BadDeployDispute:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a bug in the new deploy")


async def test_chief_terminates_a_technically_stuck_case_with_confirmation(live: Live) -> None:
    client = live.env.client
    case_id = uuid.uuid4().hex[:16]
    queue = f"tq-bad-{uuid.uuid4().hex[:8]}"
    attrs = TypedSearchAttributes(
        [SearchAttributePair(SA_KIND, "dispute"), SearchAttributePair(SA_STATION, STATION)]
    )
    chief = ACCOUNTS["station_chief"]
    async with Worker(client, task_queue=queue, workflows=[BadDeployDispute]):
        handle = await client.start_workflow(
            BadDeployDispute.run,
            id=dispute_workflow_id(case_id),
            task_queue=queue,
            search_attributes=attrs,
        )
        try:
            async with browser_page() as page:
                await log_in(page, live.base, chief.username, chief.password)
                row = page.locator(f'#technical li[data-case="{case_id}"]')
                for _ in range(60):
                    await page.goto(f"{live.base}/supervision/stuck")
                    if await row.count():
                        break
                    await asyncio.sleep(1)
                await row.locator("summary").click()
                form = row.locator('form[action$="/terminate"]')
                await form.locator("input[name=reason]").fill("错误部署导致流程无法继续")
                await form.locator("button").click()
                # the browser keeps the form until the confirmation is ticked
                assert page.url == f"{live.base}/supervision/stuck"
                await form.locator("input[name=confirm]").check()
                await screenshot(page, "disputes-stuck-board-terminate-zh-phone")
                await form.locator("button").click()
                await page.wait_for_url(f"{live.base}/supervision/stuck?done=terminate")
                assert await page.locator(f'#technical li[data-case="{case_id}"]').count() == 0
            desc = await handle.describe()
            assert desc.status == WorkflowExecutionStatus.TERMINATED
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate()


async def test_chief_retries_then_terminates_a_case_whose_step_keeps_failing(live: Live) -> None:
    client = live.env.client
    queue = f"tq-failing-{uuid.uuid4().hex[:8]}"
    chief = ACCOUNTS["station_chief"]
    me = Actor(user_id=OFFICER.user_id, role="officer", station_code=STATION)
    async with breakable_worker_on(client, live.factory, live.settings, queue) as acts:
        case_id = await live.case(OFFICER.user_id, queue=queue)
        handle = client.get_workflow_handle(dispute_workflow_id(case_id))
        try:
            accept = ACTIONS["accept"].model_validate({})
            await dc.perform(client, case_id, "accept", accept, me, f"acc-{case_id}")
            acts.broken.add("screen")  # the screening rules cannot be read from now on
            follow_up = {"done": "上门", "outcome": "worse", "risk": {"weapons": True}}
            await handle.start_update(
                UPDATE_NAME,
                request_for("follow-up", follow_up, me, f"fu-{case_id}"),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            async with browser_page() as page:
                await log_in(page, live.base, chief.username, chief.password)
                board = f"{live.base}/supervision/stuck"
                row = page.locator(f'#technical li[data-case="{case_id}"]')
                for _ in range(60):
                    await page.goto(board)
                    if await row.count():
                        break
                    await asyncio.sleep(1)
                assert "研判案件" in await row.inner_text(), "the failing step is named, in Chinese"
                tried = acts.attempts["screen"]
                await row.locator("summary").click()
                await row.locator('form[action$="/retry"] button').click()
                await page.wait_for_url(f"{board}?done=retry")
                assert await page.locator("p.fq-ok[role=status]").count() == 1
                for _ in range(50):  # the reset activity runs within moments, not the back-off
                    if acts.attempts["screen"] > tried:
                        break
                    await asyncio.sleep(0.1)
                assert acts.attempts["screen"] > tried, "retried at once, not after the back-off"

                row = page.locator(f'#technical li[data-case="{case_id}"]')
                await row.locator("summary").click()
                form = row.locator('form[action$="/terminate"]')
                await form.locator("input[name=reason]").fill("规则文件无法修复，终止后重新立案")
                await form.locator("input[name=confirm]").check()
                await form.locator("button").click()
                await page.wait_for_url(f"{board}?done=terminate")
                assert await page.locator(f'[data-case="{case_id}"]').count() == 0

                await page.goto(f"{live.base}/cases/{case_id}")
                timeline = await page.locator("#timeline").inner_text()
                assert "已立即重试失败的步骤" in timeline
                assert "督导人员已终止该流程 · 规则文件无法修复，终止后重新立案" in timeline
                await screenshot(page, "disputes-case-repaired-timeline-zh-phone")
            assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate()
