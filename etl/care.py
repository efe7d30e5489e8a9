"""Care data joined to the boundaries: teams placed in buurten, a provider per buurt and wijk, caseload tables and rates.

Pure transforms (frames in, new frames out) plus the build stage :func:`add_care` and the entry points the
dashboard uses to check an upload (``validate_*_frame``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from etl import config, referrals
from etl import demo as demodata
from etl.atlas import Atlas, input_record
from etl.inputs import KINDS
from etl.places import geocoder_note, geocoder_summary, postcode_table, with_places
from etl.rules import CareReference, Validated, validate
from etl.rules.columns import CARE_TYPES, DEFAULT_PROVIDERS, LOCATION_SOURCES, SOORTEN_CASELOAD, TOTAL
from etl.sensitive import DEFAULT_THRESHOLD
from etl.sources import read_input
from geodata.codes import describe
from geodata.crs import RD_NEW
from geodata.errors import InputError, Problem
from geodata.geocode import PDOK_FREE_URL
from geodata.postcodes import PostcodeTable
from geodata.reference import utrecht_contract_2020
from geodata.tables import read_notes

TEAM_COLUMNS = (
    "team_id",
    "naam",
    "organisatie",
    "soort",
    "capaciteit_fte",
    "max_caseload",
    "locatie_bron",
    "locatie_detail",
    "buurtcode",
    "wijkcode",
    "is_demo",
)
CASELOAD_COLUMNS = ("periode", "soort", "aantal", "youth_population", "rate_per_1000")
CONTRACT_SOURCE = "contract 2020 (gemeente Utrecht, geodata/reference/utrecht_contract_2020.csv)"


@dataclass(frozen=True)
class CareOptions:
    """Care inputs of a build. A missing teams or caseloads file is filled with fictitious demo data
    unless ``demo`` is False; a missing provider file means Utrecht's 2020 contract (real, public)."""

    teams: Path | None = None
    providers: Path | None = None
    caseloads: Path | None = None
    demo: bool = True
    threshold: int = DEFAULT_THRESHOLD
    seed: int = demodata.DEFAULT_SEED
    known_providers: tuple[str, ...] = DEFAULT_PROVIDERS
    geocode: str | None = None  # "pdok": look team addresses up online (docs/INPUTS.md: Teams op adres / by address)
    geocode_cache: Path | None = None
    pdok_url: str = PDOK_FREE_URL  # EtlSettings.pdok_url: another address of the same service


# ---------------------------------------------------------------- teams


