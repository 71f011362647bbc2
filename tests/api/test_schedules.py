"""Schedules through the API: the nightly default, replacing it, clear errors."""

from __future__ import annotations

import pytest

from tests.api.conftest import Harbor

URL = "/admin/tenants/north/connections/sis/schedule"


def test_default_then_put(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    r = harbor.client.get(URL, headers=ops)
    assert r.status_code == 200
    assert r.json() == {"cron": "0 2 * * *", "timezone": "America/Chicago", "enabled": True,
                        "pause_from": None, "pause_until": None, "updated_at": None,
                        "default": True}
    rule = {"cron": "30 3 * * 1-5", "timezone": "America/New_York", "enabled": True,
            "pause_from": "2026-06-15", "pause_until": "2026-08-20"}
    r = harbor.client.put(URL, json=rule, headers=ops)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in rule} == rule and r.json()["default"] is False
    assert harbor.schedule_changes == ["reload"]
    assert harbor.client.get(URL, headers=ops).json() == r.json()

    r = harbor.client.put(URL, json={"enabled": False}, headers=ops)
    assert r.json()["cron"] == "0 2 * * *" and r.json()["timezone"] == "America/Chicago"
    assert r.json()["enabled"] is False and r.json()["pause_from"] is None
    assert harbor.schedule_changes == ["reload", "reload"]


@pytest.mark.parametrize(("rule", "says"), [
    ({"cron": "0 2 * *"}, "must have 5 fields"),
    ({"cron": "61 2 * * *"}, "cron '61 2 * * *' is not valid"),
    ({"cron": "0 2 * * *", "timezone": "Chicago"}, "not an IANA zone name"),
    ({"pause_from": "2026-06-15"}, "needs both pause_from and pause_until"),
    ({"pause_from": "2026-08-20", "pause_until": "2026-06-15"}, "is before pause_from"),
    ({"pause_from": "15/06/2026", "pause_until": "2026-08-20"}, "write YYYY-MM-DD"),
])
def test_bad_rules_are_refused_clearly(harbor: Harbor, rule: dict[str, str],
                                       says: str) -> None:
    r = harbor.client.put(URL, json=rule, headers=harbor.as_(harbor.north))
    assert r.status_code == 422
    assert says in r.json()["detail"]
    assert harbor.schedule_changes == []
    assert harbor.client.get(URL, headers=harbor.as_(harbor.north)).json()["default"] is True


def test_unknown_fields_are_refused(harbor: Harbor) -> None:
    r = harbor.client.put(URL, json={"crontab": "0 2 * * *"},
                          headers=harbor.as_(harbor.north))
    assert r.status_code == 422 and "crontab" in r.json()["detail"]
