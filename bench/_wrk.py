"""wrk driver for the booking benchmark: a Lua script that POSTs a fresh resident per request.

wrk counts only non-2xx responses, so the script tallies 2xx / 409 / other per thread and
prints one `WRKJSON {...}` line (latency percentiles in microseconds) from `done()`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = r"""
local slots = {%(slots)s}
local hot = "%(hot)s"
local hot_every = %(hot_every)d
local prefix = "%(prefix)s"
local service = "%(service)s"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  n = 0
  ok = 0
  full = 0
  other = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Fengqiao-Internal"] = "%(token)s"
end

function request()
  n = n + 1
  local slot = slots[(n %% #slots) + 1]
  if hot_every > 0 and n %% hot_every == 0 then slot = hot end
  local body = string.format(
    '{"resident_id":"%%s-%%d-%%d","service_code":"%%s","slot_id":"%%s"}',
    prefix, tid, n, service, slot)
  return wrk.format(nil, "%(path)s", nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 409 then full = full + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("ok"); b = b + t:get("full"); c = c + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"ok":%%d,"full":%%d,"other":%%d,' ..
    '"socket_errors":%%d,"p50":%%d,"p95":%%d,"p99":%%d,"max":%%d,"mean":%%f}\n',
    summary.requests, summary.duration, a, b, c,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    ok: int
    full: int
    other: int
    socket_errors: int
    latency_ms: dict[str, float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "requests_per_s": round(self.rps, 1),
            "status_2xx": self.ok,
            "status_409_full": self.full,
            "status_other": self.other,
            "socket_errors": self.socket_errors,
            "latency_ms": self.latency_ms,
        }


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    return found


def write_script(
    target: Path,
    *,
    path: str,
    slots: Sequence[str],
    hot: str,
    hot_every: int,
    prefix: str,
    service: str,
    token: str,
) -> Path:
    target.write_text(
        LUA
        % {
            "slots": ",".join(json.dumps(s) for s in slots),
            "hot": hot,
            "hot_every": hot_every,
            "prefix": prefix,
            "service": service,
            "token": token,
            "path": path,
        }
    )
    return target


def run_wrk(
    url: str, script: Path, *, seconds: float, connections: int, threads: int = 1
) -> WrkResult:
    args = [
        wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    d = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=int(d["requests"]),
        seconds=d["duration_us"] / 1e6,
        ok=int(d["ok"]),
        full=int(d["full"]),
        other=int(d["other"]),
        socket_errors=int(d["socket_errors"]),
        latency_ms={k: round(float(d[k]) / 1000, 2) for k in ("p50", "p95", "p99", "max", "mean")},
    )
