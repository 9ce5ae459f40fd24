"""interface.md: moving the sandbox clock returns once every timer due by the new
time has run (here: a policy version taking effect, POL-4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from depositdesk.services import policies
from depositdesk.services.usecase import run
from tests.builders import us_version_2
from tests.conftest import ADMIN


def test_pol4_moving_the_clock_past_a_versions_date_gives_its_notices(sandbox) -> None:
    c, admin, _ = sandbox
    app = c.app.state.depositdesk
    now = datetime.fromisoformat(c.get("/v1/sandbox/clock", headers=admin).json()["now"])
    c.post("/v1/sellers", headers=admin, json={"id": "s1", "name": "S", "email": "s@ex.com"})
    shop = {
        "id": "shop1",
        "seller_id": "s1",
        "name": "S",
        "market": "us",
        "categories": ["apparel"],
    }
    c.post("/v1/shops", headers=admin, json=shop)
    payin = {"amount": {"amount": "500.00", "currency": "USD"}, "reference": "R"}
    c.post("/v1/shops/shop1/deposit/payins", headers={**admin, "Idempotency-Key": "k"}, json=payin)
    effective = (now + timedelta(days=10)).date().isoformat()
    text = us_version_2(app, "800.00", effective)
    run(app, policies.load_version, ADMIN, app.now_refreshed(), document=text)
    assert c.get("/v1/shops/shop1/deposit", headers=admin).json()["notices"] == []

    assert c.post("/v1/sandbox/clock", headers=admin, json={"advance": "P11D"}).status_code == 200
    deposit = c.get("/v1/shops/shop1/deposit", headers=admin).json()
    [notice] = deposit["notices"]
    assert "$300.00" in notice["subject"]
    assert notice["policy"] == {"pack": "us", "version": 2}
