"""Read CBS wijk- and buurt boundaries of any vintage and schema, normalised to one canonical schema."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata import codes
from geodata.crs import RD_NEW, ensure_rd
from geodata.errors import InputError
from geodata.io import list_layers, read_vector
from geodata.reference import gemeente_names
from geodata.schema import BUURT_COLUMNS, WIJK_COLUMNS
from geodata.tables import text_column

# Sentinels CBS writes instead of a number. "Secret" (geheim: too few to publish) must stay
# distinguishable from "unknown", because a planner reads them differently.
SENTINEL_SECRET = frozenset({-99999997, -99997})
SENTINEL_UNKNOWN = frozenset({-99999999, -99999998, -99999, -99998})
MISSING_SUFFIX = "__ontbreekt"
SECRET = "geheim"
UNKNOWN = "onbekend"


@dataclass(frozen=True)
class SchemaFamily:
    """How one generation of CBS files names the key columns (matched case-insensitively)."""

    name: str
    buurt_key: str
    wijk_key: str
    columns: dict[str, str]  # canonical name -> source name (lower case)


# Source column (lower case) -> canonical column, for key and well-known attribute columns.
SHAPEFILE_ERA = SchemaFamily(
    name="cbs-shapefile (HOOFDLETTERS/UPPERCASE)",
    buurt_key="bu_code",
    wijk_key="wk_code",
    columns={
        "buurtcode": "bu_code",
        "buurtnaam": "bu_naam",
        "wijkcode": "wk_code",
        "wijknaam": "wk_naam",
        "gemeentecode": "gm_code",
        "gemeentenaam": "gm_naam",
    },
)
PDOK_2021 = SchemaFamily(
    name="pdok-2021+ (kleine letters/lowercase)",
    buurt_key="buurtcode",
    wijk_key="wijkcode",
    columns={
        "buurtcode": "buurtcode",
        "buurtnaam": "buurtnaam",
        "wijkcode": "wijkcode",
        "wijknaam": "wijknaam",
        "gemeentecode": "gemeentecode",
        "gemeentenaam": "gemeentenaam",
    },
)
GEBIEDSINDELINGEN = SchemaFamily(
    name="cbs-gebiedsindelingen (statcode)",
    buurt_key="statcode",
    wijk_key="statcode",
    columns={"code": "statcode", "naam": "statnaam"},
)
FAMILIES = (SHAPEFILE_ERA, PDOK_2021, GEBIEDSINDELINGEN)

ATTRIBUTE_ALIASES: dict[str, tuple[str, ...]] = {
    "water": ("water",),
    "aantal_inwoners": ("aant_inw", "aantal_inwoners", "a_inw"),
    "mannen": ("aant_man", "mannen", "a_man"),
    "vrouwen": ("aant_vrouw", "vrouwen", "a_vrouw"),
    "aantal_0_14": ("a_00_14",),
    "aantal_15_24": ("a_15_24",),
    "pct_0_14": ("p_00_14_jr", "percentage_personen_0_tot_15_jaar"),
    "pct_15_24": ("p_15_24_jr", "percentage_personen_15_tot_25_jaar"),
    "pct_25_44": ("p_25_44_jr", "percentage_personen_25_tot_45_jaar"),
    "pct_45_64": ("p_45_64_jr", "percentage_personen_45_tot_65_jaar"),
    "pct_65_plus": ("p_65_eo_jr", "percentage_personen_65_jaar_en_ouder"),
    "aantal_huishoudens": ("aantal_hh", "aantal_huishoudens", "a_hh"),
    "opp_totaal_ha": ("opp_tot", "oppervlakte_totaal_in_ha", "a_opp_ha"),
    "opp_land_ha": ("opp_land", "oppervlakte_land_in_ha", "a_lan_ha"),
    "opp_water_ha": ("opp_water", "oppervlakte_water_in_ha", "a_wat_ha"),
    "pct_jeugdzorg": ("p_jeugdzrg", "percentage_jongeren_met_jeugdzorg", "p_jz_tn"),
    "aantal_jeugdzorg": ("a_jeugdzrg", "aantal_jongeren_met_jeugdzorg", "a_jz_tn"),
    "jaarstatcode": ("jaarstatcode", "jrstatcode"),
}
# Columns that only describe the source file, not the buurt.
_DROP = {"id", "fid", "objectid", "shape_leng", "shape_area", "rubriek", "gmcode", "ind_wbi"}


@dataclass
class Boundaries:
    """Normalised boundaries plus what the reader noticed, for the manifest and the terminal."""

    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    family: str
    year: int | None
    source: str
    layers: dict[str, str]
    notes: list[str] = field(default_factory=list)


def _lower_map(columns: Iterable[object]) -> dict[str, str]:
    return {str(c).lower(): str(c) for c in columns}


def detect_family(columns: Iterable[object]) -> SchemaFamily | None:
    """The schema family whose buurt or wijk key column is present, or None."""
    cols = _lower_map(columns)
    for fam in FAMILIES:
        if fam.buurt_key in cols or fam.wijk_key in cols:
            return fam
    return None


def _level_of(gdf: pd.DataFrame, fam: SchemaFamily) -> str | None:
    """Whether a layer holds buurten or wijken (or gemeenten), judged from its codes."""
    cols = _lower_map(gdf.columns)
    if fam is GEBIEDSINDELINGEN:
        values = text_column(gdf[cols["statcode"]].dropna()).str.upper()
        for level, prefix in (("buurt", "BU"), ("wijk", "WK"), ("gemeente", "GM")):
            if len(values) and values.str.startswith(prefix).mean() > 0.5:
                return level
        return None
    if fam.buurt_key in cols:
        return "buurt"
    if fam.wijk_key in cols:
        return "wijk"
    return None


def unknown_schema_error(columns: Iterable[object], source: str, layer: str | None) -> InputError:
    found = ", ".join(str(c) for c in columns if str(c) != "geometry") or "(geen/none)"
    expected = "; ".join(
        f"{fam.name}: {fam.buurt_key if fam.buurt_key == fam.wijk_key else fam.buurt_key + ' of/or ' + fam.wijk_key}"
        for fam in FAMILIES
    )
    where = f" (laag/layer {layer})" if layer else ""
    return InputError.single(
        "SCHEMA_UNKNOWN",
        f"Onbekend CBS-schema{where}. Gevonden kolommen: {found}. Verwacht een van: {expected}.",
        f"Unknown CBS schema{where}. Columns found: {found}. Expected one of: {expected}.",
        file=source,
    )


def _classify_sentinels(series: pd.Series) -> tuple[pd.Series, pd.Series | None]:
    """Replace CBS sentinels by NA; return the cleaned values and a 'geheim'/'onbekend' marker column."""
    numeric = pd.to_numeric(series, errors="coerce")
    if not pd.api.types.is_numeric_dtype(series):
        # Text columns only count as numeric when every filled value parses (shapefile DBFs do that).
        filled = text_column(series) != ""
        if not filled.any() or numeric[filled].isna().any():
            return series, None
    secret = numeric.isin(SENTINEL_SECRET)
    unknown = numeric.isin(SENTINEL_UNKNOWN)
    if not (secret.any() or unknown.any()):
        return (numeric if not pd.api.types.is_numeric_dtype(series) else series), None
    marker = pd.Series(pd.NA, index=series.index, dtype="string")
    marker[secret] = SECRET
    marker[unknown] = UNKNOWN
    cleaned = numeric.astype("float64").mask(secret | unknown)
    return cleaned, marker


def replace_sentinels(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """CBS sentinels become missing values, with a ``<col>__ontbreekt`` column saying geheim or onbekend."""
    out = df.copy()
    for col in columns:
        cleaned, marker = _classify_sentinels(out[col])
        out[col] = cleaned
        if marker is not None:
            out[col + MISSING_SUFFIX] = marker
    return out


def _water_flag(df: pd.DataFrame) -> pd.Series:
    """Water-only buurten: CBS's WATER = JA, or no land area at all where areas are given."""
    flag = pd.Series(False, index=df.index)
    if "water" in df.columns:
        flag |= text_column(df["water"]).str.upper().isin({"JA", "J", "TRUE", "1", "YES"})
    if "opp_land_ha" in df.columns:
        land = pd.to_numeric(df["opp_land_ha"], errors="coerce")
        flag |= land.eq(0)
    return flag.astype(bool)


