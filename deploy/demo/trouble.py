"""The demo county's technical trouble, for the station chief to repair from the stuck board:

- a linkage whose notice cannot go out: the demo station's women's federation (头营镇妇联) has
  an outbound channel that is down (nothing listens on port 9), so the case's notice keeps
  failing until the channel is fixed on the organisation's page (/admin/partners/WF-<station>)
  and "Retry now" is pressed;
- a door-to-door visit whose desk record is missing (as after a restore from an older backup):
  its workflow runs, the desk refuses to record it, and the chief terminates it with a reason.
"""

from __future__ import annotations

from deploy.demo.stack import Stack
from shared.config import AppointmentsSettings
from shared.demo import demo_accounts, org
from shared.demo_partners import partner_code_for
from workflows.home_visits.client import start_visit
from workflows.home_visits.types import VisitInput

DOWN_CHANNEL = "http://127.0.0.1:9/fengqiao/linkage"
STUCK_KEY = "stuck-linkage"  # the plan's case linked to the organisation behind DOWN_CHANNEL
LOST_VISIT = "HDEMOLOST01"  # a visit id the desk never recorded
PARTNERS = "/internal/v1/admin/directory/partners"


def down_partner() -> str:
    code = partner_code_for("womens_federation", org().village_named("蒋河村").code)
    assert code is not None
    return code


async def break_channel(stack: Stack) -> None:
    """Point the demo station's women's federation at a channel that is down, unless its
    channel is set already (a chief who repaired it keeps the repair on a re-run)."""
    code = down_partner()
    station = org().village_named("蒋河村").station_code
    found = await stack.call(stack.disputes, "GET", PARTNERS, params={"station": station})
    if any(p["code"] == code and p["notify_url"] for p in found):
        return
    body = {
        "notify_url": DOWN_CHANNEL,
        "actor_id": "demo-seed",
        "reason": "演示：妇联的对外通道尚未接通",
    }
    await stack.call(stack.disputes, "PUT", f"{PARTNERS}/{code}/channel", json=body)


async def start_lost_visit(stack: Stack) -> None:
    """The visit's workflow, started as the desk would start it but for a visit it has no
    record of; once started (or ended by the chief), a re-run starts nothing."""
    resident = next(a for a in demo_accounts() if a.role == "resident")
    visit = VisitInput(
        visit_id=LOST_VISIT,
        resident_id=resident.user_id,
        service_code="hukou",
        village_code=org().village_named("蒋河村").code,
    )
    await start_visit(stack.temporal, visit, task_queue=AppointmentsSettings().task_queue)
