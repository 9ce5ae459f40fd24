"""`depositdesk policy impact FILE` and `policy load FILE` as an operator runs them, on a
SQLite file (interface.md "Command line"; POL-3, POL-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from depositdesk.entrypoints.cli import app

runner = CliRunner()
BEAUTY_1 = 'code = "beauty"\nname = "Beauty & personal care"\ndeposit = "1500.00"'
ELECTRONICS_1 = 'code = "electronics"\nname = "Electronics"\ndeposit = "2500.00"'


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _market() -> None:
    """gb shops: a (apparel, 1000 paid), b (beauty, 1500 paid), d (electronics, 2500 paid)."""
    from depositdesk.bootstrap import build
    from depositdesk.services import deposits, policies, sellers, shops
    from depositdesk.services.usecase import run
    from tests.conftest import ADMIN, INTEGRATION

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    application = build()
    now = application.now_refreshed()
    run(application, policies.ensure_default_packs, ADMIN, now)
    seller = {"id": "s1", "name": "S", "email": "s@example.com", "language": None}
    run(application, sellers.create_seller, ADMIN, now, **seller)
    paid = {
        "a": ("apparel", "1000.00"),
        "b": ("beauty", "1500.00"),
        "d": ("electronics", "2500.00"),
    }
    for shop_id, (category, amount) in paid.items():
        shop = {"seller_id": "s1", "name": shop_id, "market": "gb", "categories": [category]}
        run(application, shops.create_shop, ADMIN, now, id=shop_id, **shop)
        money = {"amount": amount, "currency": "GBP", "reference": f"BANK-{shop_id}"}
        run(
            application,
            deposits.pay_in,
            INTEGRATION,
            now,
            shop_id,
            idempotency_key=shop_id,
            **money,
        )
    application.engine.dispose()


def _rows(stdout: str) -> dict[str, list[str]]:
    """The table rows by their first cell (the tables fit 80 columns)."""
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines() if line.strip()}


def _version_2(env: Path) -> str:
    exported = runner.invoke(app, ["policy", "export", "gb"]).stdout
    text = (
        exported.replace("version = 1", "version = 2")
        .replace("effective_from = 2024-01-01", "effective_from = 2025-01-01")
        .replace(BEAUTY_1, BEAUTY_1.replace("1500.00", "2200.00"))
        .replace(ELECTRONICS_1, ELECTRONICS_1.replace("2500.00", "2000.00"))
    )
    (env / "gb2.toml").write_text(text)
    return text


def test_pol4_policy_impact_prints_the_table_per_category_and_changes_nothing(env: Path) -> None:
    _market()
    _version_2(env)
    result = runner.invoke(app, ["policy", "impact", "gb2.toml"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    # category, deposit, shops, top-ups, owed, differences, refundable
    assert rows["beauty"] == ["1500.00→2200.00", "1", "1", "700.00", "0", "0.00"]
    assert rows["electronics"] == ["2500.00→2000.00", "1", "0", "0.00", "1", "500.00"]
    assert rows["apparel"] == ["1000.00", "1", "0", "0.00", "0", "0.00"]
    assert rows["jewellery"] == ["4000.00", "0", "0", "0.00", "0", "0.00"]
    assert rows["market"] == ["gb", "3", "1", "700.00", "1", "500.00"]
    assert "replacing version 1, takes effect today" in result.stdout
    assert "nothing was stored" in result.stdout
    assert "3/3" in result.stderr  # the progress bar over the market's shops

    listed = runner.invoke(app, ["policy", "impact", "gb2.toml", "--shops"])
    assert listed.exit_code == 0
    shops = _rows(listed.stdout)
    assert shops["b"][:2] == ["beauty", "topup"] and shops["b"][-1] == "700.00"
    assert shops["d"] == ["electronics", "difference", "2500.00→2000.00", "2500.00", "500.00"]
    assert "a" not in shops  # unchanged shops are counted, not listed

    as_json = runner.invoke(app, ["policy", "impact", "gb2.toml", "--json"])
    body = json.loads(as_json.stdout)
    assert body["total"]["topup"] == {"shops": 1, "total": {"amount": "700.00", "currency": "GBP"}}
    assert [(s["shop_id"], s["outcome"]) for s in body["shops"]] == [
        ("b", "topup"),
        ("d", "difference"),
    ]

    # a preview stores nothing: version 1 is still the one in force, and can still be loaded
    assert "version = 1" in runner.invoke(app, ["policy", "export", "gb"]).stdout
    loaded = runner.invoke(app, ["policy", "load", "gb2.toml"])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded gb version 2" in loaded.stdout
    assert "reviewing" in loaded.stderr and "3/3" in loaded.stderr


def test_pol3_policy_impact_of_a_bad_file_lists_every_problem_and_exits_1(env: Path) -> None:
    _market()
    text = _version_2(env)
    (env / "syntax.toml").write_text(text.replace('pack = "gb"', 'pack = "gb'))
    syntax = runner.invoke(app, ["policy", "impact", "syntax.toml"])
    assert syntax.exit_code == 1
    assert "toml_syntax" in syntax.stderr and "1 problem(s)" in syntax.stderr

    jewellery = text.index('[[categories]]\ncode = "jewellery"')
    older = (text[:jewellery] + text[text.index("[[ladder]]") :]).replace(
        "version = 2", "version = 1"
    )
    (env / "older.toml").write_text(older)
    both = runner.invoke(app, ["policy", "impact", "older.toml"])
    assert both.exit_code == 1
    assert "2 problem(s)" in both.stderr
    assert "version_order" in both.stderr and "missing_category" in both.stderr

    (env / "latin1.toml").write_bytes('market_name = "Königreich"'.encode("latin-1"))
    latin = runner.invoke(app, ["policy", "impact", "latin1.toml"])
    assert latin.exit_code == 1 and "utf8" in latin.stderr
    missing = runner.invoke(app, ["policy", "impact", "nope.toml"])
    assert missing.exit_code == 1 and "cannot read nope.toml" in missing.stderr
    assert "version = 1" in runner.invoke(app, ["policy", "export", "gb"]).stdout
