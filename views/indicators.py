"""The indicator registry: one entry per indicator the map, table and exports can show.

A new indicator is one entry here, never a new callback. Entries whose columns the atlas lacks are hidden.
``column`` may contain ``{mode}`` (walk, bike, car): the mode picker then chooses the column.
``source`` says where the values live: ``"units"`` = a column of the ``buurten``/``wijken`` layers;
any other name is a long table ``{source}_buurt`` / ``{source}_wijk`` keyed by code, ``periode`` and
optionally ``soort`` (care type), e.g. ``caseloads`` → ``caseloads_buurt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from etl import atlas_schema as schema
from etl.palette import (
    BLUE,
    BLUISH_GREEN,
    OKABE_ITO,
    ORANGE,
    ORG_COLOURS,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
)
from etl.rules.columns import DEFAULT_PROVIDERS, SOORT_SPECIALIST, TOTAL
from geodata.network import DEFAULT_MODE
from geodata.network import MODES as NETWORK_MODES

Palette = Literal["sequential", "diverging", "categorical"]
Kind = Literal["number", "category"]
Protection = Literal["none", "count", "rate"]
Aggregate = Literal["sum", "mean_youth", "none"]

# Colour-blind-safe ramps (ColorBrewer YlGnBu sequential, PuOr diverging), light to dark.
SEQUENTIAL = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
DIVERGING = ("#b35806", "#e08214", "#fdb863", "#f7f7f7", "#b2abd2", "#8073ac", "#542788")
CATEGORICAL = OKABE_ITO
# The app lists the default mode first (the one coverage is measured in), then the others in the network's order.
MODES = (DEFAULT_MODE, *(m for m in NETWORK_MODES if m != DEFAULT_MODE))


@dataclass(frozen=True)
class Category:
    """One value of a categorical indicator, its label and its fixed colour."""

    value: str
    label_nl: str
    label_en: str
    colour: str

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en


@dataclass(frozen=True)
class Indicator:
    """What to show, where it comes from and how to colour and protect it."""

    key: str
    label_nl: str
    label_en: str
    column: str
    group: str = "population"
    source: str = "units"
    kind: Kind = "number"
    palette: Palette = "sequential"
    categories: tuple[Category, ...] = ()
    decimals: int = 0
    scale: float = 1.0  # shown value = stored value × scale (shares 0–1 → percent)
    unit_nl: str = ""
    unit_en: str = ""
    protection: Protection = "none"
    count_column: str = ""  # for a protected rate: the count whose suppression reason it shares
    aggregate: Aggregate = "sum"  # how buurten combine when a coarser level is not in the atlas
    diverging_mid: float | None = None  # the neutral value of a diverging ramp (e.g. 1.0 for a ratio)
    note_nl: str = ""
    note_en: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    # The atlas column saying how sure the figure is (etl.quality), may contain {mode}; "" = not a travel figure.
    quality: str = ""

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def unit(self, lang: str) -> str:
        return self.unit_nl if lang == "nl" else self.unit_en

    def note(self, lang: str, *, threshold: int) -> str:
        """The note in ``lang``; ``{threshold}`` and ``{below}`` (threshold - 1) are the served atlas's protection."""
        text = self.note_nl if lang == "nl" else self.note_en
        return text.format(threshold=threshold, below=threshold - 1)

    @property
    def has_modes(self) -> bool:
        return "{mode}" in self.column

    @property
    def protected(self) -> bool:
        return self.protection != "none"

    def column_for(self, mode: str | None) -> str:
        return self.column.format(mode=mode or MODES[0]) if self.has_modes else self.column

    def quality_for(self, mode: str | None) -> str:
        return self.quality.format(mode=mode or MODES[0]) if self.quality else ""

    def table(self, level: str) -> str:
        """The atlas layer holding this indicator at ``level`` (buurt | wijk)."""
        if self.source == "units":
            return {"buurt": "buurten", "wijk": "wijken"}.get(level, "")
        return schema.area_table(self.source, level)


