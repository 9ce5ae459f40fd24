"""The `depositdesk` command line (Typer + Rich)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from depositdesk.adapters.anchors import FileAnchorStore
from depositdesk.bootstrap import App, build, migrate
from depositdesk.domain.errors import DomainError, PolicyProblems
from depositdesk.domain.money import Money
from depositdesk.domain.policy_impact import PolicyImpact, Tally
from depositdesk.entrypoints import worker
from depositdesk.entrypoints.api.schemas.events import RejectionOut
from depositdesk.entrypoints.api.schemas.policies import PolicyImpactOut
from depositdesk.services import audit_trail, policies, policy_impact, users
from depositdesk.services.access import Principal, Role
from depositdesk.services.ingestion import decode_lines, ingest
from depositdesk.services.tokens import create_token, revoke_token
from depositdesk.services.usecase import read, run

app = typer.Typer(
    help="depositdesk: security deposits and shop offboarding.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
policy_app = typer.Typer(help="Policy packs (POL).", no_args_is_help=True)
events_app = typer.Typer(help="Marketplace events (EVT).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log (AUD-1).", no_args_is_help=True)
user_app = typer.Typer(
    help="People of the marketplace who sign in to the console.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(policy_app, name="policy")
app.add_typer(events_app, name="events")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")

out = Console()
err = Console(stderr=True)
# The operator at the command line acts with platform roles (the CLI is for operators).
CLI_ADMIN = Principal.system(Role.PLATFORM_ADMIN, "command line")
CLI_INTEGRATION = Principal.system(Role.INTEGRATION, "command line")
CLI_AUDITOR = Principal.system(Role.AUDITOR, "command line")


def _app() -> App:
    return build()


def _ready() -> App:
    """An application with its schema migrated and default packs present."""
    application = _app()
    migrate(application)
    run(application, policies.ensure_default_packs, CLI_ADMIN, application.now_refreshed())
    return application


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations to DEPOSITDESK_DATABASE_URL."""
    application = _app()
    migrate(application)
    out.print(f"database at head: {application.engine.url.render_as_string(hide_password=True)}")


@token_app.command("create")
def token_create(
    role: Annotated[
        str,
        typer.Option(help="platform_admin, reviewer, auditor, integration, owner, admin or staff"),
    ],
    seller: Annotated[str | None, typer.Option(help="seller id (seller roles)")] = None,
    name: Annotated[str | None, typer.Option(help="a label for the token")] = None,
) -> None:
    """Print a new bearer token, alone on the last line."""
    application = _ready()
    try:
        issued = run(
            application,
            create_token,
            CLI_ADMIN,
            application.now_refreshed(),
            role=role,
            seller_id=seller,
            name=name,
        )
    except DomainError as exc:
        _fail(exc.detail)
        return
    principal = issued.principal
    err.print(
        f"token {principal.token_id} ({principal.role}"
        + (f", seller {principal.seller_id}" if principal.seller_id else "")
        + "):"
    )
    print(issued.token)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id: the part after dd_")],
) -> None:
    """Revoke a token; the API refuses it from the next request on (no token cache)."""
    application = _ready()
    try:
        run(application, revoke_token, CLI_ADMIN, application.now_refreshed(), token_id)
    except DomainError as exc:
        _fail(exc.detail)
        return
    out.print(f"token {token_id} revoked")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="the person's work address (taken as verified)")],
    role: Annotated[str, typer.Option(help="reviewer, platform_admin or auditor")],
) -> None:
    """Add a marketplace user who signs in to the console at / (sellers' users are added
    with POST /v1/sellers/{id}/users). The password is read from standard input — typed
    at a hidden prompt, or piped — never from the command line, where it would stay in
    the shell's history; it must pass the same strength check as every password."""
    if sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    application = _ready()
    try:
        made = run(
            application,
            users.create_platform_user,
            CLI_ADMIN,
            application.now_refreshed(),
            email=email,
            password=password,
            role=role,
        )
    except DomainError as exc:
        _fail(exc.detail)
        return
    out.print(f"user {made.id} ({made.role}) {made.email}: signs in at / (then sets up TOTP)")


def _print_problems(exc: PolicyProblems) -> None:
    table = Table("field", "rule", "problem", title=f"{len(exc.problems)} problem(s)")
    for p in exc.problems:
        table.add_row(p.field, p.rule, p.message)
    err.print(table)


