"""The home-visit tests skip days of time on a time-skipping server of their own, so the timers
of other modules' left-over workflows never fire during their waits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.conftest import TEMPORAL_TEST_SERVER_BIN, _register_search_attributes


@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEMPORAL_TEST_SERVER_BIN,
        data_converter=pydantic_data_converter,
    )
    async with env:
        await _register_search_attributes(env)
        yield env
