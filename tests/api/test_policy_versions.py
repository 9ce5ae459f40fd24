"""POL-1 and POL-4: new versions, what they change, what they leave alone."""

from __future__ import annotations

import pytest

from depositdesk.bootstrap import App
from depositdesk.domain.errors import PolicyProblems
from depositdesk.services import policies
from depositdesk.services.usecase import run
from tests.builders import us_version_2
from tests.conftest import ADMIN, Api


def test_pol4_raised_requirement_in_force_issues_topup_notice(app: App, api: Api) -> None:
    api.seller()
    api.shop(market="us", categories=["apparel"])
    api.pay_in("shop1", "500.00", "USD")
    run(app, policies.load_version, ADMIN, app.clock.now(), document=us_version_2(app, "800.00"))
    deposit = api.deposit("shop1")
    assert deposit["required"]["amount"] == "800.00"
    assert deposit["policy"] == {"pack": "us", "version": 2}
    [notice] = deposit["notices"]
    assert notice["kind"] == "topup" and "$300.00" in notice["subject"]
    assert notice["policy"] == {"pack": "us", "version": 2}


def test_pol4_lowered_requirement_makes_the_difference_refundable(app: App, api: Api) -> None:
    api.seller()
    api.shop(market="us", categories=["apparel"])
    api.pay_in("shop1", "500.00", "USD")
    run(app, policies.load_version, ADMIN, app.clock.now(), document=us_version_2(app, "200.00"))
    [notice] = api.deposit("shop1")["notices"]  # no top-up; the difference is offered
    assert notice["kind"] == "difference_available" and "$300.00" in notice["subject"]
    elig = api.eligibility("shop1", kind="difference", category="apparel")
    assert elig["amount"] == {"amount": "500.00", "currency": "USD"}  # all of it, if stopped


def test_pol1_future_version_is_not_in_force_yet(app: App, api: Api) -> None:
    api.seller()
    api.shop(market="us", categories=["apparel"])
    future = us_version_2(app, "800.00", "2027-01-01")
    run(app, policies.load_version, ADMIN, app.clock.now(), document=future)
    shop = api.c.get("/v1/shops/shop1", headers=api.admin).json()
    assert shop["required_deposit"]["amount"] == "500.00"
    assert shop["policy"]["version"] == 1
    versions = api.c.get("/v1/policies/us", headers=api.admin).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]


def test_pol3_refused_version_leaves_running_version_in_force(app: App, api: Api) -> None:
    bad = us_version_2(app, "-1.00").replace('currency = "USD"', 'currency = "ZZZ"')
    with pytest.raises(PolicyProblems) as info:
        run(app, policies.load_version, ADMIN, app.clock.now(), document=bad)
    assert {p.field for p in info.value.problems} >= {"currency", "categories[0].deposit"}
    assert api.c.get("/v1/policies/us", headers=api.admin).json()["version"] == 1
