"""A shop's record (AUD-2) as a document: HTML from a Jinja2 template
(templates/record/shop.html), PDF drawn with fpdf2 (pure Python: no system libraries,
so it works on every machine WeasyPrint's Pango would not be on)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF, FontFace
from jinja2 import Environment, PackageLoader, select_autoescape

from depositdesk.domain.audit import AuditRecord
from depositdesk.domain.clock import rfc3339
from depositdesk.services.shop_record import ShopRecord

# A Unicode font when the machine has one (Debian's fonts-dejavu-core), and a CJK font
# for the Chinese of notices, reasons and names (Debian's fonts-wqy-microhei, which
# .ci/run installs, or Noto CJK); the first one found of each. With neither, the PDF's
# built-in Helvetica has Latin-1 only and other characters show as "?".
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)


def _time(value: datetime | None) -> str:
    return (rfc3339(value) or "")[:19].replace("T", " ") if value else ""


def _change(record: AuditRecord) -> str:
    """The fields of the shop that changed, `field: before → after`."""
    before, after = record.before or {}, record.after or {}
    keys = [k for k in after if before.get(k) != after.get(k)] if before else list(after)
    if not keys and not before:
        return ""
    return "; ".join(f"{k}: {before.get(k, '-')} → {after.get(k, '-')}" for k in keys)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("depositdesk", "templates/record"),
        autoescape=select_autoescape(["html"]),
    )
    env.globals.update(t=_time, change=_change)
    return env


def render_html(record: ShopRecord) -> str:
    return _environment().get_template("shop.html").render(r=record)


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", format="A4")
        self.title_text = title
        font = next((f for f in UNICODE_FONTS if f.exists()), None)
        cjk = next((f for f in CJK_FONTS if f.exists()), None)
        if cjk is not None:
            self.add_font("cjk", fname=str(cjk))
        if font is not None or cjk is not None:
            self.add_font("body", fname=str(font or cjk))
            self.body_font = "body"
            self.has_unicode = True
            if font is not None and cjk is not None:
                # Glyphs DejaVu lacks (Chinese) are drawn from the CJK font.
                self.set_fallback_fonts(["cjk"])
        else:
            self.body_font = "helvetica"
            self.has_unicode = False
        self.set_auto_page_break(auto=True, margin=12)
        self.alias_nb_pages()

    def text_of(self, value: object) -> str:
        text = str(value)
        if not self.has_unicode:
            text = text.replace("→", "->").replace("…", "...")
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.body_font, size=7)
        self.cell(0, 5, self.text_of(f"{self.title_text} · page {self.page_no()}/{{nb}}"))

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.body_font, size=12)
        self.cell(0, 7, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.body_font, size=7)

    def rows(self, header: list[str], rows: list[list[object]], widths: list[int]) -> None:
        self.set_font(self.body_font, size=7)
        # Headings in the body font, not bold: one font file is all the PDF embeds.
        headings = FontFace(emphasis="", fill_color=(230, 230, 230))
        with self.table(
            col_widths=widths, text_align="LEFT", line_height=3.5, headings_style=headings
        ) as table:
            cells = table.row()
            for h in header:
                cells.cell(self.text_of(h))
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(self.text_of(value))


def render_pdf(record: ShopRecord) -> bytes:
    shop = record.view.shop
    pdf = _Pdf(f"Record of shop {shop.id}")
    pdf.add_page()
    pdf.set_font(pdf.body_font, size=15)
    pdf.cell(0, 9, pdf.text_of(f"Record of shop {shop.name} ({shop.id})"), new_x="LMARGIN")
    pdf.ln(9)
    pdf.set_font(pdf.body_font, size=8)
    policy = record.view.policy
    pdf.multi_cell(
        0,
        4,
        pdf.text_of(
            f"Seller {shop.seller_id} · market {shop.market} · status {shop.status.value} · "
            f"policy {policy.pack} v{policy.version}\n"
            f"Made {_time(record.made_at)} by {record.made_by} (AUD-2). "
            f"Required {record.required}, held {record.held}, receivable {record.receivable}."
        ),
    )
    pdf.heading(f"Ledger ({len(record.ledger)} entries)")
    pdf.rows(
        ["#", "At", "Kind", "Memo", "Postings", "Held change", "Held after"],
        [
            [
                line.entry.id,
                _time(line.entry.at),
                line.entry.kind.value,
                line.entry.memo,
                "\n".join(f"{p.account.value} {p.amount}" for p in line.entry.postings),
                line.held_change,
                line.held_after,
            ]
            for line in record.ledger
        ],
        [8, 25, 28, 80, 60, 25, 25],
    )
    pdf.heading(f"Notices ({len(record.notices)})")
    pdf.rows(
        ["At", "Kind", "Subject", "Due"],
        [[_time(n.created_at), n.kind.value, n.subject, _time(n.due_at)] for n in record.notices],
        [28, 30, 180, 28],
    )
    pdf.heading(f"Refunds and decisions ({len(record.refunds)})")
    pdf.rows(
        ["Refund", "Kind", "Amount", "Status", "Submitted", "Decision", "Payout"],
        [
            [
                rr.refund.id,
                rr.refund.kind.value,
                rr.refund.amount,
                rr.refund.status.value,
                f"{_time(rr.refund.submitted_at)} {rr.refund.submitted_by}",
                (
                    f"{_time(rr.refund.decided_at)} {rr.refund.decided_by or ''} "
                    f"{rr.refund.reason_code.value if rr.refund.reason_code else ''}"
                ),
                (
                    f"{rr.payout.id} {rr.payout.status.value} {rr.payout.bank_reference or ''}"
                    if rr.payout
                    else ""
                ),
            ]
            for rr in record.refunds
        ],
        [38, 18, 25, 18, 50, 55, 62],
    )
    pdf.heading(f"Unlink requests ({len(record.unlinks)})")
    for u in record.unlinks:
        x = u.unlink
        pdf.multi_cell(
            0,
            4,
            pdf.text_of(
                f"{x.id}: {x.status.value}, unlink date {x.unlink_date}, cutoff "
                f"{_time(x.cutoff_at)}; requested {_time(x.requested_at)} by {x.requested_by}; "
                f"support contact {x.support_contact}"
                + (f"; held: {'; '.join(x.held_reasons)}" if x.held_reasons else "")
                + (f"; confirmed {_time(x.confirmed_at)}" if x.confirmed_at else "")
                + (f"; unlinked {_time(x.unlinked_at)}" if x.unlinked_at else "")
                + (f"; full refund {x.refund_id}" if x.refund_id else "")
                + f". Checklist as of {_time(u.as_of)}:"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.rows(
            ["Area", "Check", "Status", "Message", "Records"],
            [
                [a.area.value, c.code.value, c.status.value, c.message, c.count]
                for a in u.checklist.areas
                for c in a.checks
            ],
            [35, 45, 25, 150, 15],
        )
    pdf.heading(f"Audit records ({len(record.audit)})")
    pdf.rows(
        ["Seq", "At", "Actor", "Action", "Target", "Before -> after", "Hash"],
        [
            [a.seq, _time(a.at), a.actor, a.action, a.target or "", _change(a), a.hash[:16]]
            for a in record.audit
        ],
        [10, 25, 40, 38, 45, 85, 27],
    )
    return bytes(pdf.output())
