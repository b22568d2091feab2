"""The bulk-onboarding QR sheets decode to the right invite links: every card of the PDF (all
pages) and of the PNG sheets is read back with a real QR decoder (zxing-cpp), in card order,
and a decoded code binds the person whose card it is."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from bot.charts.invites import PER_COL, PER_ROW
from coaching import people
from tests import cli_helpers
from tests import factories as f
from tests.test_invites_bulk import seed

run_cli = cli_helpers.run_cli  # the fixture

PER_PAGE = PER_ROW * PER_COL


def decode(image: Image.Image) -> list[str]:
    """The QR codes on one page, in reading order (rows top to bottom, then left to right)."""
    found = [
        r
        for r in zxingcpp.read_barcodes(image.convert("L"))
        if r.format == zxingcpp.BarcodeFormat.QRCode
    ]
    h = image.height / PER_COL  # a card row's height: codes in one row share the index

    def where(r: Any) -> tuple[int, int]:
        return int(r.position.top_left.y // h), r.position.top_left.x

    return [r.text for r in sorted(found, key=where)]


def pdf_pages(path: Path) -> list[list[str]]:
    doc = pdfium.PdfDocument(path)
    try:
        return [decode(page.render(scale=2.5).to_pil()) for page in doc]
    finally:
        doc.close()


def csv_rows(directory: Path) -> list[dict[str, str]]:
    [path] = directory.glob("*.csv")
    return list(csv.DictReader(path.open(encoding="utf-8-sig")))


def more_staff(ctx, n: int) -> None:  # type: ignore[no-untyped-def]
    """`n` more unbound SH-1 collectors, so the sheet needs a second page."""
    from sqlalchemy import select

    from db.models import Branch, Team

    with ctx.db.session() as s:
        sh = s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        t1 = s.execute(select(Team).where(Team.code == "SH-1")).scalar_one()
        for i in range(n):
            f.employee(s, f"C02{i:02d}", sh, team=t1, name=f"新人{i}")


def test_pdf_sheet_decodes_to_each_persons_link_on_every_page(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    more_staff(ctx, 10)  # 4 + 10 = 14 people: 12 cards on page 1, 2 on page 2
    res = run_cli("invite", "--team", "SH-1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    rows = csv_rows(tmp_path)
    assert len(rows) == 14
    [pdf] = tmp_path.glob("*.pdf")
    pages = pdf_pages(pdf)
    links = [r["link"] for r in rows]
    assert pages == [links[:PER_PAGE], links[PER_PAGE:]]
    # A code read off the sheet binds the person on that card, once.
    card = rows[PER_PAGE]  # first card of page 2
    code = pages[1][0].split("start=", 1)[1]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        result, who = people.redeem_invite(s, code, 901, 901, now)
    assert result == people.RedeemResult.BOUND and who is not None
    assert who.employee_no == card["employee_no"]


def test_png_sheets_hold_every_card(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    more_staff(ctx, 10)
    res = run_cli("invite", "--team", "SH-1", "--out", str(tmp_path), "--sheet", "png")
    assert res.exit_code == 0, res.output
    rows = csv_rows(tmp_path)
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name[-6:] for p in pngs] == ["-1.png", "-2.png"]  # a PNG per page: nobody left off
    assert all(str(p) in res.output for p in pngs), res.output
    decoded = [decode(Image.open(p)) for p in pngs]
    links = [r["link"] for r in rows]
    assert decoded == [links[:PER_PAGE], links[PER_PAGE:]]


def test_decoder_reads_what_it_should_not_invent(tmp_path: Path) -> None:
    """The decoder is real: a blank page has no codes, a segno code reads back exactly."""
    import segno

    assert decode(Image.new("RGB", (600, 800), "white")) == []
    path = tmp_path / "probe.png"
    segno.make("https://t.me/CoachBot?start=ABC123", error="m").save(path, scale=8)
    assert decode(Image.open(path)) == ["https://t.me/CoachBot?start=ABC123"]
