"""Real Chromium: the station chief repairs a technically stuck case from the board (a workflow
whose task keeps failing after a bad deploy): opens the row, must tick the confirmation, gives
a reason, terminates it; the workflow ends with that reason and the row leaves the board."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from shared.temporal import SA_KIND, SA_STATION, dispute_workflow_id
from tests.portal.browser import browser_page, log_in, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION
from tests.portal.disputes.test_browser import Live, live

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
