"""NWB Wegen (Rijkswaterstaat's *Nationaal Wegenbestand*, wegvakken): one edge per wegvak between its junctions.

Recognised by ``WVK_ID`` and ``BST_CODE`` (any case: Rijkswaterstaat's shapefile is upper case, PDOK's
GeoPackage lower case); ``JTE_ID_BEG``/``JTE_ID_END`` are the node ids, ``RIJRICHTNG`` the direction and
``WEGBEHSRT`` the road manager (R rijk, P provincie, G gemeente, W waterschap, T overig). Sources: NDW,
*Handleiding NWB* (baansubsoort; NWB-wegen productbeschrijving) and the BST code list as published with
NWB Wegen. Modes per ``BST_CODE`` (the table :data:`BST` below; docs/INPUTS.md "Wegennetwerk / street network"):

* roads (RB rijbaan — since 2020 the default, blank before —, HR hoofdrijbaan, PAR parallelweg, MRB/NRB/TRB
  roundabouts, DST doorsteek, YYY overig): car, bike and walk; on a **rijksweg** (WEGBEHSRT R: motorways
  and *autowegen*) car only.
* VWG ventweg (an access road beside a main road): car, bike and walk, also beside a rijksweg.
* ramps and connectors (OPR toerit, AFR afrit, VBD/VBI/VBS/VBR/VBK/VBW verbindingsweg, PST puntstuk,
  TN tussenbaan): car only — they join *autowegen* and motorways, which bikes and pedestrians may not use.
* parking and service roads (PP, PC, PR parkeerplaats; PKP, PKB, BST verzorgingsbaan): car, bike and walk;
  on a rijksweg car only.
* FP fietspad: bike and walk (RVV 1990 art. 4, as for OSM cycleways); VP voetpad: walk; RP ruiterpad: walk
  (as OSM bridleways).
* BU busbaan, OVB OV-baan, CADO calamiteitendoorgang, VV vliegverkeer, VD veerdienst: no mode.

``RIJRICHTNG`` H (heen) = along the digitised line only, T (terug) = against it only, B (beide) or O
(onbekend) or blank = both; it holds for cars and, since NWB does not say where bikes are exempt, bikes
too; never on foot. NWB has no speeds: car speeds come from NDW's maximum speeds when given
(``--network-speeds``, :mod:`geodata.roads.nwb_speeds`), else from the road manager and class (table
:data:`MANAGER_KMH`), and the network's notes say which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.errors import InputError
from geodata.roads.junctions import edges_between_ids, line_ends
from geodata.roads.linefile import column_map, found_columns, whole_number_problems
from geodata.roads.model import Rule, StreetNetwork

REQUIRED = ("wvk_id", "jte_id_beg", "jte_id_end", "bst_code", "rijrichtng", "wegbehsrt")


@dataclass(frozen=True)
class BstClass:
    """What one BST_CODE (baansubsoort) stands for and who may use it."""

    nl: str
    en: str
    kind: str  # road, access, ramp, service, cycle, foot, none

    def modes(self, manager: str) -> tuple[bool, bool, bool]:
        """(walk, bike, car) allowed on this class under this road manager."""
        if self.kind in {"road", "service"}:
            return (False, False, True) if manager == "R" else (True, True, True)
        return {
            "access": (True, True, True),
            "ramp": (False, False, True),
            "cycle": (True, True, False),
            "foot": (True, False, False),
        }.get(self.kind, (False, False, False))


BST: Mapping[str, BstClass] = {
    "RB": BstClass("rijbaan", "carriageway", "road"),
    "": BstClass("geen code (NWB vóór 2020: rijbaan)", "no code (NWB before 2020: carriageway)", "road"),
    "HR": BstClass("hoofdrijbaan", "main carriageway", "road"),
    "PAR": BstClass("parallelweg", "parallel road", "road"),
    "MRB": BstClass("minirotondebaan", "mini roundabout", "road"),
    "NRB": BstClass("rotondebaan", "roundabout", "road"),
    "TRB": BstClass("turborotondebaan", "turbo roundabout", "road"),
    "DST": BstClass("doorsteek", "cut-through", "road"),
    "YYY": BstClass("overig", "other", "road"),
    "VWG": BstClass("ventweg", "service road beside a main road", "access"),
    "OPR": BstClass("toerit", "on-ramp", "ramp"),
    "AFR": BstClass("afrit", "off-ramp", "ramp"),
    "VBD": BstClass("verbindingsweg direct", "direct connector", "ramp"),
    "VBI": BstClass("verbindingsweg indirect", "indirect connector", "ramp"),
    "VBS": BstClass("verbindingsweg semi-direct", "semi-direct connector", "ramp"),
    "VBR": BstClass("verbindingsweg rangeerbaan", "collector-distributor lane", "ramp"),
    "VBK": BstClass("verbindingsweg kortsluitend", "short-circuit connector", "ramp"),
    "VBW": BstClass("verbindingsweg overig", "other connector", "ramp"),
    "PST": BstClass("puntstuk", "gore", "ramp"),
    "TN": BstClass("tussenbaan", "link between slip roads", "ramp"),
    "PP": BstClass("parkeerplaats", "car park", "service"),
    "PC": BstClass("carpoolplaats", "car-pool car park", "service"),
    "PR": BstClass("P+R-terrein", "park and ride", "service"),
    "PKP": BstClass("verzorgingsbaan parkeerplaats", "slip road to a car park", "service"),
    "PKB": BstClass(
        "verzorgingsbaan parkeerplaats bij tankstation", "slip road to a car park at a filling station", "service"
    ),
    "BST": BstClass("verzorgingsbaan tankstation", "slip road to a filling station", "service"),
    "FP": BstClass("fietspad", "cycle path", "cycle"),
    "VP": BstClass("voetpad", "footpath", "foot"),
    "RP": BstClass("ruiterpad", "bridleway", "foot"),
    "BU": BstClass("busbaan", "bus lane", "none"),
    "OVB": BstClass("OV-baan", "public-transport lane", "none"),
    "CADO": BstClass("calamiteitendoorgang", "emergency passage", "none"),
    "VV": BstClass("vliegverkeer", "air traffic", "none"),
    "VD": BstClass("veerdienst", "ferry", "none"),
}
# Car km/h by road manager where no NDW speed is known; None = the urban default (--car-kmh, 30).
MANAGER_KMH: Mapping[str, float | None] = {"R": 100.0, "P": 80.0, "W": 60.0, "G": None, "T": None}
KIND_KMH: Mapping[str, float] = {"ramp": 50.0, "service": 15.0}
ROUNDABOUT_KMH = 30.0  # MRB, NRB, TRB: whoever manages it, a roundabout is taken at about 30 km/h
_DIRECTION = {"H": (True, False), "T": (False, True), "B": (True, True), "O": (True, True), "": (True, True)}


def _code(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip().str.upper().replace({"NAN": "", "NONE": ""})


def _rule(bst: str, rijrichting: str, manager: str) -> Rule | None:
    cls = BST.get(bst)
    if cls is None:
        return None
    walk, bike, car = cls.modes(manager)
    if not (walk or bike or car):
        return None
    fw, bw = _DIRECTION.get(rijrichting, (True, True))
    flags = (walk, walk, bike and fw, bike and bw, car and fw, car and bw)
    if bst in {"MRB", "NRB", "TRB"}:
        kmh: float | None = ROUNDABOUT_KMH
    else:
        kmh = KIND_KMH.get(cls.kind, MANAGER_KMH.get(manager) if cls.kind == "road" else None)
    return f"nwb:{bst or 'RB'}", math.nan if kmh is None else kmh, flags


def _check_columns(gdf: gpd.GeoDataFrame, cols: Mapping[str, str], path: Path) -> None:
    missing = [c.upper() for c in REQUIRED if c not in cols]
    if missing:
        raise InputError.single(
            "NETWORK_NWB_COLUMNS",
            f"'{path.name}' lijkt NWB Wegen (WVK_ID, BST_CODE), maar mist {', '.join(missing)}. Gevonden kolommen: {found_columns(gdf)}.",
            f"'{path.name}' looks like NWB Wegen (WVK_ID, BST_CODE) but lacks {', '.join(missing)}. Columns found: {found_columns(gdf)}.",
            file=path,
        )
    problems = whole_number_problems(gdf, (cols["jte_id_beg"], cols["jte_id_end"], cols["wvk_id"]), path)
    if problems:
        raise InputError(problems)


def _counts(values: pd.Series) -> str:
    return ", ".join(f"'{k}' ({v})" for k, v in values.value_counts().items())


def read_nwb(
    gdf: gpd.GeoDataFrame, path: Path, *, speeds: pd.Series | None = None, speeds_name: str | None = None
) -> StreetNetwork:
    """NWB wegvakken → network; ``speeds`` (km/h by WVK_ID, from :func:`read_nwb_speeds`) give car speeds where known."""
    cols = column_map(gdf.columns)
    _check_columns(gdf, cols, path)
    bst, rr, wb = (_code(gdf[cols[c]]) for c in ("bst_code", "rijrichtng", "wegbehsrt"))
    combos = pd.DataFrame({"bst": bst, "rr": rr, "wb": wb})
    distinct = combos.drop_duplicates()
    rule_of = {(b, r, w): _rule(b, r, w) for b, r, w in distinct.itertuples(index=False, name=None)}
    rules: list[Rule | None] = [rule_of[k] for k in combos.itertuples(index=False, name=None)]
    wvk = pd.to_numeric(gdf[cols["wvk_id"]]).astype("int64").to_numpy()
    notes = []
    car_rows = np.array([r is not None and (r[2][4] or r[2][5]) for r in rules], dtype=bool)
    if speeds is not None:
        known = pd.Series(wvk).map(speeds).to_numpy(dtype="float64")
        use = car_rows & ~np.isnan(known)
        for i in np.flatnonzero(use):
            rule = rules[i]
            assert rule is not None
            rules[i] = (rule[0], float(known[i]), rule[2])
        notes.append(
            f"NWB: autosnelheden uit NDW-maximumsnelheden ({speeds_name}) voor {int(use.sum())} van {int(car_rows.sum())} "
            f"autowegvakken, de rest naar wegbeheerder en baansoort / car speeds from NDW maximum speeds ({speeds_name}) "
            f"for {int(use.sum())} of {int(car_rows.sum())} car wegvakken, the rest by road manager and class"
        )
    else:
        notes.append(
            "NWB: autosnelheden naar wegbeheerder en baansoort (geen NDW-maximumsnelheden gegeven, --network-speeds) "
            "/ car speeds by road manager and class (no NDW maximum speeds given, --network-speeds)"
        )
    notes.append(
        "NWB: RIJRICHTNG geldt ook voor fietsers (NWB zegt niet waar fietsers zijn uitgezonderd) "
        "/ RIJRICHTNG also applies to bikes (NWB does not say where bikes are exempt)"
    )
    unknown_bst = bst[~bst.isin(list(BST))]
    if len(unknown_bst):
        notes.append(
            f"NWB: onbekende BST_CODE overgeslagen: {_counts(unknown_bst)} / unknown BST_CODE skipped: {_counts(unknown_bst)}"
        )
    odd_rr = rr[~rr.isin(list(_DIRECTION))]
    if len(odd_rr):
        notes.append(
            f"NWB: onbekende RIJRICHTNG als beide richtingen gelezen: {_counts(odd_rr)} / unknown RIJRICHTNG read as both ways: {_counts(odd_rr)}"
        )
    keep = np.array([r is not None for r in rules], dtype=bool)
    geoms = gdf.geometry.to_numpy()[keep]
    start, end, length = line_ends(geoms)
    beg = pd.to_numeric(gdf[cols["jte_id_beg"]]).to_numpy(dtype="float64")[keep]
    fin = pd.to_numeric(gdf[cols["jte_id_end"]]).to_numpy(dtype="float64")[keep]
    nodes, edges = edges_between_ids(beg, fin, start, end, length, [r for r in rules if r is not None])
    off = _junction_offsets(nodes, edges, start, end)
    if off:
        notes.append(
            f"NWB: {off} juncties liggen niet op dezelfde plek in al hun wegvakken (> 1 m); controleer het bestand "
            f"/ {off} junctions are not at the same place in all their wegvakken (> 1 m); check the file"
        )
    return StreetNetwork(nodes, edges, path.name, "edges", "nwb", tuple(notes))


def _junction_offsets(nodes: pd.DataFrame, edges: pd.DataFrame, start: np.ndarray, end: np.ndarray) -> int:
    """Junctions whose wegvakken begin or end more than 1 m from where the junction was placed."""
    if not len(edges):
        return 0
    node_xy = nodes[["x", "y"]].to_numpy()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    far_u = np.hypot(*(start - node_xy[u]).T) > 1.0
    far_v = np.hypot(*(end - node_xy[v]).T) > 1.0
    return len(np.union1d(u[far_u], v[far_v]))
