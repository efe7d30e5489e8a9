"""The build: load and validate sources → join → metrics → write the atlas atomically with its manifest."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl import config
from etl.atlas import Atlas, input_record, package_versions
from etl.care import CareOptions, add_care
from etl.hotspots import HotspotOptions, add_hotspots
from etl.join import fill_wijknaam_on_buurten, join_statistics
from etl.population import METHOD_COUNTS, estimate_youth
from etl.progress import step
from etl.reach import add_travel
from etl.store import open_store
from etl.travel import TravelOptions
from geodata.cbs import read_boundaries
from geodata.errors import InputError
from geodata.network import describe
from geodata.statistics import read_statistics, statistics_year


@dataclass(frozen=True)
class BuildOptions:
    """Everything `buurtdekking build` can be told; None means 'the default from the data directory'."""

    boundaries: Path | None = None
    statistics: Path | None = None
    gemeenten: Sequence[str] = (config.DEFAULT_GEMEENTE,)
    data_dir: Path | None = None
    layer: str | None = None
    crs: str | None = None
    year: int | None = None
    no_statistics: bool = False
    progress: bool = True
    extra_notes: list[str] = field(default_factory=list)
    hotspots: HotspotOptions = field(default_factory=HotspotOptions)
    travel: TravelOptions = field(default_factory=TravelOptions)
    care: CareOptions = field(default_factory=CareOptions)


def _resolve_inputs(opts: BuildOptions) -> tuple[Path, Path | None]:
    root = config.data_dir(opts.data_dir)
    boundaries = opts.boundaries or root / config.DEFAULT_BOUNDARIES
    if not Path(boundaries).exists():
        hint_nl = (
            "Geef --boundaries, zet --data-dir/BUURTDEKKING_DATA, of haal ze op met "
            "'buurtdekking fetch-boundaries --year 2024' (internet nodig)."
        )
        hint_en = (
            "Pass --boundaries, set --data-dir/BUURTDEKKING_DATA, or download them with "
            "'buurtdekking fetch-boundaries --year 2024' (needs internet)."
        )
        raise InputError.single(
            "BOUNDARIES_MISSING",
            f"Grenzenbestand '{boundaries}' niet gevonden. {hint_nl}",
            f"Boundary file '{boundaries}' not found. {hint_en}",
            file=boundaries,
        )
    if opts.no_statistics:
        return Path(boundaries), None
    if opts.statistics:
        return Path(boundaries), Path(opts.statistics)
    # The default statistics only belong with the default boundaries (same gemeente and year).
    default_stats = root / config.DEFAULT_STATISTICS
    if opts.boundaries is None and default_stats.exists():
        return Path(boundaries), default_stats
    return Path(boundaries), None


def build_atlas(opts: BuildOptions) -> Atlas:
    """Read, validate and combine all inputs into an in-memory Atlas (nothing is written here)."""
    started = time.perf_counter()
    boundaries_path, statistics_path = _resolve_inputs(opts)
    inputs = [input_record("boundaries", boundaries_path)]
    notes = list(opts.extra_notes)

    with step(f"Grenzen lezen / reading boundaries ({boundaries_path.name})", enabled=opts.progress):
        bnd = read_boundaries(
            boundaries_path, layer=opts.layer, gemeenten=opts.gemeenten, assume_crs=opts.crs, year=opts.year
        )
    notes += bnd.notes
    gdf_buurten: gpd.GeoDataFrame = bnd.buurten
    gdf_wijken: gpd.GeoDataFrame = bnd.wijken
    stats_meta: dict[str, object] | None = None

    if statistics_path is not None:
        inputs.append(input_record("statistics", statistics_path))
        with step(f"Kerncijfers koppelen / joining statistics ({statistics_path.name})", enabled=opts.progress):
            df_stats = read_statistics(statistics_path, gemeenten=opts.gemeenten)
            gdf_buurten, b_notes = join_statistics(gdf_buurten, df_stats, key="buurtcode")
            gdf_wijken, w_notes = join_statistics(gdf_wijken, df_stats, key="wijkcode")
        notes += b_notes + w_notes
        stats_meta = {"file": statistics_path.name, "year": statistics_year(statistics_path), "rows": len(df_stats)}

    gdf_buurten = fill_wijknaam_on_buurten(gdf_buurten, gdf_wijken)
    gdf_buurten = estimate_youth(gdf_buurten)
    gdf_wijken = estimate_youth(gdf_wijken)
    gdf_wijken = _wijk_youth_from_buurten(gdf_wijken, gdf_buurten)

    manifest = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "gemeenten": list(opts.gemeenten),
        "cbs_year": bnd.year,
        "boundaries": {"family": bnd.family, "layers": bnd.layers, "source": boundaries_path.name},
        "statistics": stats_meta,
        "inputs": inputs,
        "methods": {"youth_population": _youth_method(gdf_buurten)},
        "packages": package_versions(),
        "notes": notes,
    }
    atlas = Atlas({"buurten": gdf_buurten, "wijken": gdf_wijken}, manifest)
    for label, add in STEPS:
        with step(label, enabled=opts.progress):
            atlas = add(atlas, opts)
    return atlas.with_manifest(build_seconds=round(time.perf_counter() - started, 3))


# Later stages, in order. Each takes the atlas so far and returns a new one (layers and manifest
# entries added); each reads its own options from BuildOptions. One line per stage.
Step = Callable[[Atlas, BuildOptions], Atlas]
STEPS: tuple[tuple[str, Step], ...] = (
    ("Zorggegevens: teams, aanbieders, caseloads / care data: teams, providers, caseloads", add_care),
    ("Hotspots (Gi*, lokale Moran) / hotspots (Gi*, local Moran)", add_hotspots),
    ("Reistijd, bereik en toegang / travel, coverage and access", add_travel),
)


def _wijk_youth_from_buurten(gdf_wijken: gpd.GeoDataFrame, gdf_buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Where no wijk-level statistics exist, a wijk's youth is the sum of its buurten."""
    sums = gdf_buurten.groupby("wijkcode")["youth_population"].sum(min_count=1)
    out = gdf_wijken.copy()
    fill = out["youth_population"].isna() & out["wijkcode"].map(sums).notna()
    out["youth_population"] = out["youth_population"].fillna(out["wijkcode"].map(sums).astype("float64"))
    out["youth_population_method"] = out["youth_population_method"].mask(fill, "som van buurten/sum of buurten")
    return out


