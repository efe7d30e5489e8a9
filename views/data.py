"""The atlas as the app sees it: loaded once per worker from its store, read-only, with browser-ready WGS84 geometry."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.store import open_store, store_key
from geodata.crs import RD_NEW, to_wgs84
from views.geometry import BUDGET_GZIP_BYTES, PolygonLayer, cached_layer, view_extent
from views.protection import manifest_threshold, publish_tables_cached

# More features than this in view and the map shows the next coarser level (national scale stays fast).
MAX_FEATURES_IN_VIEW = 2000
# What one view keeps of its derived results, in rows of the frames kept (a national indicator frame is 14,000):
# enough for every indicator slice of a city, a few dozen of a national atlas.
MEMO_BUDGET_ROWS = 400_000
T = TypeVar("T")
LEVEL_KEYS = {
    "buurt": ("buurtcode", "buurtnaam"),
    "wijk": ("wijkcode", "wijknaam"),
    "gemeente": ("gemeentecode", "gemeentenaam"),
}


class Memo:
    """Results derived from one view, kept for the next request that asks the same; least recently used go first.

    The shared view lives as long as its worker, so every user's requests share what it keeps. A session's own
    view (``dataclasses.replace`` of it, with their uploads) starts with an empty one: nothing leaks between them.
    """

    def __init__(self, budget: int = MEMO_BUDGET_ROWS) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()  # gunicorn's threads share the view

    def get(self, key: Hashable, compute: Callable[[], T], *, cost: int = 1) -> T:
        """The value kept under ``key``, else ``compute()`` kept at ``cost`` (rows) within the budget."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]  # type: ignore[no-any-return]
        value = compute()  # outside the lock: two threads may compute the same value once each, never wrongly
        with self._lock:
            if cost <= self.budget and key not in self._items:
                self._items[key] = (value, cost)
                self._used += cost
                while self._used > self.budget:
                    _, (_, gone) = self._items.popitem(last=False)
                    self._used -= gone
        return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0


@dataclass(frozen=True)
class AtlasView:
    """Read-only frames plus precomputed map geometry; callbacks take copies, never mutate."""

    atlas_dir: str  # the store it came from: a directory or a database URL
    token: str
    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    gemeenten: gpd.GeoDataFrame
    tables: dict[str, pd.DataFrame]
    teams: pd.DataFrame  # team_id, naam, organisatie, soort, lon, lat (+ the atlas's other columns)
    manifest: dict[str, Any]
    layers: dict[str, PolygonLayer]  # buurt, wijk and (several gemeenten) gemeente
    center: dict[str, float]
    zoom: float
    # Not an argument, so dataclasses.replace (a session's view with its uploads) gives the copy a fresh one.
    memo: Memo = field(default_factory=Memo, init=False, repr=False, compare=False)

    def frame(self, level: str) -> pd.DataFrame:
        """The attribute frame of a level (gemeente is derived from the buurten)."""
        if level == "buurt":
            return self.buurten
        if level == "wijk":
            return self.wijken
        return self.gemeenten

    def gemeente_name(self) -> str:
        # Kept: every map update names the gemeente in the map's text alternative.
        return self.memo.get(
            ("gemeente_name",), lambda: ", ".join(sorted(set(self.buurten["gemeentenaam"].dropna().astype(str))))
        )

    def is_demo(self) -> bool:
        """True when any layer holds fictitious demo data (the UI then says so)."""
        demo = self.manifest.get("demo")
        if isinstance(demo, bool):
            return demo
        return bool("is_demo" in self.teams.columns and self.teams["is_demo"].fillna(False).astype(bool).any())


