"""REF-6 payout gateways on real storage: the sandbox bank on SQLite and PostgreSQL
(table `sandbox_payouts`), the bank file on disk (pain.001 for EUR validated against
the XSD shipped with sepaxml, a CSV for other currencies). No mocks."""

from __future__ import annotations

import csv
import io
import json
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from depositdesk.adapters.gateways import build_gateways
from depositdesk.adapters.payouts import (
    CSV_COLUMNS,
    BankFilePayoutGateway,
    SandboxPayoutGateway,
    StubPayoutGateway,
    end_to_end_id,
    pain001_schema,
)
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.gateway_messages import (
    PayoutGatewayError,
    PayoutInstruction,
    PayoutKeyReused,
)
from depositdesk.domain.money import Money
from depositdesk.settings import Settings

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # a Friday
DEBTOR = "iban:DE89370400440532013000;bic:COBADEFFXXX;name:Depositdesk Marketplace GmbH"
FR_ROUTE = "iban:FR1420041010050500013M02606;name:Boutique Lumière SARL"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def gbp_to_cny(
    key: str = "payout-r1", route: str = "account:6222021234567890123"
) -> PayoutInstruction:
    return PayoutInstruction(
        key, "shop1", Money("GBP", 400_000), route, "Deposit refund R1", Money("CNY", 3_649_360)
    )


# --- the sandbox bank ------------------------------------------------------------


@pytest.fixture
def sandbox(engine: Engine) -> SandboxPayoutGateway:
    return SandboxPayoutGateway(engine, FixedClock(NOW))


def test_ref6_sandbox_same_key_twice_pays_once_and_answers_the_first_receipt(
    sandbox: SandboxPayoutGateway, engine: Engine
) -> None:
    first = sandbox.send(gbp_to_cny())
    # Another process (a restarted worker) with its own gateway over the same database:
    again = SandboxPayoutGateway(engine, FixedClock(NOW + timedelta(hours=1))).send(gbp_to_cny())

    assert again == first
    assert sandbox.calls("payout-r1") == 1
    assert sandbox.attempts("payout-r1") == 2
    assert first.accepted_at == NOW
    assert (first.settles_at, first.settles_as) == (NOW + timedelta(days=1), "paid")
    [payment] = sandbox.payments("shop1")
    assert payment.instruction == gbp_to_cny() and payment.receipt == first
    assert sandbox.calls("never-sent") == 0 and sandbox.attempts("never-sent") == 0


def test_ref6_sandbox_other_instruction_under_the_same_key_is_refused(
    sandbox: SandboxPayoutGateway,
) -> None:
    sandbox.send(gbp_to_cny())
    changed = PayoutInstruction(
        "payout-r1", "shop1", Money("GBP", 400_000), "account:1", "Deposit refund R1"
    )

    with pytest.raises(PayoutKeyReused):
        sandbox.send(changed)

    assert sandbox.calls("payout-r1") == 1
    [payment] = sandbox.payments()
    assert payment.instruction == gbp_to_cny()


def test_ref6_sandbox_route_marked_fail_settles_failed(sandbox: SandboxPayoutGateway) -> None:
    receipt = sandbox.send(gbp_to_cny("payout-f", route="account:123;name:FAIL Ltd"))

    assert receipt.settles_as == "failed"
    assert receipt.failure_reason == "sandbox bank: the route is marked FAIL"
    assert sandbox.calls("payout-f") == 1


def test_ref6_sandbox_fail_switches(engine: Engine) -> None:
    down = SandboxPayoutGateway(engine, FixedClock(NOW), fail="send")
    with pytest.raises(PayoutGatewayError, match="nothing was recorded"):
        down.send(gbp_to_cny("payout-d"))
    assert down.calls("payout-d") == 0

    down.fail = "none"  # the bank is back: the same key goes through
    assert down.send(gbp_to_cny("payout-d")).settles_as == "paid"
    down.fail = "send"  # a key already taken is answered, whatever the switch says
    assert down.send(gbp_to_cny("payout-d")).settles_as == "paid"

    bouncing = SandboxPayoutGateway(engine, FixedClock(NOW), fail="settle")
    assert bouncing.send(gbp_to_cny("payout-b")).settles_as == "failed"
    with pytest.raises(PayoutGatewayError):
        bouncing.send(gbp_to_cny("payout-s", route="account:1;name:FAIL-SEND"))


