"""Is any worker polling a task queue? (Temporal's DescribeTaskQueue pollers, cached cheaply.)

A killed worker shows on the stuck board under its own label ("no worker is polling the task
queue ...") rather than only as cases growing late. The server keeps a poller in the list for
minutes after it stopped, so a poller counts only if it polled within `stale`; a live worker
long-polls for up to a minute, so the default allows for that. Answers are cached per queue for
CACHE_FOR: the board may be opened often, the server asked at most twice (workflow and activity
queue) per period.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from shared.contracts.disputes_read import WorkerHealth

RPC_TIMEOUT = timedelta(seconds=5)
STALE = timedelta(seconds=90)
CACHE_FOR = timedelta(seconds=15)
NO_WORKER = "no worker is polling the task queue {queue}"


_cache: dict[tuple[str, str], tuple[float, WorkerHealth]] = {}


async def _last_poll(client: Client, queue: str, kind: TaskQueueType.ValueType) -> datetime | None:
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=kind,
        ),
        timeout=RPC_TIMEOUT,
    )
    seen = [
        p.last_access_time.ToDatetime(UTC) for p in resp.pollers if p.HasField("last_access_time")
    ]
    return max(seen) if seen else None


async def worker_health(
    client: Client, queue: str, *, stale: timedelta = STALE, cache_for: timedelta = CACHE_FOR
) -> WorkerHealth:
    key = (client.namespace, queue)
    hit = _cache.get(key)
    keep = min(cache_for, stale / 2)  # a cached answer never hides more than half of `stale`
    if hit is not None and time.monotonic() - hit[0] < keep.total_seconds():
        return hit[1]
    now = datetime.now(UTC)
    polls = [
        await _last_poll(client, queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        await _last_poll(client, queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ]
    fresh = all(p is not None and now - p <= stale for p in polls)
    known = [p for p in polls if p is not None]
    health = WorkerHealth(
        task_queue=queue,
        polled=fresh,
        last_poll=min(known) if known else None,
        why=None if fresh else NO_WORKER.format(queue=queue),
    )
    _cache[key] = (time.monotonic(), health)
    return health
