"""The command line as an operator uses it (interface.md "Command line")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from depositdesk.adapters.db.engine import make_engine
from depositdesk.entrypoints.cli import app
from tests.conftest import PG_URL

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_db_upgrade_and_token_create_prints_token_on_last_line(env: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["token", "create", "--role", "platform_admin"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("dd_")


def test_token_create_refuses_unknown_role_and_seller_role_without_seller(env: Path) -> None:
    bad = runner.invoke(app, ["token", "create", "--role", "superuser"])
    assert bad.exit_code == 1
    assert "role must be one of" in bad.stderr
    assert runner.invoke(app, ["token", "create", "--role", "owner"]).exit_code == 1


def test_pol3_policy_check_lists_every_problem_and_exits_1(env: Path) -> None:
    exported = runner.invoke(app, ["policy", "export", "gb"])
    assert exported.exit_code == 0
    assert 'currency = "GBP"' in exported.stdout
    broken = exported.stdout.replace('currency = "GBP"', 'currency = "ZZZ"').replace(
        'deposit = "1000.00"', 'deposit = "-1.00"', 1
    )
    (env / "broken.toml").write_text(broken)
    result = runner.invoke(app, ["policy", "check", "broken.toml"], terminal_width=200)
    assert result.exit_code == 1
    assert "currency" in result.stderr and "non_negative" in result.stderr


def test_pol1_policy_load_new_version_then_export_shows_it(env: Path) -> None:
    exported = runner.invoke(app, ["policy", "export", "us"]).stdout
    v2 = exported.replace("version = 1", "version = 2").replace(
        "effective_from = 2024-01-01", "effective_from = 2025-01-01"
    )
    (env / "us2.toml").write_text(v2)
    assert runner.invoke(app, ["policy", "check", "us2.toml"]).exit_code == 0
    loaded = runner.invoke(app, ["policy", "load", "us2.toml"])
    assert loaded.exit_code == 0, loaded.output
    assert "version = 2" in runner.invoke(app, ["policy", "export", "us"]).stdout
    # loading the same version again is refused; the running version stays
    again = runner.invoke(app, ["policy", "load", "us2.toml"], terminal_width=200)
    assert again.exit_code == 1
    assert "version_order" in again.stderr


def test_evt1_events_ingest_counts_and_writes_rejects(env: Path) -> None:
    from depositdesk.bootstrap import build
    from tests.builders import open_shop, placed

    runner.invoke(app, ["db", "upgrade"])
    application = build()
    open_shop(application, application.clock.now(), ["apparel"])
    application.engine.dispose()
    order = placed("e1", "o1", "2026-01-01T00:00:00Z")
    lines = [
        order,
        order,
        {
            "id": "e2",
            "type": "order.exploded",
            "shop_id": "shop1",
            "occurred_at": "2026-01-01T00:00:00Z",
            "data": {},
        },
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    (env / "events.jsonl").write_text(text)
    result = runner.invoke(app, ["events", "ingest", "events.jsonl"])
    assert result.exit_code == 0, result.output
    assert "accepted 1, duplicates 1, rejected 2" in result.stdout
    rejects = [json.loads(x) for x in (env / "events.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [(r["index"], r["reason"]) for r in rejects] == [(2, "unknown_type"), (3, "bad_value")]


def test_worker_once_runs_one_round_and_says_what_it_did(env: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "timers run 0, messages sent 0, retrying 0, failed 0" in result.stdout


@pytest.mark.parametrize("code", ["XXX", "XAU", "XTS"])
def test_pol3_policy_check_refuses_a_pack_in_a_code_that_is_not_money(env: Path, code: str) -> None:
    """ISO 4217 has codes for no currency, testing and gold: no deposit is held in
    them (issue 9). Check and load both refuse the pack, naming the field."""
    exported = runner.invoke(app, ["policy", "export", "gb"]).stdout
    (env / "metal.toml").write_text(
        exported.replace('currency = "GBP"', f'currency = "{code}"').replace(
            "version = 1", "version = 2"
        )
    )
    for command in ("check", "load"):
        result = runner.invoke(app, ["policy", command, "metal.toml"], terminal_width=200)
        assert result.exit_code == 1, result.output
        assert "currency" in result.stderr and f"{code} is an ISO 4217 code for" in result.stderr
    assert 'currency = "GBP"' in runner.invoke(app, ["policy", "export", "gb"]).stdout


def _serve_calls(monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict[str, object]], list[int]]:
    """uvicorn.run and the in-process worker replaced by recorders."""
    import uvicorn

    from depositdesk.entrypoints import worker

    served: list[dict[str, object]] = []
    workers_started: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(kwargs))
    monkeypatch.setattr(worker, "start_in_background", lambda app: workers_started.append(1))
    return served, workers_started


def test_serve_with_workers_on_sqlite_runs_the_background_worker_once(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, workers_started = _serve_calls(monkeypatch)
    result = runner.invoke(app, ["serve", "--workers", "3", "--port", "8123"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert workers_started == [1]  # in the supervising process, not in each of the 3
    [options] = served
    assert options["workers"] == 3 and options["factory"] is True
    said = " ".join(result.stderr.split())
    assert "3 API process(es)" in said and "each with 10 database connections" in said


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A schema of its own in the test PostgreSQL, as a URL the CLI can take."""
    schema = f"dd_test_cli_{uuid.uuid4().hex[:10]}"
    try:
        admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_serve_refuses_more_connections_than_postgres_accepts(
    env: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", pg_url)
    served, workers_started = _serve_calls(monkeypatch)
    monkeypatch.setenv("DEPOSITDESK_DB_POOL_SIZE", "150")
    refused = runner.invoke(app, ["serve", "--workers", "2"], terminal_width=200)
    assert refused.exit_code == 1
    assert "connections, but PostgreSQL accepts" in " ".join(refused.stderr.split())
    assert served == []
    monkeypatch.setenv("DEPOSITDESK_DB_POOL_SIZE", "5")
    monkeypatch.setenv("DEPOSITDESK_DB_MAX_OVERFLOW", "1")
    assert runner.invoke(app, ["serve", "--workers", "2"]).exit_code == 0
    # With PostgreSQL `depositdesk worker` runs beside the API, not inside it.
    assert [o["workers"] for o in served] == [2] and workers_started == []


def test_user_create_adds_a_console_user_who_signs_in(env: Path) -> None:
    """Issue 12 / UNL-1: the marketplace's reviewers sign in to the console; an operator
    adds them with `depositdesk user create`, the password read from standard input."""
    from fastapi.testclient import TestClient

    from depositdesk.bootstrap import build
    from depositdesk.entrypoints.api.app import create_app
    from depositdesk.settings import Settings

    password = "copper kettle under a quiet harbour"
    cmd = ["user", "create", "--email", "Rita@Market.example", "--role", "reviewer"]
    made = runner.invoke(app, cmd, input=password + "\n")
    assert made.exit_code == 0, made.output
    assert "reviewer" in made.stdout and "rita@market.example" in made.stdout
    again = runner.invoke(app, cmd, input=password + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
    weak = runner.invoke(
        app, ["user", "create", "--email", "w@market.example", "--role", "auditor"], input="x\n"
    )
    assert weak.exit_code == 1 and "12 to 128 characters" in weak.output
    seller_role = runner.invoke(
        app, ["user", "create", "--email", "o@market.example", "--role", "owner"], input=password
    )
    assert seller_role.exit_code == 1 and "role must be one of" in seller_role.output
    application = build(Settings(database_url=f"sqlite:///{env / 'cli.db'}"))
    with TestClient(create_app(application)) as client:
        signed = client.post(
            "/v1/auth/login", json={"email": "rita@market.example", "password": password}
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["role"] == "reviewer" and signed.json()["seller_id"] is None
        queue = client.get(
            "/v1/review-queue", headers={"Authorization": f"Bearer {signed.json()['token']}"}
        )
        assert queue.status_code == 200