def test_ref6_sandbox_parallel_sends_of_one_key_pay_once(engine: Engine) -> None:
    gateways = [SandboxPayoutGateway(engine, FixedClock(NOW)) for _ in range(8)]
    receipts: list[object] = []
    errors: list[BaseException] = []

    def send(gateway: SandboxPayoutGateway) -> None:
        try:
            receipts.append(gateway.send(gbp_to_cny()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(receipts) == 8 and len(set(map(repr, receipts))) == 1
    assert gateways[0].calls("payout-r1") == 1
    assert gateways[0].attempts("payout-r1") == 8


def test_ref6_gateways_refuse_a_payout_of_nothing(sandbox: SandboxPayoutGateway) -> None:
    with pytest.raises(ValueError, match="positive"):
        sandbox.send(PayoutInstruction("k", "shop1", Money("GBP", 0), "account:1", "R"))


# --- the bank file ------------------------------------------------------------------


def bank_file(tmp_path: Path, at: datetime = NOW) -> BankFilePayoutGateway:
    return BankFilePayoutGateway(tmp_path, FixedClock(at), DEBTOR)


def eur(key: str, minor: int, route: str = FR_ROUTE) -> PayoutInstruction:
    return PayoutInstruction(
        key, "shop-fr", Money("GBP", minor), route, f"Depot rembourse {key}", Money("EUR", minor)
    )


def test_ref6_bank_file_eur_is_a_pain001_that_validates_and_holds_the_amounts(
    tmp_path: Path,
) -> None:
    gateway = bank_file(tmp_path)

    first = gateway.send(eur("payout-e1", 150_000))
    gateway.send(eur("payout-e2", 2_550, "iban:DE44500105175407324931;bic:INGDDEFFXXX;name:Ab"))

    path = tmp_path / "bank-files" / "2026-11-20" / "pain.001.xml"
    assert first.file == "bank-files/2026-11-20/pain.001.xml" and path.is_file()
    xml = path.read_bytes()
    pain001_schema().validate(xml.decode())  # raises if it does not validate
    root = ET.fromstring(xml)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "1525.50"
    transfers = root.findall(".//p:CdtTrfTxInf", NS)
    assert [t.findtext("p:Amt/p:InstdAmt", namespaces=NS) for t in transfers] == [
        "1500.00",
        "25.50",
    ]
    assert [t.find("p:Amt/p:InstdAmt", NS).get("Ccy") for t in transfers] == ["EUR", "EUR"]  # type: ignore[union-attr]
    assert [t.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for t in transfers] == [
        "payout-e1",
        "payout-e2",
    ]
    assert [t.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) for t in transfers] == [
        "FR1420041010050500013M02606",
        "DE44500105175407324931",
    ]
    assert transfers[0].findtext("p:Cdtr/p:Nm", namespaces=NS) == "Boutique Lumiere SARL"
    debtor_iban = root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS)
    assert debtor_iban == "DE89370400440532013000"
    # Executed on the next TARGET business day after Friday: Monday.
    assert root.findtext(".//p:PmtInf/p:ReqdExctnDt", namespaces=NS) == "2026-11-23"


def test_ref6_bank_file_same_payouts_make_the_same_bytes(tmp_path: Path) -> None:
    gateway = bank_file(tmp_path)
    gateway.send(eur("payout-e1", 150_000))
    path = tmp_path / "bank-files" / "2026-11-20" / "pain.001.xml"
    before = path.read_bytes()

    gateway.send(eur("payout-e1", 150_000))  # a resend
    path.unlink()  # as if a crash came between the journal and the file
    gateway.send(eur("payout-e1", 150_000))

    assert path.read_bytes() == before
    assert b"<MsgId>DD20261120-" in before


def test_ref6_bank_file_other_currencies_are_the_documented_csv(tmp_path: Path) -> None:
    gateway = bank_file(tmp_path)
    route = "account:6222 0212 3456 7890;bank:ICBC, Shenzhen;name:深圳贸易"

    receipt = gateway.send(gbp_to_cny(route=route))
    gateway.send(PayoutInstruction("payout-r2", "shop2", Money("GBP", 12_345), "acct 9", "R2"))

    assert receipt.file == "bank-files/2026-11-20/payouts.csv"
    text = (tmp_path / "bank-files" / "2026-11-20" / "payouts.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert (
        tuple(rows[0])
        == CSV_COLUMNS
        == (
            "payout_key",
            "shop_id",
            "amount",
            "currency",
            "route",
            "reference",
            "created_at",
        )
    )
    assert rows[1:] == [
        [
            "payout-r1",
            "shop1",
            "36493.60",
            "CNY",
            route,
            "Deposit refund R1",
            "2026-11-20T09:30:00Z",
        ],
        ["payout-r2", "shop2", "123.45", "GBP", "acct 9", "R2", "2026-11-20T09:30:00Z"],
    ]
    assert not (tmp_path / "bank-files" / "2026-11-20" / "pain.001.xml").exists()


