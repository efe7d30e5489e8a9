"""The committed SDF glyph files: decoded by hand, they hold sane glyphs, and the generator reproduces them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from views import glyphs, mapstyle

GLYPHS_DIR = Path(__file__).resolve().parent.parent / "assets" / "glyphs"
FIELDS = {1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}


# ---------------------------------------------------------------- an independent, minimal protobuf reader


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            out.append((number, value))
        elif wire == 2:
            length, i = _varint(buf, i)
            out.append((number, buf[i : i + length]))
            i += length
        else:
            raise AssertionError(f"unexpected wire type {wire} for field {number}")
    assert i == len(buf), "message overruns its buffer"
    return out


def decode(buf: bytes) -> tuple[str, str, list[dict[str, object]]]:
    """(stack name, range, glyphs) of a glyphs message with exactly one fontstack."""
    top = _fields(buf)
    assert [n for n, _ in top] == [1]
    name = rng = ""
    result: list[dict[str, object]] = []
    stack = top[0][1]
    assert isinstance(stack, bytes)
    for number, value in _fields(stack):
        assert isinstance(value, bytes)
        if number == 1:
            name = value.decode()
        elif number == 2:
            rng = value.decode()
        else:
            assert number == 3
            glyph: dict[str, object] = {"bitmap": b""}
            for n, v in _fields(value):
                glyph[FIELDS[n]] = v
            for signed in ("left", "top"):  # sint32: zigzag
                z = int(glyph[signed])  # type: ignore[call-overload]
                glyph[signed] = (z >> 1) ^ -(z & 1)
            result.append(glyph)
    return name, rng, result


def committed(stack: str, start: int) -> tuple[str, str, dict[int, dict[str, object]]]:
    path = GLYPHS_DIR / stack / f"{start}-{start + 255}.pbf"
    name, rng, gl = decode(path.read_bytes())
    return name, rng, {int(g["id"]): g for g in gl}  # type: ignore[call-overload]


# ---------------------------------------------------------------- committed files


@pytest.mark.parametrize("stack", [mapstyle.TEXT_FONT, mapstyle.TEXT_FONT_BOLD])
@pytest.mark.parametrize("start", glyphs.DEFAULT_RANGES)
def test_committed_range_is_well_formed(stack: str, start: int) -> None:
    name, rng, by_id = committed(stack, start)
    assert name == stack
    assert rng == f"{start}-{start + 255}"
    assert by_id, "no glyphs"
    assert all(start <= i <= start + 255 for i in by_id)
    for g in by_id.values():
        w, h = int(g["width"]), int(g["height"])  # type: ignore[call-overload]
        bitmap = g["bitmap"]
        assert isinstance(bitmap, bytes)
        assert len(bitmap) == ((w + 2 * glyphs.BUFFER) * (h + 2 * glyphs.BUFFER) if w else 0), g["id"]
        assert 0 <= int(g["advance"]) <= 2 * glyphs.SIZE  # type: ignore[call-overload]
        assert 0 <= w <= 2 * glyphs.SIZE
        assert 0 <= h <= 2 * glyphs.SIZE


@pytest.mark.parametrize("stack", [mapstyle.TEXT_FONT, mapstyle.TEXT_FONT_BOLD])
def test_every_letter_of_dutch_place_names_is_present(stack: str) -> None:
    have: set[int] = set()
    for start in glyphs.DEFAULT_RANGES:
        have |= set(committed(stack, start)[2])
    text = "Vleuten-De Meern Lunetten Oog in Al Zuilen ’t Goylaan Ĳsselstein ĳ café Ouderijn Tuindorp–Oost € … “ ”"
    text += "".join(chr(c) for c in range(0x20, 0x7F)) + "àáâäçèéêëìíîïñòóôöùúûüýÿÀÁÂÄÇÈÉÊËÏÖÜ"
    missing = sorted({c for c in text if ord(c) not in have})
    assert missing == []


def test_metrics_match_dejavu_sans_at_24_px() -> None:
    """Hand-checked against DejaVu Sans (2048 units/em): 'H' is 1532 units wide with a 1493-unit cap height, 'g'
    descends 426 units below the baseline; at 24 px that is an advance of 18 px, 17–18 px tall, 5 px down."""
    _, _, by_id = committed(mapstyle.TEXT_FONT, 0)
    ascender = 23  # FreeType's ascender for DejaVu Sans at 24 px
    h = by_id[ord("H")]
    assert h["advance"] == 18
    assert h["height"] in (17, 18)
    assert int(h["top"]) + ascender in (17, 18)  # type: ignore[call-overload]  # cap top above the baseline
    g = by_id[ord("g")]
    bottom = int(g["top"]) + ascender - int(g["height"])  # type: ignore[call-overload]
    assert bottom == -5
    space = by_id[ord(" ")]
    assert space["width"] == 0
    assert space["bitmap"] == b""
    assert space["advance"] == 8
    # The bold face is wider.
    bold = committed(mapstyle.TEXT_FONT_BOLD, 0)[2]
    assert int(bold[ord("H")]["advance"]) > int(h["advance"])  # type: ignore[call-overload]


def test_bitmap_is_a_distance_field_around_the_outline() -> None:
    """Across the stem of 'l': low outside, rising through ≈192 at the edge to a peak in the middle of the stem."""
    _, _, by_id = committed(mapstyle.TEXT_FONT, 0)
    g = by_id[ord("l")]
    w, h = int(g["width"]), int(g["height"])  # type: ignore[call-overload]
    bm = np.frombuffer(g["bitmap"], dtype=np.uint8).reshape(h + 2 * glyphs.BUFFER, w + 2 * glyphs.BUFFER)  # type: ignore[call-overload]
    row = bm[bm.shape[0] // 2].astype(int)
    # The first pixel's centre is 2.5 px outside the rounded bounds, ±0.5 px of rounding: 255 - (d·32 + 64) ∈ [95, 127].
    assert 95 <= row[0] <= 127
    assert 95 <= row[-1] <= 127
    # The stem is 184/2048 em ≈ 2.2 px wide, so its middle is ≈1.1 px inside: ≈ 191 + 1.1·32 ≈ 226 at most.
    assert 200 <= row.max() <= 230
    peak = int(np.argmax(row))
    assert all(row[i] <= row[i + 1] for i in range(peak))  # monotone up to the stem …
    assert all(row[i] >= row[i + 1] for i in range(peak, len(row) - 1))  # … and down after it
    assert ((row[:-1] < 192) & (row[1:] >= 192)).sum() == 1  # one edge on each side


# ---------------------------------------------------------------- the distance field and the encoder


def naive_disc_sdf(size: int, centre: float, radius: float) -> np.ndarray:
    """Reference: the exact signed distance of each pixel centre to a circle, encoded like sdf-glyph-foundry."""
    out = np.zeros((size, size), dtype=np.uint8)
    for y in range(size):
        for x in range(size):
            d = float(np.hypot(x + 0.5 - centre, y + 0.5 - centre)) - radius
            v = d * 256 / glyphs.RADIUS + glyphs.CUTOFF * 256
            out[y, x] = 255 if v <= 0 else 0 if v > 255 else int(255 - v)
    return out


def test_sdf_of_a_disc_matches_the_exact_distance() -> None:
    size, centre, radius, os_ = 16, 8.0, 4.5, glyphs.OVERSAMPLE
    yy, xx = np.mgrid[0 : size * os_, 0 : size * os_]
    inside = np.hypot((xx + 0.5) / os_ - centre, (yy + 0.5) / os_ - centre) <= radius
    got = glyphs.sdf_bytes(inside).astype(int)
    want = naive_disc_sdf(size, centre, radius).astype(int)
    # 1/16 px of raster error is 2 levels; block-averaging the distance adds a little near the curve.
    assert np.abs(got - want).max() <= 4
    assert got[8, 8] == 255
    assert got[0, 0] == 0


def test_sdf_rejects_a_raster_not_aligned_to_output_pixels() -> None:
    with pytest.raises(ValueError, match="multiple"):
        glyphs.sdf_bytes(np.zeros((12, 16), dtype=bool))


def test_encoder_round_trips_through_the_reader() -> None:
    gl = [
        glyphs.Glyph(id=32, bitmap=b"", width=0, height=0, left=0, top=-23, advance=8),
        glyphs.Glyph(id=307, bitmap=bytes(range(7 * 8)), width=1, height=2, left=-2, top=-300, advance=200),
    ]
    name, rng, got = decode(glyphs.encode_glyphs("Test Stack", 256, 511, gl))
    assert (name, rng) == ("Test Stack", "256-511")
    assert got == [
        {"id": 32, "bitmap": b"", "width": 0, "height": 0, "left": 0, "top": -23, "advance": 8},
        {"id": 307, "bitmap": bytes(range(56)), "width": 1, "height": 2, "left": -2, "top": -300, "advance": 200},
    ]


# ---------------------------------------------------------------- reproducibility


def test_generator_reproduces_the_committed_latin1_range(tmp_path: Path) -> None:
    font = glyphs.DEFAULT_FONTS[0]
    if not font.exists():
        pytest.fail(f"{font} is missing: apt-get install fonts-dejavu-core (the font the glyphs were made from)")
    (path,) = glyphs.write_font_stack(font, tmp_path, ranges=[0])
    assert path == tmp_path / mapstyle.TEXT_FONT / "0-255.pbf"
    assert path.read_bytes() == (GLYPHS_DIR / mapstyle.TEXT_FONT / "0-255.pbf").read_bytes()
