"""Printable PNG labels for remanufactured units (GB/T 39895-2021 content, GB/T 44728-2024 trace QR).

A label carries the word 再制造, the remanufacturer, the trace code, the standard the product
satisfies, the remanufacturing date and batch, and a QR code pointing at the public verify page.
Chinese text needs a CJK font: settings.CERTIFICATION_LABEL_FONT, or the first of the usual
system fonts found (fonts-noto-cjk, fonts-wqy-zenhei, ...). Without one the label falls back to
Pillow's built-in font and writes Chinese names in pinyin, so it stays legible; `font_is_cjk`
says which happened.
"""
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from pypinyin import lazy_pinyin

from certification import codes

logger = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

WIDTH, HEIGHT = 1000, 460
MARGIN = 30
QR_BOX = HEIGHT - 2 * MARGIN


def verify_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/verify/{code}"


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    configured = settings.CERTIFICATION_LABEL_FONT
    for candidate in (configured, *CJK_FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    logger.warning("No CJK font found for certification labels: Chinese text is printed in pinyin.")
    return None


def _font(size: int):
    path = cjk_font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _text(value: str) -> str:
    """The text as printable with the chosen font: pinyin stands in for Chinese without a CJK font."""
    if cjk_font_path() or value.isascii():
        return value
    return " ".join(lazy_pinyin(value)).replace("  ", " ")


def _caption(zh: str, en: str) -> str:
    return f"{zh} {en}" if cjk_font_path() else en


@dataclass(frozen=True)
class LabelContent:
    trace_code: str
    remanufacturer: str
    standard: str
    remanufactured_on: str
    batch: str
    certificate_number: str


def label_content(unit) -> LabelContent:
    certificate = unit.certificate
    return LabelContent(
        trace_code=unit.trace_code,
        remanufacturer=unit.manufacturer.name,
        standard=certificate.standard if certificate else "",
        remanufactured_on=unit.remanufactured_on.isoformat(),
        batch=unit.batch,
        certificate_number=certificate.number if certificate else "",
    )


def qr_image(url: str, box: int) -> Image.Image:
    qr = segno.make(url, error="m", micro=False)
    scale = max(1, box // qr.symbol_size(border=4)[0])
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def render_label(unit) -> bytes:
    """The unit's label as PNG bytes."""
    content = label_content(unit)
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    qr = qr_image(verify_url(content.trace_code), QR_BOX)
    image.paste(qr, (MARGIN, (HEIGHT - qr.height) // 2))

    draw = ImageDraw.Draw(image)
    x = MARGIN + QR_BOX + MARGIN
    y = MARGIN
    title = "再制造 REMANUFACTURED" if cjk_font_path() else "ZAIZHIZAO REMANUFACTURED"
    lines = [
        (title, 40),
        (_text(content.remanufacturer), 28),
        (codes.format_trace_code(content.trace_code), 44),
        (f"{_caption('标准', 'Standard')}: {content.standard or '-'}", 24),
        (f"{_caption('日期', 'Date')}: {content.remanufactured_on}", 24),
        (f"{_caption('批次', 'Batch')}: {content.batch or '-'}", 24),
        (f"{_caption('证书', 'Cert.')}: {content.certificate_number or '-'}", 24),
    ]
    max_width = WIDTH - x - MARGIN
    for text, size in lines:
        font = _font(size)
        while size > 12 and draw.textlength(text, font=font) > max_width:
            size -= 2  # long names shrink to fit rather than run off the label
            font = _font(size)
        draw.text((x, y), text, font=font, fill=0)
        y += int(size * 1.45)
    draw.rectangle((2, 2, WIDTH - 3, HEIGHT - 3), outline=0, width=3)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def font_is_cjk() -> bool:
    return cjk_font_path() is not None
