"""What one export shows: the protected table of a view, its map geometry, legend and lineage (pure data)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import geopandas as gpd

from etl.palette import LegendEntry
from geodata.codes import Level
from views.indicators import Kind, Protection
from views.state import UnitLevel

FORMATS = ("pdf", "png", "xlsx", "csv", "gpkg")
UNIT_COLUMNS = ("code", "naam", "waarde", "weergave", "status", "kleur")
QUALITY_COLUMN = "kwaliteit"  # optional: how sure a travel figure is, per unit
DEMO_COLOUR = "#b00020"  # the FICTIEVE DEMODATA mark on an exported map and PDF


@dataclass(frozen=True)
class Snapshot:
    """Everything an export writer needs, already protected; writers only lay it out.

    ``units`` holds the units the view shows (buurten or wijken of the area, EPSG:28992) with columns
    ``code, naam, waarde, weergave, status, kleur`` (and ``wijkcode, wijknaam`` for buurten): ``waarde`` is
    the value after small-count protection (NaN where suppressed or missing), ``weergave`` the text a
    user sees (``<5`` where suppressed), ``kleur`` the map colour. A travel figure adds ``kwaliteit``: how
    sure each value is (network, far snap, estimate, unreachable, as text); ``quality_notes`` say it in
    words for the legend and the method (e.g. that every value is a straight-line estimate).
    """

    area_code: str
    area_name: str
    area_level: Level
    unit_level: UnitLevel
    indicator_key: str
    indicator_label: str
    units: gpd.GeoDataFrame
    legend: tuple[LegendEntry, ...]
    legend_title: str = ""
    indicator_unit: str = ""
    kind: Kind = "number"
    decimals: int = 0
    protection: Protection = "none"
    context: gpd.GeoDataFrame | None = None  # outlines drawn over the units (wijken), columns code, naam
    teams: gpd.GeoDataFrame | None = None  # points: naam, organisatie, soort
    highlight: str = ""  # the code of a selected unit, outlined on the map
    key_figures: tuple[tuple[str, str], ...] = ()
    method: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    boundary_year: str = ""
    # The gemeente the area lies in; every export table repeats it per row with the boundary year, so a file
    # still says which codes it holds once its Toelichting is gone (copied rows, a join in QGIS).
    gemeente_code: str = ""
    gemeente_name: str = ""
    data_date: str = ""
    protection_note: str = ""
    permalink: str = ""
    is_demo: bool = False
    lineage: tuple[tuple[str, str], ...] = ()
    attribution: str = "Bron: CBS / Kadaster, Wijk- en buurtkaart (CC BY 4.0)."
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    threshold: int = 5
    quality_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        missing = [c for c in UNIT_COLUMNS if c not in self.units.columns]
        if missing:
            raise ValueError(f"snapshot units lack columns {missing}")
        if self.units.crs is None or self.units.crs.to_epsg() != 28992:
            raise ValueError("snapshot units must be in EPSG:28992 (RD New)")
        # Wijk and buurt codes start with their gemeente's four digits: an area lies in exactly one gemeente.
        if self.gemeente_code and self.gemeente_code[2:6] != self.area_code[2:6]:
            raise ValueError(f"area {self.area_code} does not lie in gemeente {self.gemeente_code}")

    @property
    def title(self) -> str:
        return f"{self.indicator_label} — {self.area_name} ({self.area_code})"

    @property
    def period(self) -> str:
        return dict(self.parameters).get("Periode", "")

    @property
    def boundary_year_number(self) -> int | None:
        """The boundary year as a number (a column QGIS and Excel can filter on), None when unknown."""
        text = self.boundary_year.strip()
        return int(text) if text.isdigit() else None


_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-")[:40] or "x"


def export_filename(*, area: str, indicator: str, fmt: str, period: str = "", day: dt.date | None = None) -> str:
    """``buurtdekking_<area>_<indicator>[_<period>]_<YYYY-MM-DD>.<fmt>``: safe on every file system."""
    day = day or dt.datetime.now(dt.UTC).date()
    parts = ["buurtdekking", _slug(area), _slug(indicator)]
    if period:
        parts.append(_slug(period))
    parts.append(day.isoformat())
    return "_".join(parts) + "." + fmt


def snapshot_filename(snapshot: Snapshot, fmt: str) -> str:
    return export_filename(
        area=snapshot.area_code,
        indicator=snapshot.indicator_key,
        fmt=fmt,
        period=snapshot.period,
        day=snapshot.created.date(),
    )
