"""Every number people read, formatted one way: Dutch 1.234,5 (decimal comma), English 1,234.5; missing is '–'."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal, get_args

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "nl"
MISSING = "–"


def as_lang(value: object) -> Lang:
    """``value`` when it names a language the app speaks, else the default (a route, a link or a form may carry anything)."""
    return next((lang for lang in LANGS if lang == value), DEFAULT_LANG)


def format_number(value: object, *, decimals: int = 0, lang: Lang = DEFAULT_LANG, trim: bool = False) -> str:
    """1234.5 → '1.234,5' in Dutch, '1,234.5' in English; None, NaN or no number → '–'.

    ``trim`` drops trailing zeros after the decimal mark (2.50 → '2,5', 2.00 → '2'). A value that rounds to
    zero is shown without its minus sign ('0,0', not '-0,0').
    """
    number = _as_number(value)
    if number is None:
        return MISSING
    # an int through 'f' would go via float and lose digits beyond 2**53
    text = (
        f"{number:,}" + ("." + "0" * decimals if decimals else "")
        if isinstance(number, int)
        else f"{number:,.{decimals}f}"
    )
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and set(text[1:]) <= {"0", ".", ","}:
        text = text[1:]
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_count(value: object, *, lang: Lang = DEFAULT_LANG, marker: str | None = None) -> str:
    """A count in whole numbers ('1.234'); ``marker`` is the text of a protected count (``etl.protect``), shown as given."""
    return marker if marker is not None else format_number(value, decimals=0, lang=lang)


def format_rate(value: object, *, decimals: int = 1, lang: Lang = DEFAULT_LANG, marker: str | None = None) -> str:
    """A rate such as per 1,000 ('12,3'); ``marker`` as for :func:`format_count` (a rate is hidden with its count)."""
    return marker if marker is not None else format_number(value, decimals=decimals, lang=lang)


def format_percent(share: object, *, decimals: int = 0, lang: Lang = DEFAULT_LANG) -> str:
    """A share of 1 as a percentage: 0.667 → '67%' ('66,7%' with one decimal); missing → '–'."""
    number = _as_number(share)
    return MISSING if number is None else f"{format_number(number * 100, decimals=decimals, lang=lang)}%"


def format_points(share_change: object, *, decimals: int = 1, lang: Lang = DEFAULT_LANG) -> str:
    """A change of a share in percentage points: -0.511 → '-51,1 pp'; missing → '–'."""
    number = _as_number(share_change)
    return MISSING if number is None else f"{format_number(number * 100, decimals=decimals, lang=lang)} pp"


def format_minutes(value: object, *, decimals: int = 1, lang: Lang = DEFAULT_LANG) -> str:
    """A travel time: 12.34 → '12,3 min'; missing → '–'."""
    text = format_number(value, decimals=decimals, lang=lang)
    return text if text == MISSING else f"{text} min"


def format_metres(value: object, *, lang: Lang = DEFAULT_LANG) -> str:
    """A distance in whole metres: 1234.4 → '1.234 m'; missing → '–'."""
    text = format_number(value, decimals=0, lang=lang)
    return text if text == MISSING else f"{text} m"


def format_size(n_bytes: int, *, lang: Lang = DEFAULT_LANG) -> str:
    """A file size as people read it: 2,3 MB / 840,0 kB in Dutch (1 MB = 1024 × 1024 bytes, as the upload limit)."""
    if n_bytes >= 100 * 1024:
        whole = n_bytes % (1024 * 1024) == 0
        return f"{format_number(n_bytes / 1024 / 1024, decimals=0 if whole else 1, lang=lang)} MB"
    return f"{format_number(max(n_bytes, 1) / 1024, decimals=1, lang=lang)} kB"


def format_scale_label(metres: int, *, lang: Lang = DEFAULT_LANG) -> str:
    """The end label of a scale bar: '500 m' below a kilometre, whole kilometres as '1 km', else one decimal: '2,5 km'."""
    if metres < 1000:
        return format_metres(metres, lang=lang)
    return f"{format_number(metres / 1000, decimals=0 if metres % 1000 == 0 else 1, lang=lang)} km"


def _as_number(value: object) -> int | float | None:
    """The value as a Python number, or None for None, NaN, pandas' NA and anything that is not a number.

    Integers stay integers so that large counts keep every digit."""
    # the common cases first (numpy's float64 is a float): the abstract-class checks below cost about 0.5 µs a value
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if type(value) is int:
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    return None if math.isnan(number) else number


__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MISSING",
    "Lang",
    "as_lang",
    "format_count",
    "format_metres",
    "format_minutes",
    "format_number",
    "format_percent",
    "format_points",
    "format_rate",
    "format_scale_label",
    "format_size",
]
