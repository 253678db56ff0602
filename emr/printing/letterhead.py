"""The practice's letterhead for every printed document: the logo at the left, the practice's
name, address, phone, fax and NPI beside it, the document's title at the right, and a footer
with the print time and "Page X of Y". US Letter paper.

Use it through `letterhead_document(...)`, which returns a document to `build(story)`; a
document that lays out its own pages can call `draw_letterhead(canvas, doc, practice, title)`.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from emr.errors import UserError
from emr.localtime import now_local
from emr.services.practice import PracticeRecord

log = logging.getLogger(__name__)

PAGE_SIZE = LETTER
MARGIN = 0.6 * inch
PRACTICE_HEIGHT = 0.9 * inch
HEADER_HEIGHT = PRACTICE_HEIGHT + 0.32 * inch
FOOTER_HEIGHT = 0.4 * inch
LOGO_MAX_WIDTH = 1.5 * inch
LOGO_MAX_HEIGHT = 0.85 * inch
INK = HexColor("#1a1a1a")
MUTED = HexColor("#555555")
RULE = HexColor("#8a8a8a")
SHADE: Color = HexColor("#ececec")


# --- fonts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFonts:
    regular: str
    bold: str
    # Fonts tried, in order, for a character the regular or bold font lacks (CJK, Arabic …).
    fallbacks: tuple[str, ...] = ()

    @property
    def unicode(self) -> bool:
        """False when only Helvetica was found: accented names outside Latin-1 will not print."""
        return self.regular != "Helvetica"


def _base_folder() -> Path:
    frozen_base = getattr(sys, "_MEIPASS", None)
    return Path(frozen_base) if frozen_base else Path(__file__).resolve().parents[2]


def _font_candidates() -> list[tuple[Path, Path]]:
    """(regular, bold) TrueType pairs with wide Unicode coverage (Vietnamese, Central
    European …), in order of preference: shipped with the app, then the system's."""
    base = _base_folder()
    windows_fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    pairs = [
        (base / "resources" / "fonts" / "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "DejaVuSans-Bold.ttf"),
        (Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"), "DejaVuSans-Bold.ttf"),
        (Path("/usr/share/fonts/TTF/DejaVuSans.ttf"), "DejaVuSans-Bold.ttf"),
        (windows_fonts / "arial.ttf", "arialbd.ttf"),
        (windows_fonts / "segoeui.ttf", "segoeuib.ttf"),
        (Path("/System/Library/Fonts/Supplemental/Arial.ttf"), "Arial Bold.ttf"),
        (Path("/Library/Fonts/Arial Unicode.ttf"), "Arial Unicode.ttf"),
    ]
    return [(regular, regular.with_name(bold)) for regular, bold in pairs]


def _fallback_candidates() -> list[Path]:
    """TrueType fonts for the scripts the main font lacks: Arabic (DejaVu, Arial) and CJK
    (Droid Sans Fallback, shipped in resources/fonts; WenQuanYi; Windows' YaHei and SimSun).
    Fonts with PostScript (CFF) outlines, such as Noto Sans CJK, cannot be embedded by
    reportlab and are not listed."""
    windows_fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    return [
        *(regular for regular, _bold in _font_candidates()),
        _base_folder() / "resources" / "fonts" / "DroidSansFallbackFull.ttf",
        Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        Path("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc"),
        windows_fonts / "msyh.ttc",
        windows_fonts / "simsun.ttc",
    ]


def _register(name: str, path: Path) -> bool:
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except Exception:  # a broken or unsupported font file: try the next one
        log.warning("could not load the font %s", path, exc_info=True)
        return False
    return True


def _register_fallbacks(main: Path | None) -> tuple[str, ...]:
    names: list[str] = []
    seen = {main.resolve()} if main is not None else set()
    for path in _fallback_candidates():
        if not path.is_file() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        name = f"EMRFallback{len(names) + 1}"
        if _register(name, path):
            # One face for every style, so that <b> inside a paragraph still finds it.
            pdfmetrics.registerFontFamily(
                name, normal=name, bold=name, italic=name, boldItalic=name
            )
            names.append(name)
    return tuple(names)


@cache
def document_fonts() -> DocumentFonts:
    """Register the first TrueType font found (once), and the fallback fonts, and return
    their names."""
    for regular, bold in _font_candidates():
        if not regular.is_file():
            continue
        if not _register("EMRSans", regular):
            continue
        bold_name = "EMRSans"
        if bold.is_file() and _register("EMRSans-Bold", bold):
            bold_name = "EMRSans-Bold"
        pdfmetrics.registerFontFamily(
            "EMRSans", normal="EMRSans", bold=bold_name, italic="EMRSans", boldItalic=bold_name
        )
        return DocumentFonts("EMRSans", bold_name, _register_fallbacks(regular))
    log.warning("no TrueType font found; printing with Helvetica (Latin-1 only)")
    return DocumentFonts("Helvetica", "Helvetica-Bold", _register_fallbacks(None))


# --- text in any script -------------------------------------------------------------------


class UnprintableText(UserError):
    """Characters that no installed font can print: refused, rather than printed as boxes."""

    def __init__(self, characters: str) -> None:
        self.characters = characters
        shown = " ".join(f"{c} (U+{ord(c):04X})" for c in characters[:8])
        super().__init__(
            f"These characters cannot be printed: no font on this computer has them: {shown}. "
            "Install a font for that script, or write the name in Latin letters as well."
        )


_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LATIN_1 = frozenset(chr(c) for c in range(0x20, 0x100))
_INVISIBLE = frozenset("\n\r\t\u200c\u200d\u200e\u200f")


def _shaped_line(line: str) -> str:
    """A line with Arabic or Hebrew letters in the order and joined forms a page shows them
    (PDF text is drawn left to right, glyph by glyph)."""
    if not _RTL_LETTER.search(line):
        return line
    try:
        import arabic_reshaper
        from bidi import get_display
    except ImportError:
        letters = "".join(dict.fromkeys(c for c in line if _RTL_LETTER.match(c)))
        raise UnprintableText(letters) from None
    return get_display(arabic_reshaper.reshape(line))


def visual_text(text: str) -> str:
    """The text as it is drawn: composed accents (NFC) and right-to-left scripts shaped."""
    text = unicodedata.normalize("NFC", text)
    return "\n".join(_shaped_line(line) for line in text.split("\n"))


def _covers(font_name: str, char: str) -> bool:
    font = pdfmetrics.getFont(font_name)
    face = getattr(font, "face", None)
    if face is None:  # a standard Type 1 font (Helvetica): Latin-1 only
        return char in _LATIN_1
    return ord(char) in face.charToGlyph


def text_runs(text: str, font_name: str) -> list[tuple[str, str]]:
    """The (already visual) text cut into runs of (text, font): the given font where it has
    the character, else the first fallback that has it. UnprintableText names the characters
    no font has."""
    fallbacks = document_fonts().fallbacks
    runs: list[tuple[str, str]] = []
    missing: list[str] = []
    for char in text:
        chosen = font_name
        if char not in _INVISIBLE and not _covers(font_name, char):
            chosen = next((f for f in fallbacks if _covers(f, char)), "")
            if not chosen:
                missing.append(char)
                continue
        if runs and runs[-1][1] == chosen:
            runs[-1] = (runs[-1][0] + char, chosen)
        else:
            runs.append((char, chosen))
    if missing:
        raise UnprintableText("".join(dict.fromkeys(missing)))
    return runs


def markup(text: str, *, bold: bool = False) -> str:
    """Plain text as reportlab paragraph markup: escaped, line breaks kept, right-to-left
    scripts shaped, characters the document font lacks set in a fallback font."""
    fonts = document_fonts()
    main = fonts.bold if bold else fonts.regular
    parts: list[str] = []
    for run, font in text_runs(visual_text(text), main):
        escaped = escape(run).replace("\r", "").replace("\n", "<br/>")
        parts.append(escaped if font == main else f'<font name="{font}">{escaped}</font>')
    return "".join(parts)


def check_printable(*texts: str) -> None:
    """Refuse (UnprintableText) text that no font can print, before a document is made."""
    fonts = document_fonts()
    missing: list[str] = []
    for text in texts:
        try:
            text_runs(visual_text(text), fonts.regular)
        except UnprintableText as exc:
            missing.append(exc.characters)
    if missing:
        raise UnprintableText("".join(dict.fromkeys("".join(missing))))


def draw_text(canvas: Canvas, x: float, y: float, text: str, font_name: str, size: float) -> float:
    """Draw one line of text at (x, y) with fallback fonts where needed; returns its width."""
    start = x
    for run, font in text_runs(visual_text(text), font_name):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)
    canvas.setFont(font_name, size)
    return x - start


def text_width(text: str, font_name: str, size: float) -> float:
    return sum(
        pdfmetrics.stringWidth(run, font, size)
        for run, font in text_runs(visual_text(text), font_name)
    )


def paragraph_style(name: str, *, size: float = 9, bold: bool = False, **extra: Any):
    """A paragraph style in the documents' font."""
    fonts = document_fonts()
    settings: dict[str, Any] = {
        "fontName": fonts.bold if bold else fonts.regular,
        "fontSize": size,
        "leading": size * 1.22,
        "textColor": INK,
    }
    return ParagraphStyle(name, **(settings | extra))


# --- the letterhead -----------------------------------------------------------------------


def _reach_lines(practice: PracticeRecord) -> list[str]:
    pairs = (("Phone", practice.phone), ("Fax", practice.fax), ("NPI", practice.npi))
    return [f"{label} {value}" for label, value in pairs if value]


def _draw_logo(canvas: Canvas, logo: bytes, x: float, top: float) -> float:
    """The logo scaled to fit its box, top-left at (x, top); returns the width used."""
    try:
        image = ImageReader(BytesIO(logo))
        width, height = image.getSize()
    except Exception:  # a damaged image must not stop the printing
        log.warning("the practice's logo could not be read; printing without it", exc_info=True)
        return 0
    if width <= 0 or height <= 0:
        return 0
    scale = min(LOGO_MAX_WIDTH / width, LOGO_MAX_HEIGHT / height)
    w, h = width * scale, height * scale
    canvas.drawImage(image, x, top - h, w, h, mask="auto")
    return w


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The font size, at most `size`, at which `text` fits `width` (not below `smallest`)."""
    needed = pdfmetrics.stringWidth(text, font, size)
    return size if needed <= width else max(smallest, size * width / needed)


def draw_letterhead(
    canvas: Canvas, doc: Any, practice: PracticeRecord, title: str, subtitle: str = ""
) -> None:
    """Draw the letterhead at the top of the current page: the logo and the practice's name
    and address at the left, phone, fax and NPI at the right, a rule, then the title (and
    the subtitle at the right) on the line below it."""
    fonts = document_fonts()
    page_width, page_height = doc.pagesize if doc is not None else PAGE_SIZE
    top = page_height - MARGIN
    left, right = MARGIN, page_width - MARGIN
    canvas.saveState()

    logo_width = _draw_logo(canvas, practice.logo_png, left, top) if practice.logo_png else 0
    text_x = left + logo_width + (0.15 * inch if logo_width else 0)

    reach = _reach_lines(practice)
    reach_width = max((pdfmetrics.stringWidth(r, fonts.regular, 8.5) for r in reach), default=0)
    canvas.setFont(fonts.regular, 8.5)
    canvas.setFillColor(MUTED)
    y = top - 10
    for line in reach:
        canvas.drawRightString(right, y, line)
        y -= 11

    room = right - text_x - (reach_width + 0.25 * inch if reach else 0)
    canvas.setFillColor(INK)
    name_size = _fit(practice.name, fonts.bold, 14, room, 10)
    canvas.setFont(fonts.bold, name_size)
    y = top - name_size
    name_lines = simpleSplit(practice.name, fonts.bold, name_size, room)[:2]
    for line in name_lines:
        draw_text(canvas, text_x, y, line, fonts.bold, name_size)
        y -= name_size + 2
    address = practice.address_lines
    if len(name_lines) > 1 and len(address) > 2:  # keep clear of the rule
        address = [", ".join(address[:-1]), address[-1]]
    canvas.setFont(fonts.regular, 8.5)
    canvas.setFillColor(MUTED)
    for line in address:
        draw_text(
            canvas,
            text_x,
            y - 1,
            simpleSplit(line, fonts.regular, 8.5, room)[0],
            fonts.regular,
            8.5,
        )
        y -= 11

    rule_y = top - PRACTICE_HEIGHT
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.75)
    canvas.line(left, rule_y, right, rule_y)

    title_y = rule_y - 18
    subtitle_width = pdfmetrics.stringWidth(subtitle, fonts.regular, 10)
    subtitle_width = min(subtitle_width, (right - left) * 0.4)
    title_room = right - left - (subtitle_width + 0.25 * inch if subtitle else 0)
    title_size = _fit(title, fonts.bold, 13, title_room, 8)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, title_size)
    draw_text(canvas, left, title_y, title, fonts.bold, title_size)
    if subtitle:
        size = _fit(subtitle, fonts.regular, 10, subtitle_width + 1, 7)
        width = text_width(subtitle, fonts.regular, size)
        draw_text(canvas, right - width, title_y, subtitle, fonts.regular, size)
    canvas.restoreState()


def draw_footer(canvas: Canvas, doc: Any, printed_at: datetime, note: str = "") -> None:
    """The footer's left part (print time, note); "Page X of Y" is added when the document is
    saved (see `NumberedCanvas`)."""
    fonts = document_fonts()
    page_width = (doc.pagesize if doc is not None else PAGE_SIZE)[0]
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, MARGIN + FOOTER_HEIGHT - 8, page_width - MARGIN, MARGIN + FOOTER_HEIGHT - 8)
    canvas.setFont(fonts.regular, 7.5)
    canvas.setFillColor(MUTED)
    text = f"Printed {printed_at:%m/%d/%Y %H:%M}"
    if note:
        text += f"  ·  {note}"
    draw_text(canvas, MARGIN, MARGIN + FOOTER_HEIGHT - 20, text, fonts.regular, 7.5)
    canvas.restoreState()


class NumberedCanvas(Canvas):
    """A canvas that knows the page count when it is saved, for "Page X of Y"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self._draw_page_number(number, total)
            super().showPage()
        super().save()

    def _draw_page_number(self, number: int, total: int) -> None:
        fonts = document_fonts()
        self.saveState()
        self.setFont(fonts.regular, 7.5)
        self.setFillColor(MUTED)
        self.drawRightString(
            self._pagesize[0] - MARGIN, MARGIN + FOOTER_HEIGHT - 20, f"Page {number} of {total}"
        )
        self.restoreState()


class PageSubtitle(Flowable):
    """Invisible: sets the subtitle under the title in the letterhead from this page on
    (e.g. the provider of a day sheet's section), so continued pages still say whose it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._doctemplate.subtitle = self.text  # type: ignore[attr-defined]


class LetterheadDocument(BaseDocTemplate):
    """A US Letter document with the practice's letterhead and a numbered footer on each page."""

    def __init__(
        self,
        target: str | Path | BinaryIO,
        practice: PracticeRecord,
        title: str,
        *,
        printed_at: datetime | None = None,
        footer_note: str = "",
        author: str = "",
    ) -> None:
        super().__init__(
            str(target) if isinstance(target, Path) else target,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_HEIGHT + 0.15 * inch,
            bottomMargin=MARGIN + FOOTER_HEIGHT,
            title=title,
            author=author or practice.name,
            creator="small-practice EMR",
        )
        self.practice = practice
        self.document_title = title
        self.subtitle = ""
        self.printed_at = printed_at or now_local()
        self.footer_note = footer_note
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        # Drawn when the page ends, so that a PageSubtitle on the page has taken effect.
        self.addPageTemplates(
            [PageTemplate(id="letterhead", frames=[frame], onPageEnd=self._decorate)]
        )

    def _decorate(self, canvas: Canvas, doc: Any) -> None:
        draw_letterhead(canvas, doc, self.practice, self.document_title, self.subtitle)
        draw_footer(canvas, doc, self.printed_at, self.footer_note)

    def build(self, flowables: Sequence[Flowable], **kwargs: Any) -> None:  # type: ignore[override]
        kwargs.setdefault("canvasmaker", NumberedCanvas)
        super().build(list(flowables), **kwargs)


def letterhead_document(
    target: str | Path | BinaryIO,
    practice: PracticeRecord,
    title: str,
    *,
    printed_at: datetime | None = None,
    footer_note: str = "",
) -> LetterheadDocument:
    """A document on the letterhead; fill it with `doc.build(story)`."""
    return LetterheadDocument(
        target, practice, title, printed_at=printed_at, footer_note=footer_note
    )