def test_ref6_bank_file_same_key_twice_is_one_line_and_the_same_receipt(tmp_path: Path) -> None:
    first = bank_file(tmp_path).send(gbp_to_cny())
    # Next day, another process: still the first receipt, and no line in today's file.
    later = bank_file(tmp_path, NOW + timedelta(days=1))
    again = later.send(gbp_to_cny())

    assert again == first
    day_file = tmp_path / "bank-files" / "2026-11-20" / "payouts.csv"
    assert day_file.read_text("utf-8").count("payout-r1") == 1
    assert not (tmp_path / "bank-files" / "2026-11-21").exists()
    journal = (tmp_path / "bank-files" / "journal.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["instruction"]["payout_key"] for line in journal] == ["payout-r1"]
    with pytest.raises(PayoutKeyReused):
        later.send(gbp_to_cny(route="account:999"))


def test_ref6_bank_file_refuses_what_it_cannot_pay_and_records_nothing(tmp_path: Path) -> None:
    no_debtor = BankFilePayoutGateway(tmp_path, FixedClock(NOW))
    with pytest.raises(PayoutGatewayError, match="DEPOSITDESK_BANK_FILE_DEBTOR"):
        no_debtor.send(eur("payout-e1", 100))
    gateway = bank_file(tmp_path)
    with pytest.raises(PayoutGatewayError, match="iban"):
        gateway.send(eur("payout-e2", 100, route="account:123;name:No Iban"))
    with pytest.raises(PayoutGatewayError, match="not a valid IBAN"):
        gateway.send(eur("payout-e3", 100, route="iban:FR1420041010050500013M02607;name:X"))
    # "original": no pay-in named the account the deposit came from; no bank can pay it.
    with pytest.raises(PayoutGatewayError, match="no account to pay"):
        gateway.send(gbp_to_cny("payout-o1", route="original"))

    assert gateway.entries() == []
    assert not (tmp_path / "bank-files" / "journal.jsonl").exists()
    # Fixed, the same key goes through.
    assert gateway.send(eur("payout-e2", 100)).file == "bank-files/2026-11-20/pain.001.xml"


def test_ref6_bank_file_journal_survives_a_torn_last_line(tmp_path: Path) -> None:
    bank_file(tmp_path).send(gbp_to_cny())
    journal = tmp_path / "bank-files" / "journal.jsonl"
    with open(journal, "ab") as out:
        out.write(b'{"instruction": {"payout_key": "half')  # a crash mid-write

    gateway = bank_file(tmp_path)
    gateway.send(gbp_to_cny("payout-r2"))

    lines = journal.read_text("utf-8").splitlines()
    assert [json.loads(line)["instruction"]["payout_key"] for line in lines] == [
        "payout-r1",
        "payout-r2",
    ]


def test_ref6_long_payout_keys_get_a_sepa_end_to_end_id() -> None:
    assert end_to_end_id("payout-r1") == "payout-r1"
    long_key = "payout_" + "a" * 40
    assert end_to_end_id(long_key).startswith("DD") and len(end_to_end_id(long_key)) == 35
    assert end_to_end_id("pay_1") != "pay_1"  # "_" is not in the SEPA character set


def test_ref6_settings_choose_the_payout_gateway(tmp_path: Path, engine: Engine) -> None:
    db = str(engine.url)
    production = build_gateways(Settings(data_dir=tmp_path, database_url=db))
    sandbox = build_gateways(Settings(data_dir=tmp_path, sandbox=True), engine=engine)
    stub = build_gateways(Settings(data_dir=tmp_path, payout_gateway="stub"))
    failing = build_gateways(
        Settings(data_dir=tmp_path, payout_gateway="sandbox", sandbox_payout_fail="settle"),
        engine=engine,
    )

    assert isinstance(production.payouts, BankFilePayoutGateway)
    assert production.payouts.root == tmp_path / "bank-files"
    assert isinstance(sandbox.payouts, SandboxPayoutGateway) and sandbox.payouts.engine is engine
    assert isinstance(stub.payouts, StubPayoutGateway)
    assert isinstance(failing.payouts, SandboxPayoutGateway) and failing.payouts.fail == "settle"