def repair_geometries(gdf: gpd.GeoDataFrame, *, key: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Make invalid geometries valid (keeping only their polygonal parts) and say which ones were fixed."""
    out = gdf.copy()
    geom = out.geometry
    empty = geom.isna() | geom.is_empty
    invalid = ~empty & ~geom.is_valid
    notes: list[str] = []
    if invalid.any():
        reasons = shapely.is_valid_reason(geom[invalid].to_numpy())
        fixed = shapely.make_valid(geom[invalid].to_numpy())
        polys = [_polygonal(g) for g in fixed]
        out.loc[invalid, out.geometry.name] = gpd.GeoSeries(polys, index=geom[invalid].index, crs=out.crs)
        for code, reason in zip(out.loc[invalid, key], reasons, strict=True):
            notes.append(
                f"Geometrie van {code} was ongeldig ({reason}) en is gerepareerd / "
                f"geometry of {code} was invalid ({reason}) and was repaired"
            )
    if empty.any():
        codes_empty = ", ".join(map(str, out.loc[empty, key]))
        notes.append(f"Lege geometrie / empty geometry: {codes_empty}")
    return out, notes


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if isinstance(geom, shapely.GeometryCollection):
        parts = [g for g in geom.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return geom


def _canonical_attributes(df: pd.DataFrame, key_cols: set[str]) -> pd.DataFrame:
    """Rename well-known attributes to canonical names; keep the rest under their lower-case name."""
    lower = _lower_map(df.columns)
    renames: dict[str, str] = {}
    for canonical, aliases in ATTRIBUTE_ALIASES.items():
        for alias in aliases:
            if alias in lower and lower[alias] not in key_cols:
                renames[lower[alias]] = canonical
                break
    for low, orig in lower.items():
        if orig not in renames and orig not in key_cols and orig != "geometry":
            renames[orig] = low
    out = df.rename(columns=renames)
    return out.drop(columns=[c for c in out.columns if c in _DROP])


def _year_from(df: pd.DataFrame, source: str) -> int | None:
    if "jaarstatcode" in df.columns:
        years = text_column(df["jaarstatcode"].dropna()).str[:4]
        years = years[years.str.fullmatch(r"\d{4}")]
        if len(years):
            return int(years.mode().iloc[0])
    match = re.search(r"(?<!\d)(20[0-4]\d|19[89]\d)(?!\d)", Path(source).name)
    return int(match.group(1)) if match else None


def _normalise_layer(
    gdf: gpd.GeoDataFrame, fam: SchemaFamily, level: codes.Level, *, source: str, layer: str | None
) -> pd.DataFrame:
    """Key columns → canonical names with normalised codes; sentinels handled; attributes canonical."""
    lower = _lower_map(gdf.columns)
    out = gpd.GeoDataFrame(index=gdf.index, geometry=gdf.geometry.values, crs=gdf.crs)
    if fam is GEBIEDSINDELINGEN:
        code_col = "buurtcode" if level == "buurt" else "wijkcode"
        name_col = "buurtnaam" if level == "buurt" else "wijknaam"
        out[code_col] = text_column(gdf[lower["statcode"]]).str.upper()
        out[name_col] = gdf[lower["statnaam"]] if "statnaam" in lower else pd.NA
        key_cols = {lower["statcode"]} | ({lower["statnaam"]} if "statnaam" in lower else set())
    else:
        key_cols = set()
        for canonical, src in fam.columns.items():
            if src in lower:
                out[canonical] = gdf[lower[src]]
                key_cols.add(lower[src])
    # Layers that ship their own wijk/gemeente name columns (e.g. a dissolved wijk layer).
    for extra in ("wijkcode", "wijknaam", "gemeentecode", "gemeentenaam"):
        if extra in lower and extra not in out.columns:
            out[extra] = gdf[lower[extra]]
            key_cols.add(lower[extra])
    attrs = _canonical_attributes(gdf.drop(columns=[gdf.geometry.name, *key_cols]), key_cols)
    numeric_like = [c for c in attrs.columns if c not in {"water", "jaarstatcode"}]
    attrs = replace_sentinels(attrs, numeric_like)
    out = pd.concat([out, attrs], axis=1)
    code_col = "buurtcode" if level == "buurt" else "wijkcode"
    raw = out[code_col]
    normalised = raw.map(lambda v: codes.normalise_code(v, level))
    bad = normalised.isna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError.single(
            "CODE_INVALID",
            f"Ongeldige {level}code '{raw.iloc[first]}' (verwacht bijvoorbeeld {codes.EXAMPLE[level]}).",
            f"Invalid {level} code '{raw.iloc[first]}' (expected e.g. {codes.EXAMPLE[level]}).",
            file=source,
            row=first + 2,
            column=code_col,
        )
    out[code_col] = normalised
    if level == "buurt":
        derived_wijk = out["buurtcode"].map(codes.wijkcode_from_buurtcode)
        if "wijkcode" in out.columns:
            given = out["wijkcode"].map(lambda v: codes.normalise_code(v, "wijk"))
            out["wijkcode"] = given.fillna(derived_wijk)
        else:
            out["wijkcode"] = derived_wijk
    if "gemeentecode" in out.columns:
        given_gm = out["gemeentecode"].map(lambda v: codes.normalise_code(v, "gemeente"))
        out["gemeentecode"] = given_gm.fillna(out[code_col].map(codes.gemeentecode_from_code))
    else:
        out["gemeentecode"] = out[code_col].map(codes.gemeentecode_from_code)
    return out


def _finish_names(df: pd.DataFrame, name_cols: Sequence[str]) -> pd.DataFrame:
    out = df.copy()
    for col in name_cols:
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = text_column(out[col]).astype("string").replace("", pd.NA)
    if out["gemeentenaam"].isna().any():
        out["gemeentenaam"] = out["gemeentenaam"].fillna(out["gemeentecode"].map(gemeente_names()))
    return out


def gemeente_codes(gemeenten: Sequence[str]) -> list[str]:
    """The gemeente codes given on the command line, normalised to GM + 4 digits; refuses the first that is none."""
    wanted = []
    for g in gemeenten:
        code = codes.normalise_code(g, "gemeente")
        if code is None:
            raise InputError.single(
                "GEMEENTE_INVALID",
                f"'{g}' is geen gemeentecode; gebruik bijvoorbeeld GM0344 (Utrecht).",
                f"'{g}' is not a gemeente code; use e.g. GM0344 (Utrecht).",
                file="--gemeente",
            )
        wanted.append(code)
    return wanted


def _filter_gemeenten(df: gpd.GeoDataFrame, gemeenten: Sequence[str] | None, *, source: str) -> gpd.GeoDataFrame:
    if not gemeenten:
        return df
    wanted = gemeente_codes(gemeenten)
    kept = df[df["gemeentecode"].isin(wanted)]
    if kept.empty:
        present = df["gemeentecode"].value_counts().index[:10].tolist()
        raise InputError.single(
            "GEMEENTE_NOT_IN_FILE",
            f"Gemeente {', '.join(wanted)} komt niet voor in '{Path(source).name}'. Wel aanwezig: {', '.join(present)}.",
            f"Gemeente {', '.join(wanted)} does not occur in '{Path(source).name}'. Present: {', '.join(present)}.",
            file=source,
            column="gemeentecode",
        )
    return kept


def dissolve_wijken(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Wijken as the union of their buurten, with the number of buurten in each."""
    name = buurten.get("wijknaam")
    agg = buurten.assign(wijknaam=name if name is not None else pd.NA).dissolve(
        by="wijkcode",
        aggfunc={"wijknaam": "first", "gemeentecode": "first", "gemeentenaam": "first", "buurtcode": "count"},
        as_index=False,
    )
    return agg.rename(columns={"buurtcode": "n_buurten"})


def _refuse_duplicate_columns(gdf: pd.DataFrame, source: str) -> None:
    """Column names are matched case-insensitively, so 'BU_CODE' and 'bu_code' in one layer cannot both be read."""
    seen: dict[str, str] = {}
    for c in map(str, gdf.columns):
        if c.lower() in seen:
            raise InputError.single(
                "HEADER_DUPLICATE",
                f"De kolommen '{seen[c.lower()]}' en '{c}' hebben dezelfde naam (hoofdletters tellen niet); houd er één.",
                f"The columns '{seen[c.lower()]}' and '{c}' have the same name (case does not count); keep one.",
                file=source,
                column=c,
            )
        seen[c.lower()] = c


def _choose_layers(
    path: Path, layer: str | None
) -> tuple[dict[str, tuple[str | None, gpd.GeoDataFrame, SchemaFamily]], str]:
    """Find the buurt layer (and a wijk layer, if any) in a file; ``layer`` forces the buurt layer."""
    source = str(path)
    names: list[str | None] = [layer] if layer else list(list_layers(path)) or [None]
    found: dict[str, tuple[str | None, gpd.GeoDataFrame, SchemaFamily]] = {}
    last_cols: list[object] = []
    multi = len(names) > 1
    for name in names:
        gdf = read_vector(path, layer=name if multi or layer else None)
        last_cols = list(gdf.columns)
        fam = detect_family(gdf.columns)
        if fam is None:
            continue
        lvl = _level_of(gdf, fam)
        if lvl in ("buurt", "wijk") and lvl not in found:
            found[lvl] = (name, gdf, fam)
    if "buurt" not in found:
        if "wijk" in found and layer is None:
            raise InputError.single(
                "NO_BUURT_LAYER",
                f"'{path.name}' bevat alleen wijken, geen buurten. Geef een bestand (of laag met --layer) met buurten.",
                f"'{path.name}' holds only wijken, no buurten. Give a file (or a layer with --layer) with buurten.",
                file=source,
            )
        raise unknown_schema_error(last_cols, source, layer)
    return found, source


def read_boundaries(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    gemeenten: Sequence[str] | None = ("GM0344",),
    assume_crs: str | int | CRS | None = None,
    year: int | None = None,
) -> Boundaries:
    """Read buurten (and wijken, when the file has a wijk layer) into the canonical schema in RD New.

    Recognises the shapefile era (BU_CODE …), PDOK 2021+ (buurtcode …) and CBS gebiedsindelingen
    (statcode …). Without a wijk layer, wijken are the dissolved buurten.
    """
    found, source = _choose_layers(Path(path), layer)
    return boundaries_from_layers(found, source=source, gemeenten=gemeenten, assume_crs=assume_crs, year=year)


Layers = dict[str, tuple[str | None, gpd.GeoDataFrame, SchemaFamily]]


def boundaries_from_layers(
    found: Layers,
    *,
    source: str,
    gemeenten: Sequence[str] | None = ("GM0344",),
    assume_crs: str | int | CRS | None = None,
    year: int | None = None,
) -> Boundaries:
    """The pure half of read_boundaries: the buurt (and wijk) layer as read, whatever their attribute tables hold."""
    for _, gdf, _ in found.values():
        _refuse_duplicate_columns(gdf, source)
    b_layer, b_raw, fam = found["buurt"]
    notes: list[str] = []
    buurten = _normalise_layer(b_raw, fam, "buurt", source=source, layer=b_layer)
    buurten = gpd.GeoDataFrame(buurten, geometry="geometry", crs=b_raw.crs)
    buurten = ensure_rd(buurten, assume_crs=assume_crs, source=source)
    buurten = _filter_gemeenten(buurten, gemeenten, source=source)
    dup = buurten["buurtcode"].duplicated(keep=False)
    if dup.any():
        raise InputError.single(
            "CODE_DUPLICATE",
            f"Buurtcode komt meer dan eens voor: {', '.join(sorted(set(buurten.loc[dup, 'buurtcode'])))}.",
            f"Buurt code occurs more than once: {', '.join(sorted(set(buurten.loc[dup, 'buurtcode'])))}.",
            file=source,
            column="buurtcode",
        )
    buurten, repair_notes = repair_geometries(buurten, key="buurtcode")
    notes += repair_notes
    buurten["water"] = _water_flag(buurten)
    buurten = _finish_names(buurten, ["buurtnaam", "wijknaam", "gemeentenaam"])
    detected_year = year or _year_from(buurten, source)

    layers = {"buurten": str(b_layer)}
    if "wijk" in found:
        w_layer, w_raw, w_fam = found["wijk"]
        wijken = _normalise_layer(w_raw, w_fam, "wijk", source=source, layer=w_layer)
        wijken = gpd.GeoDataFrame(wijken, geometry="geometry", crs=w_raw.crs)
        wijken = ensure_rd(wijken, assume_crs=assume_crs, source=source)
        wijken = wijken[wijken["wijkcode"].isin(set(buurten["wijkcode"]))]
        wijken, w_notes = repair_geometries(wijken, key="wijkcode")
        notes += w_notes
        wijken = _finish_names(wijken, ["wijknaam", "gemeentenaam"])
        counts = buurten.groupby("wijkcode").size()
        wijken["n_buurten"] = wijken["wijkcode"].map(counts).astype("int64")
        missing = sorted(set(buurten["wijkcode"]) - set(wijken["wijkcode"]))
        if missing:
            extra = dissolve_wijken(buurten[buurten["wijkcode"].isin(missing)])
            wijken = pd.concat([wijken, extra], ignore_index=True)
            notes.append(
                f"Wijken zonder wijkvlak, samengevoegd uit buurten / wijken dissolved from buurten: {', '.join(missing)}"
            )
        layers["wijken"] = str(w_layer)
        # Buurt files of the gebiedsindelingen family carry no wijk names; take them from the wijk layer.
        names = dict(zip(wijken["wijkcode"], wijken["wijknaam"], strict=True))
        buurten["wijknaam"] = buurten["wijknaam"].fillna(buurten["wijkcode"].map(names))
    else:
        wijken = dissolve_wijken(buurten)
        layers["wijken"] = "(samengevoegd uit buurten / dissolved from buurten)"
    wijken = _finish_names(wijken, ["wijknaam", "gemeentenaam"])

    buurten = _order(buurten, BUURT_COLUMNS).sort_values("buurtcode", ignore_index=True)
    wijken = _order(gpd.GeoDataFrame(wijken, geometry="geometry", crs=RD_NEW), WIJK_COLUMNS)
    wijken = wijken.sort_values("wijkcode", ignore_index=True)
    return Boundaries(buurten, wijken, fam.name, detected_year, source, layers, notes)


def _order(gdf: gpd.GeoDataFrame, first: Sequence[str]) -> gpd.GeoDataFrame:
    lead = [c for c in first if c in gdf.columns]
    rest = [c for c in gdf.columns if c not in lead and c != "geometry"]
    return gpd.GeoDataFrame(gdf[lead + rest + ["geometry"]], geometry="geometry", crs=gdf.crs)
