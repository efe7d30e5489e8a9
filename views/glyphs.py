"""Render a TrueType font into MapLibre's SDF glyph ranges (``{start}-{end}.pbf``) so map labels need no font CDN.

MapLibre draws map text from signed distance fields that it fetches per font stack and per block of 256
code points from the style's ``glyphs`` URL. This module produces exactly those files, following the
conventions of Mapbox's node-fontnik / sdf-glyph-foundry, which MapLibre's text shader is tuned to:

- glyphs rendered at 24 px (MapLibre's ``ONE_EM``) with a 3 px buffer around each bitmap;
- one byte per pixel, ``255 - 256 * (d / 8 + 0.25)`` for a signed distance ``d`` in px (positive outside),
  so the glyph edge sits at ≈192 and the field spans 2 px inside to 6 px outside the outline;
- ``left`` and ``top`` are the rounded outline bounds, ``top`` relative to the font's ascender at 24 px.

The distance field comes from an 8× oversampled anti-aliased FreeType raster and
``scipy.ndimage.distance_transform_edt``, averaged back down to 24 px (error ≈1/16 px).

The generated files are committed under ``assets/glyphs/`` so the app needs nothing at run time; regenerate with
``python -m views.glyphs`` (needs the dev dependency freetype-py and Debian's ``fonts-dejavu-core``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

SIZE = 24  # px per em, MapLibre's ONE_EM
BUFFER = 3  # px of distance field around each glyph's bounds
RADIUS = 8  # px of distance that the 0–255 byte range covers
CUTOFF = 0.25  # share of that range spent inside the outline: the edge sits at 255 - 0.25 * 256 ≈ 192
OVERSAMPLE = 8  # raster resolution per output pixel for the distance transform

# Latin-1, Latin Extended-A (Dutch ĳ, Frisian, Turkish and Polish names) and general punctuation (‘ ’ “ ” – — …, €).
DEFAULT_RANGES: tuple[int, ...] = (0, 256, 8192)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian package fonts-dejavu-core
DEFAULT_FONTS: tuple[Path, ...] = (FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "assets" / "glyphs"


@dataclass(frozen=True)
class Glyph:
    """One glyph as MapLibre reads it: ``bitmap`` is (width + 2·BUFFER) × (height + 2·BUFFER) bytes, rows top-down."""

    id: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int


# ---------------------------------------------------------------- distance field


def sdf_bytes(inside: np.ndarray, *, oversample: int = OVERSAMPLE) -> np.ndarray:
    """The uint8 distance field of a boolean raster ``inside`` whose shape is a multiple of ``oversample``.

    Each output pixel is the mean signed distance (in output pixels) over its ``oversample``² block, encoded
    like sdf-glyph-foundry: 255 at ``RADIUS * CUTOFF`` px inside the outline or deeper, 0 at
    ``RADIUS * (1 - CUTOFF)`` px outside or farther.
    """
    rows, cols = inside.shape
    if rows % oversample or cols % oversample:
        raise ValueError(f"raster shape {inside.shape} is not a multiple of {oversample}")
    if inside.any():
        # Distances between pixel centres; the outline runs half a pixel from each boundary pixel's centre.
        outside_dist = ndimage.distance_transform_edt(~inside) - 0.5
        inside_dist = ndimage.distance_transform_edt(inside) - 0.5
        signed = np.where(inside, -inside_dist, outside_dist)
    else:
        signed = np.full(inside.shape, np.inf)
    blocks = signed.reshape(rows // oversample, oversample, cols // oversample, oversample)
    dist = blocks.mean(axis=(1, 3)) / oversample
    v = dist * (256.0 / RADIUS) + CUTOFF * 256.0
    out = np.where(v <= 0, 255.0, np.where(v > 255, 0.0, np.floor(255.0 - np.clip(v, 0.0, 255.0))))
    return out.astype(np.uint8)


# ---------------------------------------------------------------- rendering


def _open_face(font: Path) -> Any:
    try:
        # late import: freetype-py is a dev tool (the dev extra), never installed in the runtime image
        import freetype
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise SystemExit(
            "freetype-py is needed to render glyphs: install the dev extra (pip install -e .[dev])"
        ) from exc
    if not font.exists():
        raise SystemExit(f"font not found: {font} (Debian: apt-get install fonts-dejavu-core)")
    return freetype.Face(str(font))


def stack_name(font: Path) -> str:
    """The font stack name MapLibre asks for: family and style, as node-fontnik names it (e.g. 'DejaVu Sans Book')."""
    face = _open_face(font)
    return f"{face.family_name.decode()} {face.style_name.decode()}"


def render_glyph(face: Any, codepoint: int, *, ascender: int) -> Glyph | None:
    """The SDF glyph of ``codepoint`` in ``face`` (char size SIZE·OVERSAMPLE), or None if the font lacks it."""
    # late import: freetype-py is a dev tool (the dev extra), never installed in the runtime image
    import freetype

    index = face.get_char_index(codepoint)
    if index == 0:
        return None
    face.load_glyph(index, freetype.FT_LOAD_NO_HINTING)
    slot = face.glyph
    advance = round(slot.linearHoriAdvance / 65536 / OVERSAMPLE)
    bbox = slot.outline.get_bbox()
    xmin, ymin, xmax, ymax = (round(v / 64 / OVERSAMPLE) for v in (bbox.xMin, bbox.yMin, bbox.xMax, bbox.yMax))
    width, height = xmax - xmin, ymax - ymin
    if slot.outline.n_points == 0 or width <= 0 or height <= 0:
        # Blank glyphs (space, no-break space) carry only their advance, as in node-fontnik.
        return Glyph(id=codepoint, bitmap=b"", width=0, height=0, left=0, top=-ascender, advance=advance)

    slot.render(freetype.FT_RENDER_MODE_NORMAL)
    bm = slot.bitmap
    coverage = np.zeros(((height + 2 * BUFFER) * OVERSAMPLE, (width + 2 * BUFFER) * OVERSAMPLE), dtype=np.uint8)
    if bm.rows and bm.width:
        raster = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, : bm.width]
        # Place the raster by its pixel offsets relative to the canvas' top-left corner (both on the hi-res grid).
        col0 = slot.bitmap_left - (xmin - BUFFER) * OVERSAMPLE
        row0 = (ymax + BUFFER) * OVERSAMPLE - slot.bitmap_top
        r0, c0 = max(row0, 0), max(col0, 0)
        r1, c1 = min(row0 + bm.rows, coverage.shape[0]), min(col0 + bm.width, coverage.shape[1])
        coverage[r0:r1, c0:c1] = raster[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0]
    bitmap = sdf_bytes(coverage >= 128)
    return Glyph(
        id=codepoint,
        bitmap=bitmap.tobytes(),
        width=width,
        height=height,
        left=xmin,
        top=ymax - ascender,
        advance=advance,
    )


def render_range(font: Path, start: int, end: int) -> tuple[str, list[Glyph]]:
    """(stack name, glyphs) for the code points ``start``…``end`` (inclusive) that ``font`` has."""
    face = _open_face(font)
    name = f"{face.family_name.decode()} {face.style_name.decode()}"
    face.set_char_size(SIZE * 64)
    ascender = int(face.size.ascender) // 64  # as node-fontnik: FreeType's ascender at 24 px, whole pixels
    face.set_char_size(SIZE * OVERSAMPLE * 64)
    glyphs = [g for cp in range(start, end + 1) if (g := render_glyph(face, cp, ascender=ascender)) is not None]
    return name, glyphs


# ---------------------------------------------------------------- protobuf


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 31)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(value)) + value


def encode_glyph(glyph: Glyph) -> bytes:
    """``glyph { uint32 id = 1; bytes bitmap = 2; uint32 width = 3, height = 4; sint32 left = 5, top = 6;
    uint32 advance = 7; }``, fields in node-fontnik's order, bitmap only for non-blank glyphs."""
    parts = [_field_varint(1, glyph.id)]
    if glyph.width > 0:
        parts.append(_field_bytes(2, glyph.bitmap))
    parts += [
        _field_varint(3, glyph.width),
        _field_varint(4, glyph.height),
        _field_varint(5, _zigzag(glyph.left)),
        _field_varint(6, _zigzag(glyph.top)),
        _field_varint(7, glyph.advance),
    ]
    return b"".join(parts)


