"""Sample people and events for the notifications tests."""

from __future__ import annotations

from shared.messaging.contracts.disputes import DisputeReported
from shared.messaging.contracts.users import UserUpserted

RESIDENT = UserUpserted(
    user_id="res-1",
    role="resident",
    display_name="王秀兰",
    phone="13800000001",
    email="res1@example.cn",
    language="zh-CN",
    village_code="V1",
)
RESIDENT_EN = UserUpserted(
    user_id="res-2",
    role="resident",
    display_name="Ma Lin",
    phone="13800000002",
    language="en",
    village_code="V1",
)
OFFICER = UserUpserted(
    user_id="off-1",
    role="officer",
    display_name="李警官",
    phone="13800000003",
    email="off1@police.example.cn",
    station_code="S1",
)
CHIEF = UserUpserted(
    user_id="chief-S1",
    role="station_chief",
    display_name="张所长",
    phone="13800000004",
    email="chief@police.example.cn",
    station_code="S1",
)
OTHER_CHIEF = UserUpserted(
    user_id="chief-S2",
    role="station_chief",
    display_name="赵所长",
    phone="13800000005",
    email="chief2@police.example.cn",
    station_code="S2",
)
LEADER = UserUpserted(
    user_id="leader-G1",
    role="group_leader",
    display_name="马队长",
    phone="13800000006",
    village_code="V1",
)
# the county bureau's administrator: the duty desk of cases no officer accepted
ADMIN = UserUpserted(
    user_id="admin-county",
    role="admin",
    display_name="县局值班员",
    phone="13800000007",
    station_code=None,
)
EVERYONE = (RESIDENT, RESIDENT_EN, OFFICER, CHIEF, OTHER_CHIEF, LEADER)

# Free text an officer might type: names the other party, with phone and ID number.
OTHER_PARTY = "李四"
OTHER_PHONE = "13912345678"
OTHER_ID = "642221199001011234"
SUMMARY = f"{OTHER_PARTY}（{OTHER_PHONE}，身份证{OTHER_ID}）与邻居因宅基地发生争执"


def reported(colour: str, case_no: str = "GY-2026-0001", **extra: object) -> DisputeReported:
    values: dict[str, object] = {
        "case_id": f"case-{case_no}",
        "case_no": case_no,
        "colour": colour,
        "stage": "reported",
        "village_code": "V1",
        "station_code": "S1",
        "resident_ids": [RESIDENT.user_id, RESIDENT_EN.user_id],
        "summary": SUMMARY,
    }
    values.update(extra)
    return DisputeReported.model_validate(values)
