"""One A4 page for a meeting: map with legend, scale bar and north arrow; key figures; method; protection; link."""

from __future__ import annotations

import io
import os
from pathlib import Path
from xml.sax.saxutils import escape

from reports.png import png_bytes
from reports.snapshot import DEMO_COLOUR, Snapshot

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
MAP_SIZE_MM = (180.0, 118.0)
MAP_DPI = 200  # sharp on paper, a PDF of a few hundred KB


def _fonts() -> tuple[str, str]:
    """DejaVu Sans when installed (it has every character we print: – ≥ • ë), else the built-in Helvetica."""
    # late import: reportlab, ~0.4–2.6 s of -X importtime under load on the shared 2-core machine, only for a PDF
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def pdf_bytes(snapshot: Snapshot) -> bytes:
    """The snapshot as exactly one A4 page (content shrinks to fit rather than spill onto a second page)."""
    # late import: reportlab, ~0.4–2.6 s of -X importtime under load on the shared 2-core machine, only for a PDF
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=9, textColor=colors.HexColor("#444444"))
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=15, leading=18, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName=bold, fontSize=10, leading=13, spaceBefore=5, spaceAfter=2)
    demo = ParagraphStyle(
        "demo",
        parent=base,
        fontName=bold,
        textColor=colors.HexColor(DEMO_COLOUR),
        borderColor=colors.HexColor(DEMO_COLOUR),
        borderWidth=0.8,
        borderPadding=3,
        spaceBefore=2,
        spaceAfter=6,
    )

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    def kv_table(rows: list[tuple[str, str]], widths: tuple[float, float]) -> Table:
        table = Table([[p(k), p(v)] for k, v in rows], colWidths=[widths[0] * mm, widths[1] * mm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (0, -1), bold),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        return table

    story: list[object] = [
        p("Buurtdekking · jeugdhulp per buurt", small),
        p(snapshot.indicator_label, h1),
        p(
            f"{snapshot.area_name} ({snapshot.area_code})"
            + (f" · periode {snapshot.period}" if snapshot.period else "")
            + f" · gemaakt {snapshot.created.strftime('%d-%m-%Y %H:%M')} UTC"
        ),
    ]
    if snapshot.is_demo:
        story.append(p("FICTIEVE DEMODATA — teams en zorgaantallen zijn verzonnen; niet gebruiken voor beleid.", demo))
    image = png_bytes(snapshot, dpi=MAP_DPI, size_mm=MAP_SIZE_MM)
    story += [Spacer(1, 2 * mm), Image(io.BytesIO(image), width=MAP_SIZE_MM[0] * mm, height=MAP_SIZE_MM[1] * mm)]
    if snapshot.key_figures:
        story += [p("Kerncijfers", h2), kv_table(list(snapshot.key_figures), (70, 110))]
    method_rows = [*snapshot.parameters]
    if snapshot.legend_title:
        method_rows.append(("Klassen", snapshot.legend_title))
    story += [p("Methode en parameters", h2), p(snapshot.method or "–")]
    if snapshot.quality_notes:
        story += [p("Betrouwbaarheid reistijd: " + " ".join(snapshot.quality_notes))]
    if method_rows:
        story += [Spacer(1, 1.5 * mm), kv_table(method_rows, (40, 140))]
    story += [
        p("Grenzen en gegevens", h2),
        p(
            f"Grenzen: CBS wijk- en buurtkaart {snapshot.boundary_year or 'onbekend'}. "
            f"Gegevens: {snapshot.data_date or 'onbekend'}. {snapshot.attribution}"
        ),
        p("Bescherming van kleine aantallen", h2),
        p(snapshot.protection_note or "Deze indicator bevat geen aantallen van personen."),
    ]
    if snapshot.permalink:
        link = escape(snapshot.permalink)
        story += [p("Deze weergave online", h2), Paragraph(f'<link href="{link}" color="#1d4ed8">{link}</link>', small)]
    if snapshot.lineage:
        story += [p("Herkomst", h2), p(" · ".join(f"{k}: {v}" for k, v in snapshot.lineage), small)]

    buf = io.BytesIO()
    margin = 14 * mm
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=snapshot.title,
        author="buurtdekking",
        subject="Buurtdekking snapshot",
        creator="buurtdekking",
    )
    frame_w, frame_h = A4[0] - 2 * margin, A4[1] - 2 * margin
    doc.build([KeepInFrame(frame_w, frame_h - 1, story, mode="shrink")])
    return buf.getvalue()


def write_pdf(snapshot: Snapshot, path: str | os.PathLike[str], **_: object) -> None:
    with open(path, "wb") as fh:
        fh.write(pdf_bytes(snapshot))
