"""The default (demo) Utrecht atlas: hotspot tables and map layers for both periods, protected where published."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest

from etl.atlas import read_atlas
from etl.hotspots import DEFAULT_SEED, layer_name, protected_change, protected_hotspots

pytestmark = pytest.mark.integration


def test_demo_atlas_has_hotspot_layers_for_both_periods(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["buurten", "caseloads_buurt", "hotspots_buurt", "hotspots_change_buurt"])
    method = atlas.manifest["methods"]["hotspots"]
    assert method["status"] == "computed"
    periods = sorted(atlas["caseloads_buurt"]["periode"].astype(str).unique())
    assert len(periods) == 2
    names = {str(n) for n, _ in pyogrio.list_layers(default_atlas / "atlas.gpkg")}
    assert {layer_name(p) for p in periods} | {layer_name("change", *periods)} <= names
    for periode in periods:
        layer = read_atlas(default_atlas, layers=[layer_name(periode)])[layer_name(periode)]
        assert len(layer) == len(atlas["buurten"]) == 111
        assert layer.crs.to_epsg() == 28992
        assert set(layer["totaal_gi_class"].dropna()) <= {"hot", "cold", "ns"}
        assert set(layer["totaal_lisa_class"].dropna()) <= {"HH", "LL", "HL", "LH", "ns"}
        assert not [c for c in layer.columns if c.endswith(("_gi_p", "_gi_z", "_lisa_i", "_lisa_p"))]
    hb = atlas["hotspots_buurt"]
    assert len(hb) == 111 * 2 * 5
    # Buurten without youth are kept and say why; every other buurt is tested in every family.
    assert set(hb.loc[hb["gi_class"].isna(), "reason"]) == {"no_youth"}
    assert (method["permutations"], method["seed"], method["correction"]) == (999, DEFAULT_SEED, "fdr")
    assert {"method", "weights", "permutations", "seed", "alpha", "correction"} <= set(method)


def test_published_hotspot_numbers_never_give_back_a_small_count(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["caseloads_buurt", "hotspots_buurt", "hotspots_change_buurt"])
    hb = atlas["hotspots_buurt"]
    public = protected_hotspots(hb)
    assert public["suppressed"].any()  # the demo has small counts, so this is a real check
    # A published raw rate times the (public) youth population is the count: never 1–4.
    implied = (public["rate_raw"] * hb["youth_population"] / 1000).round()
    assert not implied.between(1, 4).any()
    assert public.loc[public["suppressed"], ["rate_raw", "rate_eb", "rate_seb"]].isna().all().all()
    change = protected_change(atlas["hotspots_change_buurt"])
    assert change.loc[change["suppressed"], ["change_abs", "change_rel"]].isna().all().all()
    shown = ~public["suppressed"] & hb["reason"].isna().to_numpy()
    assert np.isfinite(public.loc[shown, "rate_eb"]).all()