@contextmanager
def _shop_bar(verb: str, name: str) -> Iterator[policies.Progress]:
    """A progress bar over the shops of a market, on stderr like `events ingest`'s;
    it yields the `(done, total)` callback. No shop reviewed (a version that takes
    effect later, an empty market, a refused file): no bar."""
    with Progress(
        TextColumn(f"[bold]{verb}[/bold] {{task.fields[name]}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("shops"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(verb, total=None, name=name)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            yield tick
        finally:
            if all(t.total is None for t in progress.tasks):
                progress.update(task, visible=False)


def _read_pack(file: Path) -> str:
    """The pack's text; a file that is not UTF-8 is a problem like any other (exit 1)."""
    try:
        return policy_impact.decode_document(file.read_bytes())
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {file}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    except PolicyProblems as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None


@policy_app.command("check")
def policy_check(file: Path) -> None:
    """Validate a pack; every problem is listed (exit 1)."""
    try:
        pack = policies.check(_read_pack(file))
    except PolicyProblems as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    out.print(
        f"ok: {pack.pack} version {pack.version}, effective {pack.effective_from}, "
        f"{len(pack.categories)} categories in {pack.currency}"
    )


@policy_app.command("load")
def policy_load(file: Path) -> None:
    """Validate and store a new pack version; a version in force today reviews every
    shop of its market at once (top-up notices, POL-4), with a progress bar."""
    application = _ready()
    document = _read_pack(file)
    try:
        with _shop_bar("reviewing", file.name) as tick:
            pack = run(
                application,
                policies.load_version,
                CLI_ADMIN,
                application.now_refreshed(),
                document=document,
                progress=tick,
            )
    except PolicyProblems as exc:
        _print_problems(exc)
        err.print("nothing was loaded; the running version stays in force")
        raise typer.Exit(1) from None
    out.print(f"loaded {pack.pack} version {pack.version} (effective {pack.effective_from})")


def _money_cell(money: Money | None) -> str:
    return "-" if money is None else money.format()


def _change(before: Money | None, after: Money | None) -> str:
    old, new = _money_cell(before), _money_cell(after)
    return new if old == new else f"{old}→{new}"


def _compact_table(title: str, *columns: str, left: int) -> Table:
    """Narrow enough for 80 columns: no side borders; figures never wrap; the first
    `left` columns are text, the rest figures."""
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )
    for n, header in enumerate(columns):
        table.add_column(header, justify="left" if n < left else "right", no_wrap=True)
    return table


def _impact_table(found: PolicyImpact) -> Table:
    """Per category (the one that sets each shop's new deposit) and for the market:
    shops, those that would owe a top-up and what the notices ask, those that would
    get a difference back and how much."""
    replaces = f"version {found.replaces.version}" if found.replaces else "nothing (a new market)"
    when = "today" if found.in_force_now else f"on {found.effective_from} (00:00 UTC)"
    table = _compact_table(
        f"{found.pack.pack} version {found.pack.version} ({found.market_name}) replacing "
        f"{replaces}, takes effect {when}; amounts in {found.currency}",
        *("category", "deposit", "shops", "top-ups", "owed", "differences", "refundable"),
        left=2,
    )

    def row(name: str, deposit: str, t: Tally, style: str | None = None) -> None:
        table.add_row(
            name,
            deposit,
            str(t.shops),
            str(t.topup_shops),
            t.topup_total.format(),
            str(t.difference_shops),
            t.difference_total.format(),
            style=style,
        )

    for c in found.categories:
        row(c.code or "(none)", _change(c.deposit_before, c.deposit_after), c.tally)
    table.add_section()
    row(f"market {found.pack.pack}", "", found.total, style="bold")
    return table


def _shops_table(found: PolicyImpact) -> Table:
    table = _compact_table(
        f"shops that would owe a top-up or get a difference back ({found.currency})",
        *("shop", "category", "outcome", "due", "required", "held", "amount"),
        left=4,
    )
    for s in found.affected:
        table.add_row(
            s.shop_id,
            s.category or "(none)",
            s.outcome.value,
            s.due_at.date().isoformat() if s.due_at else "",
            _change(s.required_before, s.required_after),
            s.held.format(),
            s.amount.format(),
        )
    return table


@policy_app.command("impact")
def policy_impact_command(
    file: Path,
    shops: Annotated[
        bool, typer.Option("--shops", help="also list each shop that would owe or get back")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the figures as POST /v1/policies/impact does")
    ] = False,
) -> None:
    """Preview a new version: shops that would owe a top-up or get a difference back,
    totals per category and for the market (POL-4). Changes nothing; a bad file exits 1
    with every problem listed."""
    application = _ready()
    document = _read_pack(file)
    try:
        with _shop_bar("previewing", file.name) as tick:
            found = read(
                application,
                policy_impact.impact,
                CLI_ADMIN,
                application.now_refreshed(),
                document=document,
                progress=tick,
            )
    except PolicyProblems as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(PolicyImpactOut.of(found).model_dump_json(indent=2) + "\n")
        return
    out.print(_impact_table(found))
    if shops and found.affected:
        out.print(_shops_table(found))
    if found.total.becomes_funded_shops:
        out.print(f"{found.total.becomes_funded_shops} under-funded shop(s) would be funded again")
    if found.left_out:
        out.print(f"{found.left_out} terminated or unlinked shop(s) left out")
    out.print("nothing was stored (preview only)")


@policy_app.command("export")
def policy_export(name: str) -> None:
    """Print the pack in force as TOML."""
    application = _ready()
    try:
        now = application.now_refreshed()
        sys.stdout.write(read(application, policies.export, CLI_ADMIN, now, name))
    except DomainError as exc:
        _fail(exc.detail)


@events_app.command("ingest")
def events_ingest(
    file: Path,
    rejects: Annotated[
        Path | None,
        typer.Option(help="where to write rejected events (default FILE.rejects.jsonl)"),
    ] = None,
) -> None:
    """Ingest a JSON-lines file of events; prints accepted / duplicate / rejected."""
    application = _ready()
    if not file.exists():
        _fail(f"{file} does not exist")
    size = file.stat().st_size
    reject_path = rejects or file.with_name(file.name + ".rejects.jsonl")
    with (
        file.open("rb") as handle,
        Progress(
            TextColumn("[bold]ingesting[/bold] {task.fields[name]}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[done]:,} events"),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("ingest", total=size, name=file.name, done=0)

        def lines() -> Any:
            for raw in handle:
                progress.update(task, advance=len(raw))
                yield raw

        counted = {"n": 0}

        def tick(n: int) -> None:
            counted["n"] += n
            progress.update(task, done=counted["n"])

        result = ingest(
            application.uow,
            CLI_INTEGRATION,
            application.now_refreshed,
            decode_lines(lines()),
            progress=tick,
        )
    if result.rejected:
        with reject_path.open("w", encoding="utf-8") as rejects_file:
            for r in result.rejected:
                rejects_file.write(RejectionOut.of(r).model_dump_json() + "\n")
    out.print(
        f"accepted {result.accepted}, duplicates {result.duplicates}, "
        f"rejected {len(result.rejected)}"
    )
    if result.rejected:
        out.print(f"rejects with reasons: {reject_path}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain and the daily anchors (AUD-1); exit 1 and the
    first bad record when it is broken."""
    application = _ready()
    try:
        report = _verify(application)
    finally:
        application.engine.dispose()
    if report.first_bad is not None:
        bad = report.first_bad
        out.print(
            f"BROKEN at record {bad.seq}: {bad.reason.value} "
            f"({report.records} records good before it)"
        )
        raise typer.Exit(1)
    out.print(
        f"ok: {report.records} records, head {report.head_seq} {report.head}, "
        f"{report.anchors} anchors checked"
    )


def _verify(application: App) -> audit_trail.ChainReport:
    anchors = FileAnchorStore(application.settings.data_dir).all()
    now = application.now_refreshed()
    total = read(application, audit_trail.count_records, CLI_AUDITOR, now)
    with Progress(
        TextColumn("[bold]verifying[/bold] the audit chain"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("verify", total=total)
        report = read(
            application,
            audit_trail.verify_chain,
            CLI_AUDITOR,
            now,
            anchors=anchors,
            progress=lambda n: progress.update(task, advance=n),
        )
    return report


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes, each with its own pool of DEPOSITDESK_DB_POOL_SIZE "
            "connections (+ DEPOSITDESK_DB_MAX_OVERFLOW)",
        ),
    ] = 1,
) -> None:
    """Serve the API and the pages. With SQLite the background worker runs here too,
    in this one process whatever --workers says; with PostgreSQL run `depositdesk
    worker` beside it (as many as you like)."""
    import uvicorn

    from depositdesk.entrypoints.api.protocol import HTTP_PROTOCOL

    application = _ready()
    settings = application.settings
    sqlite = application.engine.dialect.name == "sqlite"
    per_process = settings.db_pool_size + settings.db_max_overflow
    if not sqlite:
        _check_connections(application, workers * per_process)
    err.print(
        f"depositdesk serve: {workers} API process(es) on http://{host}:{port}, each with "
        f"{settings.db_pool_size} database connections (+{settings.db_max_overflow} overflow)"
        + ("; the background worker runs in this process" if sqlite else "")
    )
    if sqlite:
        # With --workers N uvicorn's supervisor (this process) starts N API processes
        # that build their own app (asgi.create) and run no worker: the timers, payouts
        # and outbox are swept by this one thread only.
        worker.start_in_background(application)
    application.engine.dispose()  # the API processes open their own connections
    uvicorn.run(
        "depositdesk.entrypoints.api.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HTTP_PROTOCOL,  # h11 with TCP_NODELAY on every connection (api/protocol.py)
        log_level="warning",
        # A process still importing on a busy machine is not hung: without this,
        # uvicorn kills and restarts workers that take over 5 s to start, forever.
        timeout_worker_healthcheck=60,
    )


def _check_connections(application: App, wanted: int) -> None:
    """PostgreSQL: refuse to start more API connections than the server accepts."""
    with application.engine.connect() as conn:
        limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
        reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    if wanted > limit - reserved:
        application.engine.dispose()  # closed now, not by the garbage collector later
        _fail(
            f"--workers x (DEPOSITDESK_DB_POOL_SIZE + DEPOSITDESK_DB_MAX_OVERFLOW) = {wanted} "
            f"connections, but PostgreSQL accepts {limit - reserved} (max_connections "
            f"{limit}); lower the pool or the workers, and leave room for `depositdesk worker`"
        )


@app.command("worker")
def worker_command(
    once: Annotated[bool, typer.Option(help="run one round and exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between rounds", min=0.1)] = 1.0,
) -> None:
    """The background worker alone: due timers, then the outbox (several may run
    against one PostgreSQL)."""
    application = _ready()
    if once:
        done = worker.tick(application)
        out.print(
            f"timers run {done.timers}, messages sent {done.sent}, "
            f"retrying {done.retrying}, failed {done.failed}"
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print(f"depositdesk worker: a round every {interval:g} s; Ctrl-C stops")
    try:
        worker.run(application, stop, interval)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def demo(
    port: int = 8000,
    host: str = "127.0.0.1",
    seed_only: Annotated[bool, typer.Option(help="seed, print, do not serve")] = False,
) -> None:
    """Seed a small demo marketplace into the SQLite file here and serve it."""
    from depositdesk.demo.seed import seed

    os.environ.setdefault("DEPOSITDESK_SANDBOX", "1")
    application = _ready()
    tokens = seed(application, out)
    out.print()
    out.print(
        f"[bold green]depositdesk demo[/bold green] on http://{host}:{port}  "
        f"(API docs: http://{host}:{port}/docs)"
    )
    out.print("[bold]Try the API with these tokens[/bold] (Authorization: Bearer <token>):")
    for role, who, token in tokens:
        out.print(f"  {role:<15} {who:<24} ", end="")
        print(token, flush=True)  # plain, never wrapped or cut, for copy and paste
    sample = next((t for r, _, t in tokens if r == "owner"), tokens[0][2])
    out.print(f"e.g. curl -H 'Authorization: Bearer {sample}' http://{host}:{port}/v1/shops")
    if application.settings.sandbox:  # the pages' one-click sign-in works in sandbox only
        from depositdesk.demo.seed import DEMO_PASSWORD, USERS
        from depositdesk.entrypoints.web.auth import sandbox_link

        out.print(f"[bold]Open the pages[/bold] (one click signs in; password {DEMO_PASSWORD}):")
        for _seller, role, email in USERS:
            out.print(f"  {role:<15} {email:<30} ", end="")
            print(sandbox_link(application, email, f"http://{host}:{port}"), flush=True)
    if not seed_only:
        serve(host=host, port=port, workers=1)


def main() -> None:  # pragma: no cover
    app()
