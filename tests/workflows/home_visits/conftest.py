"""These tests skip days with `time_env.sleep`: a time-skipping server of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import time_skipping_env


@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    async for env in time_skipping_env():
        yield env
