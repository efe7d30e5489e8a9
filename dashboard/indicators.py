"""The indicator registry: one entry per indicator the map, table and exports can show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Palette = Literal["sequential", "diverging", "categorical"]

# Colour-blind-safe ramps (ColorBrewer YlGnBu / PuOr), light to dark; indexed by number of classes.
SEQUENTIAL = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
DIVERGING = ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788")
NO_DATA_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Indicator:
    """What to show, where it comes from and how to colour and protect it."""

    key: str
    label_nl: str
    label_en: str
    column: str
    layer: str = "buurten"
    palette: Palette = "sequential"
    decimals: int = 0
    unit_nl: str = ""
    unit_en: str = ""
    protected: bool = False
    note_nl: str = ""
    note_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def available(self, df: pd.DataFrame) -> bool:
        return self.column in df.columns and bool(df[self.column].notna().any())


REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "youth_population",
        "Jeugdigen 0–17 jaar (schatting)",
        "Youth aged 0–17 (estimate)",
        "youth_population",
        note_nl="Geschat uit CBS-leeftijdsgroepen: 0–14 + 3/10 × 15–24.",
        note_en="Estimated from CBS age bands: 0–14 + 3/10 × 15–24.",
    ),
    Indicator("inhabitants", "Inwoners", "Inhabitants", "aantal_inwoners"),
)
BY_KEY = {ind.key: ind for ind in REGISTRY}
DEFAULT_INDICATOR = "youth_population"


def available_indicators(df: pd.DataFrame) -> list[Indicator]:
    """The registry entries whose column this atlas actually has."""
    return [ind for ind in REGISTRY if ind.available(df)]