# A provider area has its organisation's team colour.
_PROVIDERS = tuple(Category(p, p, p, ORG_COLOURS[p]) for p in DEFAULT_PROVIDERS)
_NOT_SIGNIFICANT = Category("ns", "niet significant", "not significant", "#f7f7f7")
_GI_CLASSES = (
    Category("hot", "hotspot (hoog)", "hot spot (high)", "#b2182b"),
    Category("cold", "coldspot (laag)", "cold spot (low)", "#2166ac"),
    _NOT_SIGNIFICANT,
)
_LISA_CLASSES = (
    Category("HH", "hoog–hoog (cluster)", "high–high (cluster)", "#b2182b"),
    Category("LL", "laag–laag (cluster)", "low–low (cluster)", "#2166ac"),
    Category("HL", "hoog tussen laag", "high among low", "#f4a582"),
    Category("LH", "laag tussen hoog", "low among high", "#92c5de"),
    _NOT_SIGNIFICANT,
)
_SEAM = (
    Category("True", "naad: andere aanbieder sneller", "seam: other provider faster", VERMILLION),
    Category("False", "geen naad", "no seam", "#f0f0f0"),
)
# Referral routes: Okabe–Ito, the buurtteam green as in Utrecht's model, a tie in yellow.
ROUTE_CATEGORIES = (
    Category("buurtteam", "via het buurtteam", "via the buurtteam", BLUISH_GREEN),
    Category("huisarts", "via de huisarts", "via the GP", BLUE),
    Category("jeugdarts", "via de jeugdarts", "via the youth doctor", SKY_BLUE),
    Category("save", "via SAVE (jeugdbescherming)", "via SAVE (child protection)", VERMILLION),
    Category("medisch_specialist", "via een medisch specialist", "via a medical specialist", REDDISH_PURPLE),
    Category("overig", "overig of onbekend", "other or unknown", ORANGE),
    Category("gelijk", "gelijk: twee routes even groot", "tie: two routes equally large", YELLOW),
)
_TRAVEL_NOTE = (
    "Reistijd vanaf het representatieve punt van de buurt, nooit korter dan de gemiddelde afstand binnen de buurt; "
    "methode en betrouwbaarheid staan op de bronnenpagina.",
    "Travel time from the buurt's representative point, never shorter than the mean distance within the buurt; "
    "method and quality are on the sources page.",
)


def _travel(key: str, nl: str, en: str, column: str, target: str) -> Indicator:
    return Indicator(
        key,
        nl,
        en,
        column,
        group="travel",
        decimals=1,
        unit_nl="min",
        unit_en="min",
        aggregate="mean_youth",
        note_nl=_TRAVEL_NOTE[0],
        note_en=_TRAVEL_NOTE[1],
        quality=schema.travel_quality("{mode}", target),
    )


def _coverage(minutes: int) -> Indicator:
    return Indicator(
        f"coverage_bike_{minutes}",
        f"Jeugd binnen {minutes} min fietsen van een buurtteam",
        f"Youth within {minutes} min by bike of a buurtteam",
        schema.coverage("bike", minutes),
        group="travel",
        decimals=0,
        scale=100.0,
        unit_nl="%",
        unit_en="%",
        aggregate="mean_youth",
        quality=schema.travel_quality("bike", "buurtteam"),
    )