def encode_glyphs(name: str, start: int, end: int, glyphs: Iterable[Glyph]) -> bytes:
    """``glyphs { repeated fontstack stacks = 1; }`` with one ``fontstack { name = 1; range = 2; glyphs = 3; }``."""
    stack = _field_bytes(1, name.encode()) + _field_bytes(2, f"{start}-{end}".encode())
    stack += b"".join(_field_bytes(3, encode_glyph(g)) for g in glyphs)
    return _field_bytes(1, stack)


# ---------------------------------------------------------------- files


def write_font_stack(font: Path, out_dir: Path, *, ranges: Sequence[int] = DEFAULT_RANGES) -> list[Path]:
    """Write ``out_dir/<stack name>/<start>-<end>.pbf`` for each range start; returns the files written."""
    written = []
    for start in ranges:
        if start % 256:
            raise ValueError(f"range start {start} is not a multiple of 256")
        end = start + 255
        name, glyphs = render_range(font, start, end)
        path = out_dir / name / f"{start}-{end}.pbf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_glyphs(name, start, end, glyphs))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("fonts", nargs="*", type=Path, default=list(DEFAULT_FONTS), help="TrueType/OpenType files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"glyphs folder (default {DEFAULT_OUT})")
    parser.add_argument(
        "--ranges",
        type=lambda s: [int(x) for x in s.split(",")],
        default=list(DEFAULT_RANGES),
        help="comma-separated range starts, multiples of 256 (default %(default)s)",
    )
    args = parser.parse_args(argv)
    for font in args.fonts:
        for path in write_font_stack(font, args.out, ranges=args.ranges):
            print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
