"""Bytes of a text table to text: the encodings Dutch Excel writes, decided by BOM and strict decoding; the delimiter.

Excel's "CSV UTF-8" is UTF-8 with a BOM, "CSV (puntkomma)" Windows-1252 and "Unicode-tekst" UTF-16 LE with a
BOM (tab-separated). A BOM decides; without one, UTF-8 is tried strictly and then Windows-1252, which reads
every byte but five. Nothing is guessed beyond that: a wrong guess would silently change names, and a clear
FILE_ENCODING message is better (so no charset detector is used).
"""

from __future__ import annotations

import codecs
import csv

from geodata.errors import InputError, Problem

DELIMITERS = (";", ",", "\t", "|")
# Longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (Unicode-tekst)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (Unicode-tekst)"),
)


def _binary(name: str, hint_nl: str = "", hint_en: str = "") -> InputError:
    return InputError(
        Problem(
            "FILE_BINARY",
            f"Het bestand is binair, geen tekst-CSV.{hint_nl} Sla het op als CSV (UTF-8) of XLSX.",
            f"The file is binary, not a text CSV.{hint_en} Save it as CSV (UTF-8) or XLSX.",
            name,
        )
    )


def _encoding(name: str, nl: str, en: str) -> InputError:
    return InputError(Problem("FILE_ENCODING", nl, en, name))


def _looks_utf16(data: bytes) -> bool:
    head = data[:4096]
    half = max(1, len(head) // 2)
    return head[1::2].count(0) > 0.4 * half or head[0::2].count(0) > 0.4 * half


def decode_text(data: bytes, *, name: str) -> str:
    """The text of a CSV: by its BOM (UTF-8, UTF-16, UTF-32), else strict UTF-8, else Windows-1252."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise _encoding(
                    name,
                    f"Het bestand begint als {label} maar is verderop niet als {label} te lezen (byte {exc.start}); "
                    "is het afgebroken of beschadigd? Sla het opnieuw op.",
                    f"The file starts as {label} but cannot be read as {label} further on (byte {exc.start}); "
                    "was it cut off or damaged? Save it again.",
                ) from exc
            if "\x00" in text:
                raise _binary(name)
            return text
    if b"\x00" in data:
        if _looks_utf16(data):
            raise _binary(name, " Het lijkt UTF-16 zonder BOM.", " It looks like UTF-16 without a BOM.")
        raise _binary(name)
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise _encoding(
        name,
        "De tekencodering is niet te lezen (verwacht UTF-8, UTF-16 met BOM of Windows-1252).",
        "The character encoding cannot be read (expected UTF-8, UTF-16 with a BOM or Windows-1252).",
    )


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the header and the first lines into the same number of fields."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1
    for delim in DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delim)]
        if widths[0] < 2:
            continue
        score = widths[0] * 10 + sum(w == widths[0] for w in widths)
        if score > best_score:
            best, best_score = delim, score
    return best