REGISTRY: tuple[Indicator, ...] = (
    # population (foundation)
    Indicator(
        "youth_population",
        "Jeugdigen 0–17 jaar (schatting)",
        "Youth aged 0–17 (estimate)",
        "youth_population",
        note_nl="Geschat uit CBS-leeftijdsgroepen: 0–14 + 3/10 × 15–24.",
        note_en="Estimated from CBS age bands: 0–14 + 3/10 × 15–24.",
    ),
    Indicator("inhabitants", "Inwoners", "Inhabitants", "aantal_inwoners"),
    # care data
    Indicator(
        "provider",
        "Aanbieder specialistische jeugdhulp",
        "Specialist youth-care provider",
        "provider",
        group="care",
        kind="category",
        palette="categorical",
        categories=_PROVIDERS,
        aggregate="none",
        note_nl="Contract 2020: KOOS in West, Zuidwest, Leidsche Rijn en Vleuten-De Meern; Spoor030 in de rest.",
        note_en="2020 contract: KOOS in West, Zuidwest, Leidsche Rijn and Vleuten-De Meern; Spoor030 elsewhere.",
    ),
    Indicator(
        "caseload",
        "Jeugdigen in zorg (aantal)",
        "Youth in care (count)",
        "aantal",
        group="care",
        source="caseloads",
        protection="count",
        filters={"soort": TOTAL},
        note_nl="Aantallen 1–{below} worden als <{threshold} getoond (kleine-aantallenbescherming).",
        note_en="Counts of 1–{below} are shown as <{threshold} (small-count protection).",
    ),
    Indicator(
        "caseload_rate",
        "Jeugdigen in zorg per 1.000 jeugdigen",
        "Youth in care per 1,000 youth",
        "rate_per_1000",
        group="care",
        source="caseloads",
        decimals=1,
        protection="rate",
        count_column="aantal",
        aggregate="mean_youth",
        filters={"soort": TOTAL},
        note_nl="Geen cijfer waar het aantal beschermd is.",
        note_en="No figure where the count is protected.",
    ),
    # referral routes
    Indicator(
        "referral_share_buurtteam",
        "Specialistische zorg via het buurtteam",
        "Specialist care via the buurtteam",
        "share_buurtteam",
        group="routes",
        source="referral_summary",
        decimals=0,
        scale=100.0,
        unit_nl="%",
        unit_en="%",
        protection="rate",
        aggregate="mean_youth",
        filters={"soort": SOORT_SPECIALIST},
        note_nl="Aandeel van de jeugdigen in specialistische zorg dat via het buurtteam kwam; beschermd als de aantallen.",
        note_en="Share of the youth in specialist care who came via the buurtteam; protected like the counts.",
    ),
    Indicator(
        "referral_dominant",
        "Meest gebruikte verwijsroute",
        "Most used referral route",
        "dominant",
        group="routes",
        source="referral_summary",
        kind="category",
        palette="categorical",
        categories=ROUTE_CATEGORIES,
        protection="count",
        aggregate="none",
        filters={"soort": SOORT_SPECIALIST},
        note_nl="Alleen waar de gepubliceerde aantallen het beslissen; anders beschermd.",
        note_en="Only where the published counts decide it; otherwise protected.",
    ),
    Indicator(
        "referral_change",
        "Verandering aandeel via het buurtteam",
        "Change in share via the buurtteam",
        "change",
        group="routes",
        source="referral_change",
        palette="diverging",
        decimals=1,
        scale=100.0,
        unit_nl="%-punt",
        unit_en="pp",
        protection="rate",
        aggregate="none",
        filters={"soort": SOORT_SPECIALIST},
        note_nl="Tussen twee perioden, in procentpunten; paars = meer via het buurtteam.",
        note_en="Between two periods, in percentage points; purple = more via the buurtteam.",
    ),
    # hotspots
    Indicator(
        "rate_eb",
        "Zorggebruik per 1.000, gladgestreken (EB)",
        "Care use per 1,000, smoothed (EB)",
        "rate_eb",
        group="hotspots",
        source="hotspots",
        decimals=1,
        aggregate="none",
        protection="rate",
        filters={"soort": TOTAL},
        note_nl="Empirical Bayes: kleine buurten naar het stadsgemiddelde getrokken.",
        note_en="Empirical Bayes: small buurten pulled towards the city mean.",
    ),
    Indicator(
        "rate_seb",
        "Zorggebruik per 1.000, ruimtelijk gladgestreken",
        "Care use per 1,000, spatially smoothed",
        "rate_seb",
        group="hotspots",
        source="hotspots",
        decimals=1,
        aggregate="none",
        protection="rate",
        filters={"soort": TOTAL},
    ),
    Indicator(
        "gi_class",
        "Hotspots (Getis-Ord Gi*)",
        "Hot spots (Getis-Ord Gi*)",
        "gi_class",
        group="hotspots",
        source="hotspots",
        kind="category",
        palette="diverging",
        categories=_GI_CLASSES,
        aggregate="none",
        filters={"soort": TOTAL},
    ),
    Indicator(
        "lisa_class",
        "Clusters (lokale Moran's I)",
        "Clusters (local Moran's I)",
        "lisa_class",
        group="hotspots",
        source="hotspots",
        kind="category",
        palette="diverging",
        categories=_LISA_CLASSES,
        aggregate="none",
        filters={"soort": TOTAL},
    ),
    Indicator(
        "change_rate",
        "Verandering zorggebruik per 1.000 (EB)",
        "Change in care use per 1,000 (EB)",
        "change_abs",
        group="hotspots",
        source="hotspots_change",
        palette="diverging",
        decimals=1,
        aggregate="none",
        protection="rate",
        filters={"soort": TOTAL},
        note_nl="Tussen twee perioden; paars = toename, oranje = afname.",
        note_en="Between two periods; purple = increase, orange = decrease.",
    ),
    Indicator(
        "change_class",
        "Hotspots van verandering (Gi*)",
        "Hot spots of change (Gi*)",
        "change_class",
        group="hotspots",
        source="hotspots_change",
        kind="category",
        palette="diverging",
        categories=_GI_CLASSES,
        aggregate="none",
        filters={"soort": TOTAL},
    ),
    # travel, coverage and access
    _travel(
        "tt_buurtteam",
        "Reistijd naar buurtteam",
        "Travel time to buurtteam",
        schema.travel_time("buurtteam", "{mode}"),
        "buurtteam",
    ),
    _travel(
        "tt_spec_contract",
        "Reistijd naar gecontracteerd specialistisch team",
        "Travel time to contracted specialist team",
        schema.travel_time("spec_contract", "{mode}"),
        "spec_contract",
    ),
    _travel(
        "tt_spec_any",
        "Reistijd naar dichtstbijzijnd specialistisch team",
        "Travel time to nearest specialist team",
        schema.travel_time("spec_any", "{mode}"),
        "spec_any",
    ),
    Indicator(
        "seam",
        "Naad: team van andere aanbieder sneller",
        "Seam: other provider's team faster",
        schema.seam("{mode}"),
        group="travel",
        kind="category",
        palette="categorical",
        categories=_SEAM,
        aggregate="none",
        quality=schema.travel_quality("{mode}"),
    ),
    _coverage(10),
    _coverage(15),
    _coverage(20),
    Indicator(
        "access_e2sfca",
        "Toegang tot zorgcapaciteit (E2SFCA)",
        "Access to care capacity (E2SFCA)",
        "access_e2sfca",
        group="travel",
        decimals=2,
        aggregate="mean_youth",
        quality=schema.travel_quality("bike", "buurtteam"),
    ),
    Indicator(
        "access_e2sfca_rel",
        "Toegang t.o.v. stadsgemiddelde",
        "Access relative to city mean",
        "access_e2sfca_rel",
        group="travel",
        palette="diverging",
        decimals=2,
        aggregate="mean_youth",
        diverging_mid=1.0,
        quality=schema.travel_quality("bike", "buurtteam"),
        note_nl="1 = stadsgemiddelde; boven 1 betere toegang.",
        note_en="1 = city mean; above 1 better access.",
    ),
)
BY_KEY = {ind.key: ind for ind in REGISTRY}
DEFAULT_INDICATOR = "youth_population"
GROUP_LABELS = {
    "population": ("Bevolking", "Population"),
    "care": ("Zorg", "Care"),
    "routes": ("Verwijzing", "Referral routes"),
    "hotspots": ("Hotspots", "Hot spots"),
    "travel": ("Reistijd en toegang", "Travel and access"),
}
