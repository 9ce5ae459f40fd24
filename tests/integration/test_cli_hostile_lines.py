"""EVT-1 for files: `depositdesk events ingest` judges each line as strictly as the API
judges a body, rejects the bad ones with their line index, and takes the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from depositdesk.entrypoints.cli import app
from tests.builders import open_shop, placed

runner = CliRunner()
AT = "2026-01-01T00:00:00Z"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    from depositdesk.bootstrap import build

    runner.invoke(app, ["db", "upgrade"])
    application = build()
    open_shop(application, application.clock.now(), ["apparel"])
    application.engine.dispose()
    return tmp_path


def _line(event_id: str, data: str) -> str:
    head = {"id": event_id, "type": "order.shipped", "shop_id": "shop1", "occurred_at": AT}
    return json.dumps(head)[:-1] + f', "data": {data}}}'


def test_evt1_hostile_lines_in_a_file_are_rejected_one_by_one(env: Path) -> None:
    lines = [
        json.dumps(placed("ok", "o1", AT)),
        _line("dup", '{"order_id": "o1", "order_id": "o2"}'),
        _line("big", '{"order_id": "o1", "n": 123456789012345678901234567890}'),
        _line("ctl", '{"order_id": "o1", "note": "\\u0000"}'),
        _line("deep", '{"order_id": "o1", "n": ' + "[" * 40 + "]" * 40 + "}"),
        _line("shipped", '{"order_id": "o1"}'),
    ]
    (env / "events.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["events", "ingest", "events.jsonl"])
    assert result.exit_code == 0, result.output
    assert "accepted 2, duplicates 0, rejected 4" in result.stdout
    rejects = [json.loads(x) for x in (env / "events.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [(r["index"], r["id"], r["field"]) for r in rejects] == [
        (1, "dup", "data"),
        (2, "big", "data.n"),
        (3, "ctl", "data.note"),
        (4, "deep", "data.n" + "[0]" * 15),
    ]