def _youth_method(gdf_buurten: pd.DataFrame) -> dict[str, object]:
    counts = gdf_buurten["youth_population_method"].value_counts(dropna=False)
    return {
        "column": "youth_population",
        "is_estimate": True,
        "description": METHOD_COUNTS,
        "buurten_per_method": {str(k): int(v) for k, v in counts.items()},
    }


def run_build(opts: BuildOptions, out: str | os.PathLike[str]) -> str:
    """Build and write into the store ``out`` (a directory or a database URL); the previous atlas survives any failure."""
    started = time.perf_counter()
    store = open_store(out)
    store.version()  # a bad URL or an unreachable database stops the build before it starts, not after
    atlas = build_atlas(opts)
    with step(f"Atlas schrijven / writing atlas ({store.location})", enabled=opts.progress):
        atlas = atlas.with_manifest(build_seconds=round(time.perf_counter() - started, 3))
        path = store.write_atlas(atlas.layers, atlas.manifest, files=atlas.files, validate=True)
    if opts.progress:
        # Repaired geometries, unmatched codes and the like: worth a look, not worth failing the build.
        for note in atlas.manifest.get("notes", []):
            print(f"  let op / note: {note}", file=sys.stderr)
        for line in describe((atlas.manifest.get("methods", {}).get("travel") or {}).get("network")):
            print(f"  {line}", file=sys.stderr)
    return path