def place_teams(df_teams: pd.DataFrame, gdf_buurten: gpd.GeoDataFrame, *, is_demo: bool = False) -> gpd.GeoDataFrame:
    """Points (RD New) from validated teams, with the buurt and wijk each lies in (nearest buurt within tolerance)."""
    points = gpd.GeoDataFrame(
        df_teams.drop(columns=["x", "y", "buurtcode_opgegeven"], errors="ignore").reset_index(drop=True),
        geometry=gpd.points_from_xy(df_teams["x"], df_teams["y"]),
        crs=RD_NEW,
    )
    areas = gdf_buurten[["buurtcode", "wijkcode", gdf_buurten.geometry.name]].to_crs(RD_NEW)
    joined = gpd.sjoin(points, areas, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    missing = joined["buurtcode"].isna()
    if missing.any():  # on a generalised boundary, or in a gap between buurten
        nearest = gpd.sjoin_nearest(points[missing.to_numpy()], areas, how="left")
        nearest = nearest[~nearest.index.duplicated(keep="first")]
        joined.loc[missing, ["buurtcode", "wijkcode"]] = nearest[["buurtcode", "wijkcode"]].to_numpy()
    out = points.assign(
        buurtcode=joined["buurtcode"].astype("string").to_numpy(),
        wijkcode=joined["wijkcode"].astype("string").to_numpy(),
        is_demo=bool(is_demo),
    )
    if "locatie_detail" not in out.columns:  # frames typed before teams could be placed by address
        out["locatie_detail"] = pd.NA
    for col in ("team_id", "naam", "organisatie", "soort", "locatie_bron", "locatie_detail"):
        out[col] = out[col].astype("string")
    for col in ("capaciteit_fte", "max_caseload"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out[[*TEAM_COLUMNS, "geometry"]]


# ---------------------------------------------------------------- providers


def contract_providers(gdf_wijken: pd.DataFrame) -> pd.DataFrame | None:
    """Utrecht's 2020 contract as a provider table, when these boundaries are Utrecht's wijken (else None)."""
    contract = utrecht_contract_2020()
    present = set(gdf_wijken["wijkcode"].astype(str))
    if not present <= set(contract["wijkcode"]):
        return None
    rows = contract[contract["wijkcode"].isin(present)]
    return (
        pd.DataFrame(
            {"niveau": "wijk", "wijkcode": rows["wijkcode"], "buurtcode": None, "aanbieder": rows["aanbieder"]}
        )
        .astype("string")
        .reset_index(drop=True)
    )


def assign_providers(
    gdf_buurten: gpd.GeoDataFrame, gdf_wijken: gpd.GeoDataFrame, df_providers: pd.DataFrame, *, source: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``provider`` and ``provider_bron`` on buurten (own row, else the wijk's) and wijken.

    A wijk's provider is its own row; else the one provider of all its buurten; else the provider of most
    of its youth (``provider_bron`` then says so). Every buurt with inhabitants must get one.
    """
    rows = df_providers.dropna(subset=["aanbieder"])
    by_buurt = rows[rows["niveau"] == "buurt"].set_index("buurtcode")["aanbieder"]
    by_wijk = rows[rows["niveau"] == "wijk"].set_index("wijkcode")["aanbieder"]
    buurten = gdf_buurten.copy()
    own = buurten["buurtcode"].astype(str).map(by_buurt).astype("string")
    from_wijk = buurten["wijkcode"].astype(str).map(by_wijk).astype("string")
    buurten["provider"] = own.fillna(from_wijk).astype("string")
    bron = pd.Series(pd.NA, index=buurten.index, dtype="string")
    bron[from_wijk.notna()] = f"wijk: {source}"
    bron[own.notna()] = f"buurt: {source}"
    buurten["provider_bron"] = bron
    reference = CareReference.from_frames(gdf_buurten, gdf_wijken)
    gaps = [
        c
        for c, living in reference.inhabited.items()
        if living and pd.isna(buurten.set_index("buurtcode")["provider"].get(c))
    ]
    if gaps:
        names = reference.names("buurt")
        raise InputError(
            [
                Problem(
                    "PROVIDER_GAP",
                    f"Buurt {describe(c, names)} heeft inwoners maar geen aanbieder.",
                    f"Buurt {describe(c, names)} has inhabitants but no provider.",
                    file=source,
                )
                for c in gaps
            ]
        )
    wijken = gdf_wijken.copy()
    provider: list[str | None] = []
    wijk_bron: list[str | None] = []
    weights = pd.to_numeric(
        buurten.get("youth_population", pd.Series(1.0, index=buurten.index)), errors="coerce"
    ).fillna(0.0)
    for code in wijken["wijkcode"].astype(str):
        if code in by_wijk.index:
            provider.append(by_wijk[code])
            wijk_bron.append(f"wijk: {source}")
            continue
        inside = buurten["wijkcode"].astype(str) == code
        found = buurten.loc[inside, "provider"].dropna()
        if found.nunique() == 1:
            provider.append(found.iloc[0])
            wijk_bron.append(f"buurten: {source}")
        elif len(found):
            share = weights[inside].groupby(buurten.loc[inside, "provider"]).sum()
            provider.append(str(share.idxmax()))
            wijk_bron.append(f"meerderheid jeugd / majority of youth ({', '.join(sorted(found.unique()))}): {source}")
        else:
            provider.append(None)
            wijk_bron.append(None)
    wijken["provider"] = pd.array(provider, dtype="string")
    wijken["provider_bron"] = pd.array(wijk_bron, dtype="string")
    return buurten, wijken


# ---------------------------------------------------------------- caseloads


def rate_per_1000(aantal: pd.Series, youth: pd.Series) -> pd.Series:
    """Caseload per 1,000 youth (0–17); NaN where the count or a positive youth population is unknown."""
    a = pd.to_numeric(aantal, errors="coerce").astype("float64")
    y = pd.to_numeric(youth, errors="coerce").astype("float64")
    return (a / y.where(y > 0) * 1000.0).astype("float64")


def caseload_tables(
    df_caseloads: pd.DataFrame, gdf_buurten: pd.DataFrame, gdf_wijken: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``caseloads_buurt`` and ``caseloads_wijk`` from validated long caseloads (one level).

    Buurt input: every buurt × period × care type in the input; a buurt the input does not mention is
    unknown (NA), except buurten without inhabitants (0). Wijk rows are the sums of their buurten (NA when
    any inhabited buurt is unknown). Wijk input: the wijk table only. ``aantal`` is the raw count (server
    only); ``youth_population`` is the 0–17 estimate of the atlas; ``rate_per_1000`` = aantal / youth × 1000.
    """
    if "verwijzer" in df_caseloads.columns:  # route rows are etl.referrals' business; here only the counts
        df_caseloads = df_caseloads[df_caseloads["verwijzer"].isna()]
    periods = sorted(df_caseloads["periode"].dropna().unique())
    soorten = [s for s in SOORTEN_CASELOAD if s in set(df_caseloads["soort"])]
    youth_b = gdf_buurten.set_index("buurtcode")["youth_population"] if "youth_population" in gdf_buurten else None
    youth_w = gdf_wijken.set_index("wijkcode")["youth_population"] if "youth_population" in gdf_wijken else None
    level = "buurt" if (df_caseloads["niveau"] == "buurt").any() else "wijk"
    given = df_caseloads.set_index(["code", "periode", "soort"])["aantal"]
    if level == "buurt":
        reference = CareReference.from_frames(gdf_buurten, gdf_wijken)
        uninhabited = {c for c, living in reference.inhabited.items() if not living}
        grid = pd.MultiIndex.from_product(
            [gdf_buurten["buurtcode"].astype(str), periods, soorten], names=["buurtcode", "periode", "soort"]
        )
        aantal = given.reindex(grid)
        empty = aantal.isna() & grid.get_level_values(0).isin(list(uninhabited))
        aantal[empty] = 0
        df_b = aantal.rename("aantal").reset_index()
        df_b["aantal"] = df_b["aantal"].astype("Int64")
        df_b["wijkcode"] = df_b["buurtcode"].map(reference.wijk_of)
        df_w = (
            df_b.groupby(["wijkcode", "periode", "soort"], sort=True)["aantal"]
            .agg(lambda s: pd.NA if s.isna().any() else int(s.sum()))
            .rename("aantal")
            .reset_index()
        )
        df_w["aantal"] = df_w["aantal"].astype("Int64")
        df_b = df_b.drop(columns=["wijkcode"])
    else:
        grid = pd.MultiIndex.from_product(
            [gdf_wijken["wijkcode"].astype(str), periods, soorten], names=["wijkcode", "periode", "soort"]
        )
        df_w = given.reindex(grid).rename("aantal").reset_index()
        df_w["aantal"] = df_w["aantal"].astype("Int64")
        df_b = pd.DataFrame(
            {
                "buurtcode": pd.Series(dtype="string"),
                "periode": pd.Series(dtype="string"),
                "soort": pd.Series(dtype="string"),
                "aantal": pd.Series(dtype="Int64"),
            }
        )
    df_b["youth_population"] = df_b["buurtcode"].map(youth_b) if youth_b is not None else np.nan
    df_w["youth_population"] = df_w["wijkcode"].map(youth_w) if youth_w is not None else np.nan
    for df in (df_b, df_w):
        df["youth_population"] = pd.to_numeric(df["youth_population"], errors="coerce").astype("float64")
        df["rate_per_1000"] = rate_per_1000(df["aantal"], df["youth_population"])
        for col in ("periode", "soort"):
            df[col] = df[col].astype("string")
    df_b["buurtcode"] = df_b["buurtcode"].astype("string")
    df_w["wijkcode"] = df_w["wijkcode"].astype("string")
    return df_b.reset_index(drop=True), df_w.reset_index(drop=True)


# ---------------------------------------------------------------- uploads (dashboard) and the CLI


def _reference(
    gdf_buurten: gpd.GeoDataFrame, gdf_wijken: pd.DataFrame | None, year: int | None = None
) -> CareReference:
    return CareReference.from_frames(gdf_buurten, gdf_wijken, year=year, source="atlas")


def validate_teams_frame(
    df: pd.DataFrame,
    *,
    name: str,
    gdf_buurten: gpd.GeoDataFrame,
    gdf_wijken: pd.DataFrame | None = None,
    is_demo: bool = False,
    postcodes: PostcodeTable | None = None,
) -> gpd.GeoDataFrame:
    """A teams text frame checked against these boundaries and placed: the ``teams`` layer, or InputError.

    Teams by postcode go on the PC4 centre of ``postcodes`` (default: the data directory's table); an upload
    never goes online, so an address is not looked up here."""
    reference = _reference(gdf_buurten, gdf_wijken).with_places(postcodes=postcodes or postcode_table())
    checked = validate("teams", df, name=name, reference=reference)
    return place_teams(checked.frame, gdf_buurten, is_demo=is_demo)


def location_summary(gdf_teams: pd.DataFrame) -> dict[str, Any]:
    """Teams per ``locatie_bron`` and what each source is worth (manifest ``care.teams.locations``)."""
    counts = gdf_teams["locatie_bron"].value_counts(dropna=False)
    per = {str(k): int(v) for k, v in counts.items()}
    return {
        "per_locatie_bron": per,
        "order": list(LOCATION_SOURCES),
        "precision": {
            k: {"nl": LOCATION_SOURCES[k][0], "en": LOCATION_SOURCES[k][1]} for k in per if k in LOCATION_SOURCES
        },
    }


def validate_providers_frame(
    df: pd.DataFrame,
    *,
    name: str,
    gdf_buurten: gpd.GeoDataFrame,
    gdf_wijken: pd.DataFrame | None = None,
    known_providers: Sequence[str] = DEFAULT_PROVIDERS,
) -> pd.DataFrame:
    """A provider text frame checked: niveau, wijkcode (wijk rows), buurtcode (buurt rows), aanbieder."""
    return validate(
        "providers", df, name=name, reference=_reference(gdf_buurten, gdf_wijken), known_providers=known_providers
    ).frame


def validate_caseloads_frame(
    df: pd.DataFrame,
    *,
    name: str,
    gdf_buurten: gpd.GeoDataFrame,
    gdf_wijken: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A caseload text frame checked and tabulated: both levels in one long frame (``niveau`` buurt | wijk;
    buurtcode empty on wijk rows) with aantal, youth_population and rate_per_1000 — raw, protect before showing.

    With referral routes the route tables follow as rows with ``verwijzer`` filled (``niveau`` buurt |
    wijk | provider; columns provider, totaal, aandeel as in ``etl.referrals``)."""
    reference = _reference(gdf_buurten, gdf_wijken)
    checked = validate("caseloads", df, name=name, reference=reference)
    wijken = reference.wijken if gdf_wijken is None else gdf_wijken
    df_b, df_w = caseload_tables(checked.frame, gdf_buurten, wijken)
    wijk_of = reference.wijk_of
    b = df_b.assign(niveau="buurt", wijkcode=df_b["buurtcode"].map(wijk_of).astype("string"))
    w = df_w.assign(niveau="wijk", buurtcode=pd.Series(pd.NA, index=df_w.index, dtype="string"))
    cols = ["niveau", "buurtcode", "wijkcode", *CASELOAD_COLUMNS]
    parts = [b[cols], w[cols]]
    if referrals.has_routes(checked.frame):
        routes = referrals.referral_tables(checked.frame, gdf_buurten, wijken)
        parts += [
            table.assign(niveau=level)
            for level, table in zip(("buurt", "wijk", "provider"), routes, strict=True)
            if len(table)
        ]
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------- the build stage


def _load(kind: str, path: Path, reference: CareReference, known: Sequence[str]) -> Validated:
    df = read_input(kind, path)
    checked = validate(kind, df, name=str(path), reference=reference, known_providers=known)
    read = [f"{path}: {nl} / {en}" for nl, en in read_notes(df)]  # what the reader tolerated, first
    return dataclasses.replace(checked, notes=[*read, *checked.notes])


def add_care(atlas: Atlas, opts: Any) -> Atlas:
    """Pipeline stage: ``teams``, ``provider`` on buurten/wijken, ``caseloads_buurt``/``caseloads_wijk``, manifest "care".

    Reads ``opts.care`` (:class:`CareOptions`). Every given file is checked in full before anything is
    built; any problem in any file stops the build with all problems listed (the previous atlas stays).
    """
    options: CareOptions = getattr(opts, "care", None) or CareOptions()
    gdf_buurten, gdf_wijken = atlas["buurten"], atlas["wijken"]
    assert isinstance(gdf_buurten, gpd.GeoDataFrame)
    assert isinstance(gdf_wijken, gpd.GeoDataFrame)
    year = atlas.manifest.get("cbs_year")
    reference = CareReference.from_frames(gdf_buurten, gdf_wijken, year=year, source="atlas")
    reference = with_places(
        reference,
        data_dir=getattr(opts, "data_dir", None),
        geocode=options.geocode,
        cache=options.geocode_cache,
        base_url=options.pdok_url,
    )
    known = tuple(options.known_providers)
    checked: dict[str, Validated] = {}
    problems: list[Problem] = []
    for kind in KINDS:
        path = getattr(options, kind)
        if path is None:
            continue
        try:
            checked[kind] = _load(kind, Path(path), reference, known)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)

    # Where each team's point came from is counted in care.teams.locations, not listed team by team.
    notes: list[str] = [n for v in checked.values() for n in v.notes if n not in set(v.locations)]
    geocoded = geocoder_summary(reference)
    if geocoder_note(geocoded):
        notes.append(str(geocoder_note(geocoded)))
    inputs: list[dict[str, Any]] = []
    record: dict[str, Any] = {"threshold": options.threshold, "boundary_year": year}
    layers: dict[str, pd.DataFrame] = {}
    utrecht = demodata.is_utrecht(gdf_wijken)
    use_demo = options.demo and utrecht

    # Providers: the user's table, else the 2020 contract (real) when these are Utrecht's wijken.
    if "providers" in checked:
        inputs.append(input_record("providers", Path(str(options.providers))))
        table, source = checked["providers"].frame, Path(str(options.providers)).name
    else:
        table, source = contract_providers(gdf_wijken), CONTRACT_SOURCE
    if table is not None:
        gdf_buurten, gdf_wijken = assign_providers(gdf_buurten, gdf_wijken, table, source=source)
        record["providers"] = {
            "source": source,
            "is_demo": False,
            "rows": len(table),
            "per_provider": gdf_wijken["provider"].value_counts().to_dict(),
        }
    else:
        record["providers"] = None
        notes.append(
            "aanbieders: geen tabel en geen contract voor deze gemeente / providers: no table and no contract for this gemeente"
        )

    # Teams: the user's file, else demo teams (Utrecht only).
    if "teams" in checked:
        inputs.append(input_record("teams", Path(str(options.teams))))
        layers["teams"] = place_teams(checked["teams"].frame, gdf_buurten, is_demo=False)
        record["teams"] = {
            "source": Path(str(options.teams)).name,
            "is_demo": False,
            "rows": len(layers["teams"]),
            "locations": location_summary(layers["teams"]),
        }
        if (layers["teams"]["locatie_bron"] == "postcode4").any() and reference.postcodes is not None:
            record["teams"]["locations"]["postcodes"] = {
                "source": str(config.DEFAULT_POSTCODES),
                "year": reference.postcodes.year,
            }
        if geocoded:
            record["teams"]["locations"]["geocoder"] = geocoded
    elif use_demo:
        frame = demodata.demo_teams(gdf_buurten, gdf_wijken, seed=options.seed)
        teams = validate("teams", frame, name=demodata.TEAMS_NAME, reference=reference).frame
        layers["teams"] = place_teams(teams, gdf_buurten, is_demo=True)
        record["teams"] = {
            "source": demodata.TEAMS_NAME,
            "is_demo": True,
            "rows": len(teams),
            "per_organisation": layers["teams"]["organisatie"].value_counts().to_dict(),
            "locations": location_summary(layers["teams"]),
        }
    else:
        record["teams"] = None

    # Caseloads: the user's file, else demo caseloads drawn from the youth population (Utrecht only).
    caseloads: pd.DataFrame | None = None
    if "caseloads" in checked:
        inputs.append(input_record("caseloads", Path(str(options.caseloads))))
        caseloads = checked["caseloads"].frame
        record["caseloads"] = {"source": Path(str(options.caseloads)).name, "is_demo": False}
    elif use_demo and gdf_buurten["youth_population"].notna().any():
        frame = demodata.demo_caseloads(gdf_buurten, seed=options.seed)
        caseloads = validate("caseloads", frame, name=demodata.CASELOADS_NAME, reference=reference).frame
        record["caseloads"] = {"source": demodata.CASELOADS_NAME, "is_demo": True, **demodata.caseload_method()}
    else:
        record["caseloads"] = None
    if caseloads is not None:
        df_b, df_w = caseload_tables(caseloads, gdf_buurten, gdf_wijken)
        layers["caseloads_buurt"], layers["caseloads_wijk"] = df_b, df_w
        record["caseloads"].update(_caseload_summary(df_b, df_w))
        if referrals.has_routes(caseloads):  # referral routes: who brought the specialist care in
            routes = referrals.referral_tables(caseloads, gdf_buurten, gdf_wijken)
            layers.update(
                {
                    f"referrals_{lv}": getattr(routes, lv)
                    for lv in ("buurt", "wijk", "provider")
                    if len(getattr(routes, lv))
                }
            )
            record["caseloads"]["referrals"] = referrals.referral_summary(routes)

    is_demo = any(bool(v and v.get("is_demo")) for v in (record["teams"], record["caseloads"]))
    if is_demo:
        record["demo"] = {
            "fictitious": True,
            "seed": options.seed,
            "generator": "etl.demo",
            "label_nl": demodata.LABEL_NL,
            "label_en": demodata.LABEL_EN,
        }
        notes.append(f"{demodata.LABEL_NL} / {demodata.LABEL_EN}")
    elif options.demo and not utrecht:
        notes.append(
            "demo-gegevens alleen voor Utrecht; geen teams of caseloads / demo data only for Utrecht; no teams or caseloads"
        )
    manifest_notes = list(atlas.manifest.get("notes") or []) + notes
    manifest_inputs = list(atlas.manifest.get("inputs") or []) + inputs
    return atlas.with_layers(buurten=gdf_buurten, wijken=gdf_wijken, **layers).with_manifest(
        care=record, demo=is_demo, inputs=manifest_inputs, notes=manifest_notes
    )


def _caseload_summary(df_b: pd.DataFrame, df_w: pd.DataFrame) -> dict[str, Any]:
    table = df_b if len(df_b) else df_w
    level = "buurt" if len(df_b) else "wijk"
    totals = {}
    for periode in sorted(table["periode"].unique()):
        rows = table[(table["periode"] == periode)]
        per_type = {
            s: int(rows.loc[rows["soort"] == s, "aantal"].sum()) for s in SOORTEN_CASELOAD if (rows["soort"] == s).any()
        }
        totals[str(periode)] = per_type
    youth = table.drop_duplicates(table.columns[0])["youth_population"].sum()
    share = None
    if TOTAL in set(table["soort"]) and youth > 0:
        last = sorted(totals)[-1]
        share = round(float(totals[last].get(TOTAL, 0) / youth), 4)
    unknown = int(table["aantal"].isna().sum())
    return {
        "level": level,
        "periods": sorted(totals),
        "soorten": [s for s in SOORTEN_CASELOAD if (table["soort"] == s).any()],
        "care_types_without_total": [s for s in CARE_TYPES if (table["soort"] == s).any()]
        if TOTAL not in set(table["soort"])
        else [],
        "counts_per_period": totals,
        "share_of_youth_latest": share,
        "unknown_cells": unknown,
        "rows": {"caseloads_buurt": len(df_b), "caseloads_wijk": len(df_w)},
        "rate": "rate_per_1000 = aantal / youth_population × 1000 (youth_population: 0–17, estimate)",
        "protection": "raw counts; every output goes through etl.protect (threshold in care.threshold)",
    }
