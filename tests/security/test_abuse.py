"""Issue 14, abuse: a resident's reports are limited per day and to their own village; the
number of parties and the sizes of texts are checked before anything reaches Temporal."""

from __future__ import annotations

from shared.demo import org
from tests.portal.conftest import PortalHarness, portal, portal_factory
from tests.portal.disputes.conftest import OTHER_STATION, Stack, intake_body, stack

__all__ = ["portal", "portal_factory", "stack"]  # fixtures used here

OTHER_VILLAGE = next(v.code for v in org().villages if v.station_code == OTHER_STATION)


def report(**extra: object) -> dict[str, object]:
    body = intake_body()
    body.update(parties=[{"name": "王志强", "phone": "13987654321", "role": "respondent"}])
    body.update(extra)
    return body


async def test_reports_per_resident_and_day_are_limited(stack: Stack) -> None:
    """Found: residents could file unlimited reports, each sending several SMS."""
    stack.portal.settings.reports_per_day = 2
    resident = await stack.api("resident")
    for n in range(2):
        r = await resident.post(
            "/api/v1/disputes", json=report(), headers={"Idempotency-Key": f"k{n}"}
        )
        assert r.status_code == 201, r.text
    # a retry of a report already counted is no new report
    again = await resident.post(
        "/api/v1/disputes", json=report(), headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 201
    r = await resident.post("/api/v1/disputes", json=report())
    assert r.status_code == 422
    assert r.json()["detail"][0]["reason"].startswith("at most 2 reports a day")
    officer = await stack.api("officer")  # staff are not limited; 20 parties are fine
    body = intake_body()
    body["parties"] = [{"name": f"村民{n}", "phone": "", "role": "other"} for n in range(20)]
    assert (await officer.post("/api/v1/disputes", json=body)).status_code == 201


async def test_residents_report_only_in_their_own_village(portal: PortalHarness) -> None:
    """Found: residents could report in any village of the county."""
    resident = await portal.api("resident")
    r = await resident.post("/api/v1/disputes", json=report(village_code=OTHER_VILLAGE))
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "village_code"


async def test_at_most_twenty_parties(portal: PortalHarness) -> None:
    """Found: 5,000 parties were accepted; 12,000 gave a 503 (Temporal's blob limit). Refused
    before the disputes service is asked (here it is not even running)."""
    officer = await portal.api("officer")
    party = {"name": "村民", "phone": "", "role": "other"}
    body = intake_body()
    body["parties"] = [party] * 21
    r = await officer.post("/api/v1/disputes", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parties"
    body["parties"] = [party] * 5000
    assert (await officer.post("/api/v1/disputes", json=body)).status_code == 422


async def test_texts_names_and_phones_are_checked_before_temporal(portal: PortalHarness) -> None:
    officer = await portal.api("officer")
    long = intake_body()
    long["description"] = "长" * 4001
    r = await officer.post("/api/v1/disputes", json=long)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "description"
    bidi = intake_body()
    bidi["parties"][1]["name"] = "\u202e强志王"
    r = await officer.post("/api/v1/disputes", json=bidi)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parties.1.name"
    wide = intake_body()
    wide["parties"][1]["phone"] = "１３９８７６５４３２１"
    r = await officer.post("/api/v1/disputes", json=wide)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parties.1.phone"
