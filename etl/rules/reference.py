"""What inputs are checked against: the buurten and wijken of one boundary year (from the atlas or the boundaries)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import pandas as pd
import shapely

from geodata.codes import Level
from geodata.geocode import Geocoder
from geodata.postcodes import PostcodeTable

# The boundaries are generalised by tens of metres; a team this close outside still counts as inside.
OUTSIDE_TOLERANCE_M = 150.0


@dataclass(frozen=True, eq=False)
class CareReference:
    """Buurten (RD New) with codes and names, their wijken, the boundary year and where they came from.

    Teams by address also need ``postcodes`` (the PC4 centroid table) and, only when the user asked for it,
    a ``geocoder`` (PDOK): the one service a check may call out to.
    """

    buurten: gpd.GeoDataFrame
    wijken: pd.DataFrame
    year: int | None = None
    source: str = ""
    postcodes: PostcodeTable | None = None
    geocoder: Geocoder | None = None

    @classmethod
    def from_frames(
        cls,
        gdf_buurten: gpd.GeoDataFrame,
        gdf_wijken: pd.DataFrame | None = None,
        *,
        year: int | None = None,
        source: str = "",
    ) -> CareReference:
        buurten = (
            gdf_buurten if gdf_buurten.crs is None or gdf_buurten.crs.to_epsg() == 28992 else gdf_buurten.to_crs(28992)
        )
        if gdf_wijken is None:
            cols = [c for c in ("wijkcode", "wijknaam") if c in buurten.columns]
            gdf_wijken = pd.DataFrame(buurten[cols]).drop_duplicates("wijkcode").reset_index(drop=True)
        return cls(buurten=buurten, wijken=gdf_wijken, year=year, source=source)

    def with_places(self, *, postcodes: PostcodeTable | None, geocoder: Geocoder | None = None) -> CareReference:
        """This reference with the services that place teams by postcode or address."""
        return replace(self, postcodes=postcodes, geocoder=geocoder)

    def names(self, level: Level) -> dict[str, object]:
        """Code → name of the buurten or wijken."""
        frame, code, name = (
            (self.buurten, "buurtcode", "buurtnaam") if level == "buurt" else (self.wijken, "wijkcode", "wijknaam")
        )
        names = frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        return {str(c): (n if isinstance(n, str) else None) for c, n in zip(frame[code], names, strict=True)}

    @cached_property
    def wijk_of(self) -> dict[str, str]:
        return dict(zip(self.buurten["buurtcode"].astype(str), self.buurten["wijkcode"].astype(str), strict=True))

    @cached_property
    def area(self) -> shapely.Geometry:
        """The gemeente(n): the union of all buurten."""
        return shapely.union_all(self.buurten.geometry.to_numpy())

    @cached_property
    def area_tolerant(self) -> shapely.Geometry:
        return shapely.buffer(self.area, OUTSIDE_TOLERANCE_M)

    @cached_property
    def inhabited(self) -> pd.Series:
        """Per buurtcode: does anyone live there? (inhabitants or youth > 0; unknown counts as inhabited)."""
        b = self.buurten
        idx = b["buurtcode"].astype(str)
        if "aantal_inwoners" in b.columns:
            people = pd.to_numeric(b["aantal_inwoners"], errors="coerce")
        elif "youth_population" in b.columns:
            people = pd.to_numeric(b["youth_population"], errors="coerce")
        else:
            people = pd.Series(float("nan"), index=b.index)
        water = b["water"].fillna(False).astype(bool) if "water" in b.columns else pd.Series(False, index=b.index)
        living = (people.isna() | (people > 0)) & ~(water & people.isna())
        return pd.Series(living.to_numpy(dtype=bool), index=idx.to_numpy())

    def describe(self) -> str:
        year = f" {self.year}" if self.year else ""
        return (
            f"{len(self.buurten)} buurten{year} ({self.source})"
            if self.source
            else f"{len(self.buurten)} buurten{year}"
        )
