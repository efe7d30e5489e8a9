"""All user-facing labels in one table (Dutch first, English second) and Dutch number formatting."""

from __future__ import annotations

import math
from typing import Any, Literal

Lang = Literal["nl", "en"]
DEFAULT_LANG: Lang = "nl"

LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("Buurtdekking jeugdhulp Utrecht", "Youth-care coverage Utrecht"),
    "map_title": ("Kaart", "Map"),
    "indicator": ("Indicator", "Indicator"),
    "legend": ("Legenda", "Legend"),
    "no_data": ("geen gegevens", "no data"),
    "buurt": ("Buurt", "Neighbourhood"),
    "wijk": ("Wijk", "District"),
    "code": ("Code", "Code"),
    "wijk_outline": ("Wijkgrens", "District boundary"),
    "scheme_quantiles": ("kwantielen", "quantiles"),
    "classes_by": ("klassen: {scheme}, {k} klassen", "classes: {scheme}, {k} classes"),
    "source": (
        "Bron: CBS / Kadaster, Wijk- en buurtkaart en Kerncijfers wijken en buurten (CC BY 4.0).",
        "Source: CBS / Kadaster, district and neighbourhood map and key figures (CC BY 4.0).",
    ),
    "atlas_missing": (
        "Er is nog geen atlas. Bouw er een met 'make run' of 'buurtdekking build'.",
        "There is no atlas yet. Build one with 'make run' or 'buurtdekking build'.",
    ),
    "map_alt": (
        "Kaart van de buurten van {gemeente}, gekleurd naar {indicator}.",
        "Map of the neighbourhoods of {gemeente}, coloured by {indicator}.",
    ),
}


def t(key: str, lang: Lang = DEFAULT_LANG, **fmt: object) -> str:
    """The label for ``key`` in ``lang``; placeholders filled from ``fmt``."""
    nl, en = LABELS[key]
    text = nl if lang == "nl" else en
    return text.format(**fmt) if fmt else text


def format_number(value: float | int | None, *, decimals: int = 0, lang: Lang = DEFAULT_LANG) -> str:
    """1234.5 → '1.234,5' in Dutch, '1,234.5' in English; missing → '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def aria(**attrs: str) -> dict[str, Any]:
    """aria-* attributes for Dash components: aria(label="Hoofdmenu") → {"aria-label": "Hoofdmenu"}."""
    return {f"aria-{k.replace('_', '-')}": v for k, v in attrs.items()}
