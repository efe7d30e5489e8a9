"""The map with its legend as PNG, rendered by kaleido (headless Chromium), at screen or print resolution."""

from __future__ import annotations

import atexit
import os
import struct
import threading
import warnings
import zlib

import plotly.io as pio

from reports.mapfig import map_figure
from reports.snapshot import Snapshot

CSS_DPI = 96  # Plotly lays out in CSS pixels; kaleido's scale multiplies them
DEFAULT_SIZE_MM = (254.0, 174.0)  # 10 × 6.85 inch: fits a slide and a landscape A4 page
MIN_DPI, MAX_DPI = 72, 600
# A long-running process (the dashboard) keeps one headless Chromium for all its renders: about 1 s per map
# instead of about 7 s to start a browser each time. The CLI renders once and does not bother.
_BROWSER_LOCK = threading.Lock()
_BROWSER: list[bool] = []


def keep_browser_running() -> None:
    """Start kaleido's shared browser for this process (once; stopped when the process exits)."""
    # late import: kaleido, ~1.3 s of -X importtime under load on the shared 2-core machine, only for a process that renders PNG or PDF
    import kaleido

    with _BROWSER_LOCK:
        if _BROWSER:
            return
        kaleido.start_sync_server(silence_warnings=True)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
        _BROWSER.append(True)


def _mm_to_css_px(mm: float) -> int:
    return round(mm / 25.4 * CSS_DPI)


def with_dpi(png: bytes, dpi: int) -> bytes:
    """Add a pHYs chunk so that word processors and print tools place the image at its physical size."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    ppm = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    rest = png[ihdr_end:]
    # Drop an existing pHYs chunk so the file has exactly one.
    out, pos = bytearray(), 0
    while pos < len(rest):
        length = struct.unpack(">I", rest[pos : pos + 4])[0]
        kind = rest[pos + 4 : pos + 8]
        end = pos + 12 + length
        if kind != b"pHYs":
            out += rest[pos:end]
        pos = end
    return png[:ihdr_end] + chunk + bytes(out)


def png_bytes(snapshot: Snapshot, *, dpi: int = CSS_DPI, size_mm: tuple[float, float] = DEFAULT_SIZE_MM) -> bytes:
    """The map of ``size_mm`` at ``dpi`` (96 = screen, 300 = print): width = size_mm[0] / 25.4 × dpi pixels."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}")

    width, height = _mm_to_css_px(size_mm[0]), _mm_to_css_px(size_mm[1])
    fig = map_figure(snapshot, width=width, height=height)
    with warnings.catch_warnings():
        # plotly passes its own launch options, which a running shared browser (keep_browser_running) ignores.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored", category=UserWarning)
        png = pio.to_image(fig, format="png", width=width, height=height, scale=dpi / CSS_DPI)
    return with_dpi(png, dpi)


def write_png(snapshot: Snapshot, path: str | os.PathLike[str], *, dpi: int = CSS_DPI, **_: object) -> None:
    with open(path, "wb") as fh:
        fh.write(png_bytes(snapshot, dpi=dpi))