def _gemeenten(gdf_buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = ["gemeentecode", "gemeentenaam", "geometry"]
    return gdf_buurten[cols].dissolve(by="gemeentecode", as_index=False, aggfunc="first")


def _with_period_pairs(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A change table (periode_van → periode_tot) gets one 'periode' label, so the period picker covers it."""
    out = dict(tables)
    for name, df in tables.items():
        if {"periode_van", "periode_tot"} <= set(df.columns) and "periode" not in df.columns:
            out[name] = df.assign(periode=df["periode_van"].astype(str) + " → " + df["periode_tot"].astype(str))
    return out


def _teams_wgs(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    teams = layers.get("teams")
    columns = ["team_id", "naam", "organisatie", "soort", "lon", "lat"]
    if not isinstance(teams, gpd.GeoDataFrame) or teams.empty:
        return pd.DataFrame(columns=columns)
    wgs = to_wgs84(teams if teams.crs is not None else teams.set_crs(RD_NEW))
    out = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
    out["lon"] = wgs.geometry.x.round(5)
    out["lat"] = wgs.geometry.y.round(5)
    for c in columns:
        if c not in out:
            out[c] = ""
    return out.reset_index(drop=True)


def build_view(
    atlas_dir: str | Path, *, budget_gzip_bytes: int = BUDGET_GZIP_BYTES, cache_dir: Path | None = None
) -> AtlasView:
    """The view of the atlas in the store ``atlas_dir`` (a directory or a database URL)."""
    atlas = open_store(atlas_dir).read_atlas()
    buurten = atlas["buurten"]
    wijken = atlas["wijken"]
    assert isinstance(buurten, gpd.GeoDataFrame)
    assert isinstance(wijken, gpd.GeoDataFrame)
    if buurten.crs is None or buurten.crs.to_epsg() != 28992:
        buurten = buurten.to_crs(RD_NEW)
    if wijken.crs is None or wijken.crs.to_epsg() != 28992:
        wijken = wijken.to_crs(RD_NEW)
    buurten = buurten.reset_index(drop=True)
    wijken = wijken.reset_index(drop=True)
    gemeenten = _gemeenten(buurten)
    frames: dict[str, gpd.GeoDataFrame] = {"buurt": buurten, "wijk": wijken}
    if len(gemeenten) > 1:
        frames["gemeente"] = gemeenten
    manifest = dict(atlas.manifest)
    layers: dict[str, PolygonLayer] = {}
    for level, frame in frames.items():
        code, name = LEVEL_KEYS[level]
        # A level too big to send whole is sent per view: its budget is per MAX_FEATURES_IN_VIEW features.
        scale = max(1.0, len(frame) / MAX_FEATURES_IN_VIEW)
        layers[level] = cached_layer(
            frame,
            atlas_sha256=str(manifest.get("atlas_sha256", "")),
            level=level,
            code_column=code,
            name_column=name,
            budget_gzip_bytes=int(budget_gzip_bytes * scale),
        )
    center, zoom = view_extent(np.vstack([layers[lv].bounds for lv in layers]))
    raw_tables = {k: v for k, v in atlas.layers.items() if k not in {"buurten", "wijken", "teams"}}
    threshold = manifest_threshold(manifest)
    tables = _with_period_pairs(
        publish_tables_cached(
            raw_tables, atlas_sha256=str(manifest.get("atlas_sha256", "")), threshold=threshold, cache_dir=cache_dir
        )
    )
    return AtlasView(
        atlas_dir=str(atlas_dir),
        token=str(manifest.get("atlas_sha256", "0"))[:12],
        buurten=buurten,
        wijken=wijken,
        gemeenten=gemeenten,
        tables=tables,
        teams=_teams_wgs(dict(atlas.layers)),
        manifest=manifest,
        layers=layers,
        center=center,
        zoom=zoom,
    )


@functools.lru_cache(maxsize=4)
def _cached_view(atlas_dir: str, version: str, cache_dir: Path | None) -> AtlasView:
    return build_view(atlas_dir, cache_dir=cache_dir)


def get_view(atlas_dir: str | Path, *, cache_dir: Path | None = None) -> AtlasView:
    """The view of the atlas in the store ``atlas_dir``; reloaded only when a new build replaced it.

    ``cache_dir``: a cache directory of the caller's own for its published tables, instead of the process's work
    cache (views/cache.py)."""
    return _cached_view(store_key(atlas_dir), open_store(atlas_dir).version(), cache_dir)
