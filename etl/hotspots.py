"""Demand hotspots per care type and period: smoothed rates, Gi* and local Moran classes, change, protected view."""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from etl import atlas_schema as schema
from etl.inference import (
    ALTERNATIVES,
    CORRECTIONS,
    Alternative,
    Correction,
    adjust_p,
    gi_classes,
    gi_star,
    lisa_classes,
    min_attainable_p,
    moran_local_rate,
    permutations_needed,
    significant,
)
from etl.protect import ProtectionError, protect_caseloads
from etl.rates import eb_prior, eb_standardised, empirical_bayes, raw_rates, spatial_empirical_bayes
from etl.sensitive import DEFAULT_THRESHOLD, PRIMARY, REASON_SUFFIX, SECONDARY, SUPPRESSED_SUFFIX
from etl.weights import REASONS, BuurtWeights, WeightsSpec, build_weights, exclusion_reasons
from geodata.errors import InputError, Problem, raise_if_any

if TYPE_CHECKING:
    from etl.atlas import Atlas


class BuildOptions(Protocol):
    """What this stage reads of the pipeline's options (etl.pipeline.BuildOptions sits above this module)."""

    @property
    def hotspots(self) -> HotspotOptions: ...


DEFAULT_SEED = 20240505
DEFAULT_PERMUTATIONS = 999
CASELOADS = "caseloads_buurt"
TABLE = "hotspots_buurt"
CHANGE_TABLE = "hotspots_change_buurt"
MIN_TESTED = 5

PROTECTION_RULE = (
    "Buiten de server gaan alleen klassen, gladgestreken cijfers en onderdrukkingsmarkeringen. Een gladgestreken "
    "cijfer wordt alleen getoond voor een buurt waarvan het aantal zelf getoond wordt, en wordt dan opnieuw "
    "berekend uit uitsluitend getoonde aantallen (en bevolkingsaantallen): het is daarmee een functie van "
    "openbare gegevens en kan geen onderdrukt aantal prijsgeven. / Only classes, smoothed rates and suppression "
    "marks leave the server. A smoothed rate is shown only for a buurt whose count is itself shown, and is then "
    "recomputed from shown counts (and populations) only: a function of public data, it cannot reveal a "
    "suppressed count. Server-side smoothed rates, z-scores, p-values and local I are never published: the EB "
    "prior (mean and variance) can be solved from two published smoothed rates, and its variance term is a "
    "sum of squares over every buurt, suppressed ones included."
)


@dataclass(frozen=True)
class HotspotOptions:
    """How `build` looks for hotspots (the `hotspots` field of BuildOptions)."""

    enabled: bool = True
    weights: WeightsSpec = field(default_factory=WeightsSpec)
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    correction: Correction = "fdr"
    alternative: Alternative = "two-sided"
    change: tuple[str, str] | None = None
    layers: bool = True

    def __post_init__(self) -> None:
        raise_if_any(self.problems())

    def problems(self) -> list[Problem]:
        out = []
        if not isinstance(self.permutations, int) or not 99 <= self.permutations <= 99_999:
            out.append(
                _option_problem(
                    "--permutations",
                    self.permutations,
                    "een geheel getal van 99 t/m 99999",
                    "an integer from 99 to 99999",
                )
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            out.append(
                _option_problem(
                    "--seed", self.seed, "een geheel getal van 0 t/m 4294967295", "an integer from 0 to 4294967295"
                )
            )
        if not isinstance(self.alpha, float | int) or not 0 < float(self.alpha) <= 0.5:
            out.append(
                _option_problem(
                    "--alpha", self.alpha, "een getal groter dan 0 en hoogstens 0,5", "a number above 0 and at most 0.5"
                )
            )
        if self.correction not in CORRECTIONS:
            out.append(
                _option_problem("--correction", self.correction, " of ".join(CORRECTIONS), " or ".join(CORRECTIONS))
            )
        if self.alternative not in ALTERNATIVES:
            out.append(
                _option_problem("--alternative", self.alternative, " of ".join(ALTERNATIVES), " or ".join(ALTERNATIVES))
            )
        if self.change is not None and (len(self.change) != 2 or self.change[0] == self.change[1]):
            out.append(
                _option_problem(
                    "--change", self.change, "twee verschillende perioden VAN,TOT", "two different periods FROM,TO"
                )
            )
        return out


def _option_problem(flag: str, value: object, nl: str, en: str) -> Problem:
    return Problem(
        "HOTSPOT_OPTION",
        f"{flag} {value!r} is ongeldig: verwacht {nl}.",
        f"{flag} {value!r} is invalid: expected {en}.",
        column=flag,
    )


@dataclass(frozen=True)
class HotspotResult:
    """The two tables, what the manifest records about the method, and notes for the build log."""

    buurt: pd.DataFrame
    change: pd.DataFrame
    method: dict[str, Any]
    notes: list[str]


def _schema_columns(table: str) -> tuple[schema.Column, ...]:
    layer = schema.layer_for(table)
    assert layer is not None, table
    return layer.columns


# The columns of the two tables, in order, and their types: as the atlas schema declares them.
BUURT_COLUMNS = tuple(c.name for c in _schema_columns(TABLE))
CHANGE_COLUMNS = tuple(c.name for c in _schema_columns(CHANGE_TABLE))
_FLOATS = {c.name for t in (TABLE, CHANGE_TABLE) for c in _schema_columns(t) if c.dtype == "float"}
PROTECTED_COLUMNS = (
    "buurtcode",
    "periode",
    "soort",
    "rate_raw",
    "rate_eb",
    "rate_seb",
    "gi_class",
    "lisa_class",
    "suppressed",
    "suppression",
    "reason",
)
PROTECTED_CHANGE_COLUMNS = (
    "buurtcode",
    "soort",
    "periode_van",
    "periode_tot",
    "change_abs",
    "change_rel",
    "change_class",
    "suppressed",
    "suppression",
    "reason",
)

WeightsFor = Callable[[Mapping[str, str]], BuurtWeights]


def _weights_cache(gdf_buurten: gpd.GeoDataFrame, spec: WeightsSpec) -> WeightsFor:
    """Weights per set of excluded buurten, built once: most families exclude the same buurten."""
    cache: dict[frozenset[tuple[str, str]], BuurtWeights] = {}

    def get(exclude: Mapping[str, str]) -> BuurtWeights:
        key = frozenset(exclude.items())
        if key not in cache:
            cache[key] = build_weights(gdf_buurten, spec=spec, exclude=exclude)
        return cache[key]

    return get


def _prepare_caseloads(
    df_caseloads: pd.DataFrame, suppressed: pd.Series | None, suppression: pd.Series | None
) -> pd.DataFrame:
    required = {"buurtcode", "periode", "soort", "aantal"}
    missing = sorted(required - set(df_caseloads.columns))
    if missing:
        raise InputError.single(
            "HOTSPOT_INPUT",
            f"Tabel {CASELOADS} mist kolom(men) {', '.join(missing)}.",
            f"Table {CASELOADS} lacks column(s) {', '.join(missing)}.",
            file=CASELOADS,
            column=missing[0],
        )
    if "verwijzer" in df_caseloads.columns:
        # Rows per referral route split a count; the hotspots use the area's count itself.
        route = df_caseloads["verwijzer"].astype("object").fillna("").astype(str).str.strip()
        df_caseloads = df_caseloads[route.eq("")]
        if suppressed is not None:
            suppressed = suppressed.reindex(df_caseloads.index)
        if suppression is not None:
            suppression = suppression.reindex(df_caseloads.index)
    df = pd.DataFrame(
        {
            "buurtcode": df_caseloads["buurtcode"].astype("string"),
            "periode": df_caseloads["periode"].astype("string"),
            "soort": df_caseloads["soort"].astype("string"),
            "aantal": pd.to_numeric(df_caseloads["aantal"], errors="coerce").astype("float64"),
        },
        index=df_caseloads.index,
    )
    if "youth_population" in df_caseloads:
        df["youth_population"] = pd.to_numeric(df_caseloads["youth_population"], errors="coerce").astype("float64")
    marks = pd.Series(False, index=df.index) if suppressed is None else suppressed.reindex(df.index)
    df["suppressed"] = marks.fillna(False).astype(bool)
    reasons = pd.Series(pd.NA, index=df.index, dtype="object") if suppression is None else suppression.reindex(df.index)
    text = reasons.astype("object").fillna("").astype(str)
    df["suppression"] = text.where(df["suppressed"] & text.ne(""), None)
    duplicated = df.duplicated(["buurtcode", "periode", "soort"])
    if duplicated.any():
        first = df[duplicated].iloc[0]
        raise InputError.single(
            "HOTSPOT_DUPLICATE",
            f"Tabel {CASELOADS} heeft meer dan één rij voor {first.buurtcode}, {first.periode}, {first.soort}.",
            f"Table {CASELOADS} has more than one row for {first.buurtcode}, {first.periode}, {first.soort}.",
            file=CASELOADS,
        )
    return df


def compute_hotspots(
    gdf_buurten: gpd.GeoDataFrame,
    df_caseloads: pd.DataFrame,
    *,
    options: HotspotOptions = HotspotOptions(),
    suppressed: pd.Series | None = None,
    suppression: pd.Series | None = None,
) -> HotspotResult:
    """Rates, Gi* and local Moran for every (periode, soort) in the caseloads, and the change between two periods.

    ``df_caseloads`` is the server-side table (raw counts ``aantal``); ``suppressed`` marks, per row of it,
    the counts that small-count protection hides (etl.protect), and ``suppression`` says how (``primair``:
    shown as <5, ``secundair``: shown as •). Every buurt of ``gdf_buurten`` gets a row per
    family; a buurt that takes no part says why in ``reason``.
    """
    started = time.perf_counter()
    df = _prepare_caseloads(df_caseloads, suppressed, suppression)
    weights_for = _weights_cache(gdf_buurten, options.weights)
    notes: list[str] = []
    unknown = sorted(set(df["buurtcode"].dropna()) - set(gdf_buurten["buurtcode"]))
    if unknown:
        notes.append(
            f"hotspots: {len(unknown)} buurtcode(s) in {CASELOADS} niet in de grenzen / not in the boundaries, "
            f"genegeerd / ignored: {', '.join(unknown[:10])}"
        )
    frames, families = [], []
    used: list[BuurtWeights] = []
    for (periode, soort), rows in df.groupby(["periode", "soort"], sort=True):
        frame, report, bw = _family(gdf_buurten, rows, options=options, weights_for=weights_for)
        used.append(bw)
        frame.insert(1, "periode", periode)
        frame.insert(2, "soort", soort)
        frames.append(frame)
        families.append({"periode": str(periode), "soort": str(soort), **report})
        notes += [f"hotspots {periode} {soort}: {n}" for n in report.pop("notes")]
    buurt = pd.concat(frames, ignore_index=True) if frames else _empty(BUURT_COLUMNS)
    buurt = _typed(buurt, BUURT_COLUMNS)

    periods = sorted(df["periode"].dropna().unique())
    change, change_report = _change_table(buurt, periods, options=options, weights_for=weights_for)
    notes += change_report.pop("notes")

    # The manifest describes the weights of the largest family; each family lists its own exclusions.
    main_weights = max(used, key=lambda bw: bw.n, default=BuurtWeights((), {}, options.weights))
    method = _method(options, main_weights, families, change_report, n_tests=main_weights.n)
    if options.correction != "none" and main_weights.n and method["min_attainable_p"] > options.alpha / main_weights.n:
        needed = permutations_needed(n_tests=main_weights.n, alpha=options.alpha, alternative=options.alternative)
        notes.append(
            f"hotspots: met {options.permutations} permutaties is de kleinste p {method['min_attainable_p']:.4f} > "
            f"α/n = {options.alpha / main_weights.n:.5f}; "
            + (
                "met Bonferroni is geen buurt significant te krijgen"
                if options.correction == "bonferroni"
                else "met FDR alleen als meerdere buurten die kleinste p delen"
            )
            + f" (≥ {needed} permutaties nodig voor één buurt) / with {options.permutations} permutations the "
            f"smallest p exceeds α/n; "
            + (
                "no buurt can pass Bonferroni"
                if options.correction == "bonferroni"
                else "FDR can only pass when several buurten share that smallest p"
            )
            + f" (≥ {needed} permutations needed for a single buurt)"
        )
    method["seconds"] = round(time.perf_counter() - started, 3)
    return HotspotResult(buurt, change, method, notes)


def _base_exclusions(gdf_buurten: gpd.GeoDataFrame, youth: pd.Series | None) -> dict[str, str]:
    frame = gdf_buurten if youth is None else gdf_buurten.assign(youth_population=youth.to_numpy())
    reasons = exclusion_reasons(frame, population="youth_population")
    codes = gdf_buurten["buurtcode"].astype(str)
    return {c: str(r) for c, r in zip(codes, reasons, strict=True) if not pd.isna(r)}


def _family(
    gdf_buurten: gpd.GeoDataFrame, rows: pd.DataFrame, *, options: HotspotOptions, weights_for: WeightsFor
) -> tuple[pd.DataFrame, dict[str, Any], BuurtWeights]:
    codes = gdf_buurten["buurtcode"].astype(str).tolist()
    by_code = rows.set_index("buurtcode")
    count = by_code["aantal"].reindex(codes)
    youth = (
        by_code["youth_population"].reindex(codes) if "youth_population" in by_code else pd.Series(np.nan, index=codes)
    )
    if "youth_population" in gdf_buurten:
        youth = youth.fillna(pd.Series(gdf_buurten["youth_population"].to_numpy(dtype="float64"), index=codes))
    marks = by_code["suppressed"].reindex(codes).fillna(False).astype(bool)

    excluded = _base_exclusions(gdf_buurten, youth)
    for code in codes:
        # Without a count, "no count" says more than "youth unknown" (a caseload row brings the youth).
        if excluded.get(code, "youth_unknown") == "youth_unknown" and pd.isna(count[code]):
            excluded[code] = "no_count"
        elif excluded.get(code) == "no_youth" and count[code] > 0:
            excluded[code] = "count_without_youth"  # an error in the inputs, not an empty buurt: say so
    bw = weights_for(excluded)
    excluded = dict(bw.excluded)
    # Rates use every buurt with a count and youth; an excluded island still has a rate, just no neighbours.
    rated = [c for c in codes if c not in excluded or excluded[c] in ("island", "too_few")]
    notes: list[str] = []

    out = pd.DataFrame({"buurtcode": codes, "youth_population": youth.to_numpy()})
    out = out.set_index("buurtcode", drop=False)
    for col in (
        "rate_raw",
        "rate_eb",
        "rate_seb",
        "rate_eb_z",
        "gi_z",
        "gi_p",
        "gi_p_adj",
        "lisa_i",
        "lisa_p",
        "lisa_p_adj",
    ):
        out[col] = np.nan
    out["gi_class"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["lisa_class"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["lisa_quadrant"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["n_neighbours"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["reason"] = pd.Series({c: excluded.get(c, pd.NA) for c in codes}, dtype="object")
    out["suppressed"] = marks.to_numpy()
    out["suppression"] = by_code["suppression"].reindex(codes).to_numpy()

    prior = None
    if rated:
        e, b = count[rated].to_numpy(), youth[rated].to_numpy()
        prior = eb_prior(e, b)
        out.loc[rated, "rate_raw"] = raw_rates(e, b)
        out.loc[rated, "rate_eb"] = empirical_bayes(e, b)
        out.loc[rated, "rate_eb_z"] = eb_standardised(e, b)
        if prior.clipped:
            notes.append(
                "EB-priorvariantie ≤ 0: de cijfers variëren niet meer dan toeval; alle EB-cijfers = stadsgemiddelde / "
                "EB prior variance ≤ 0: rates vary no more than chance; every EB rate = the city rate"
            )
    tested = list(bw.ids)
    if len(tested) < MIN_TESTED:
        for c in tested:
            out.loc[c, "reason"] = "too_few"
        tested = []
    if tested:
        w = bw.fresh()
        e, b = count[tested].to_numpy(), youth[tested].to_numpy()
        out.loc[tested, "rate_seb"] = spatial_empirical_bayes(e, b, w=w)
        out.loc[tested, "n_neighbours"] = bw.cardinalities()
        _test_family(out, tested, e, b, w=bw, options=options, notes=notes)

    _protected_rates(out, count, youth, excluded, marks, weights_for=weights_for)
    odd = sorted(c for c, r in excluded.items() if r == "count_without_youth")
    if odd:
        notes.append(
            f"{len(odd)} buurt(en) met caseload maar zonder jeugdigen, niet meegenomen / with a caseload but no "
            f"youth, left out: {', '.join(odd[:10])}"
        )
    report = {
        "n_buurten": len(codes),
        "n_tested": len(tested),
        "excluded": _count_values(out["reason"]),
        "suppressed": int(marks.sum()),
        "islands": list(bw.islands),
        "islands_attached_to": dict(bw.attached),
        "eb_prior": None
        if prior is None
        else {"mean_per_1000": 1000 * prior.mean, "variance": prior.variance, "clipped": prior.clipped},
        "gi": _count_values(out["gi_class"]),
        "lisa": _count_values(out["lisa_class"]),
        "notes": notes,
    }
    return out.reset_index(drop=True), report, bw


def _test_family(
    out: pd.DataFrame,
    tested: list[str],
    e: np.ndarray,
    b: np.ndarray,
    *,
    w: BuurtWeights,
    options: HotspotOptions,
    notes: list[str],
) -> None:
    kw = {"permutations": options.permutations, "seed": options.seed, "alternative": options.alternative}
    y = out.loc[tested, "rate_eb"].to_numpy(dtype="float64")
    if np.ptp(y) > 0:
        gi = gi_star(y, w.fresh(), **kw)  # type: ignore[arg-type]
        p_adj = adjust_p(gi.p, correction=options.correction)
        out.loc[tested, "gi_z"] = gi.z
        out.loc[tested, "gi_p"] = gi.p
        out.loc[tested, "gi_p_adj"] = p_adj
        out.loc[tested, "gi_class"] = gi_classes(gi.z, significant(p_adj, alpha=options.alpha))
    else:
        out.loc[tested, "gi_class"] = "ns"
        notes.append("Gi*: geen variatie in EB-cijfers, niets getoetst / no variation in EB rates, nothing tested")
    z = out.loc[tested, "rate_eb_z"].to_numpy(dtype="float64")
    if np.ptp(z) > 0:
        lisa = moran_local_rate(e, b, w.fresh(), **kw)  # type: ignore[arg-type]
        p_adj = adjust_p(lisa.p, correction=options.correction)
        assert lisa.quadrant is not None
        out.loc[tested, "lisa_i"] = lisa.statistic
        out.loc[tested, "lisa_p"] = lisa.p
        out.loc[tested, "lisa_p_adj"] = p_adj
        out.loc[tested, "lisa_quadrant"] = lisa_classes(lisa.quadrant, np.ones(len(tested), dtype=bool))
        out.loc[tested, "lisa_class"] = lisa_classes(lisa.quadrant, significant(p_adj, alpha=options.alpha))
    else:
        out.loc[tested, "lisa_class"] = "ns"
        notes.append("Moran: geen variatie in EB-gestandaardiseerde cijfers / no variation in EB-standardised rates")


def _protected_rates(
    out: pd.DataFrame,
    count: pd.Series,
    youth: pd.Series,
    excluded: Mapping[str, str],
    marks: pd.Series,
    *,
    weights_for: WeightsFor,
) -> None:
    """Smoothed rates from published counts only (the protection rule): suppressed buurten leave the input."""
    out["rate_eb_protected"] = np.nan
    out["rate_seb_protected"] = np.nan
    if not marks.any():
        out["rate_eb_protected"] = out["rate_eb"]
        out["rate_seb_protected"] = out["rate_seb"]
        return
    public_excluded = {**excluded, **{c: "suppressed" for c in marks.index[marks] if c not in excluded}}
    rated = [c for c in count.index if c not in public_excluded or public_excluded[c] in ("island", "too_few")]
    if not rated:
        return
    out.loc[rated, "rate_eb_protected"] = empirical_bayes(count[rated].to_numpy(), youth[rated].to_numpy())
    bw = weights_for(public_excluded)
    if bw.n >= MIN_TESTED:
        ids = list(bw.ids)
        out.loc[ids, "rate_seb_protected"] = spatial_empirical_bayes(
            count[ids].to_numpy(), youth[ids].to_numpy(), w=bw.fresh()
        )


def _change_table(
    buurt: pd.DataFrame, periods: list[str], *, options: HotspotOptions, weights_for: WeightsFor
) -> tuple[pd.DataFrame, dict[str, Any]]:
    report: dict[str, Any] = {"notes": []}
    if options.change is not None:
        van, tot = options.change
        missing = [p for p in (van, tot) if p not in periods]
        if missing:
            raise InputError.single(
                "HOTSPOT_PERIOD",
                f"Periode {', '.join(missing)} staat niet in {CASELOADS}; beschikbaar: {', '.join(periods) or '—'}.",
                f"Period {', '.join(missing)} is not in {CASELOADS}; available: {', '.join(periods) or '—'}.",
                column="--change",
            )
    elif len(periods) >= 2:
        van, tot = periods[-2], periods[-1]
    else:
        report["notes"].append(
            "hotspots: minder dan twee perioden, geen verandering / fewer than two periods, no change"
        )
        return _typed(_empty(CHANGE_COLUMNS), CHANGE_COLUMNS), {**report, "from": None, "to": None}
    frames, families = [], []
    for soort in sorted(buurt["soort"].unique()):
        a = buurt[(buurt["periode"] == van) & (buurt["soort"] == soort)].set_index("buurtcode")
        b = buurt[(buurt["periode"] == tot) & (buurt["soort"] == soort)].set_index("buurtcode")
        if a.empty or b.empty:
            report["notes"].append(f"hotspots: {soort} niet in beide perioden / not in both periods {van}, {tot}")
            continue
        frame, fam = _change_family(a, b, options=options, weights_for=weights_for)
        frame.insert(1, "soort", soort)
        frame.insert(2, "periode_van", van)
        frame.insert(3, "periode_tot", tot)
        frames.append(frame)
        families.append({"soort": str(soort), **fam})
    change = pd.concat(frames, ignore_index=True) if frames else _empty(CHANGE_COLUMNS)
    report.update({"from": van, "to": tot, "families": families})
    return _typed(change, CHANGE_COLUMNS), report


def _change_family(
    a: pd.DataFrame, b: pd.DataFrame, *, options: HotspotOptions, weights_for: WeightsFor
) -> tuple[pd.DataFrame, dict[str, Any]]:
    codes = a.index.tolist()
    b = b.reindex(codes)
    reason = a["reason"].where(a["reason"].notna(), b["reason"])
    # An island keeps its rates (so its change exists) but has no neighbours to test against.
    rated = a["rate_eb"].notna() & b["rate_eb"].notna()
    excluded = {
        c: str(reason[c]) if not pd.isna(reason[c]) else "no_count"
        for c in codes
        if not rated[c] or not pd.isna(reason[c])
    }
    out = pd.DataFrame({"buurtcode": codes}, index=codes)
    out["rate_eb_van"] = a["rate_eb"]
    out["rate_eb_tot"] = b["rate_eb"]
    out["change_abs"] = out["rate_eb_tot"] - out["rate_eb_van"]
    out["change_rel"] = out["change_abs"] / out["rate_eb_van"].where(out["rate_eb_van"] > 0)
    for col in ("change_gi_z", "change_gi_p", "change_gi_p_adj"):
        out[col] = np.nan
    out["change_class"] = pd.Series(pd.NA, index=codes, dtype="object")
    out["reason"] = pd.Series({c: excluded.get(c, pd.NA) for c in codes}, dtype="object")
    out["suppressed"] = a["suppressed"].fillna(False).astype(bool) | b["suppressed"].fillna(False).astype(bool)
    # A change hidden because of a <5 count in either period is shown as <5; else as secondary.
    either = pd.concat([a["suppression"], b["suppression"]], axis=1).astype("object").fillna("")
    how = pd.Series(None, index=out.index, dtype="object")
    how[either.eq(SECONDARY).any(axis=1)] = SECONDARY
    how[either.eq(PRIMARY).any(axis=1)] = PRIMARY
    out["suppression"] = how.where(out["suppressed"], None)
    bw = weights_for(excluded)
    tested = list(bw.ids) if bw.n >= MIN_TESTED else []
    y = out.loc[tested, "change_abs"].to_numpy(dtype="float64")
    if tested and np.ptp(y) > 0:
        gi = gi_star(
            y, bw.fresh(), permutations=options.permutations, seed=options.seed, alternative=options.alternative
        )
        p_adj = adjust_p(gi.p, correction=options.correction)
        out.loc[tested, "change_gi_z"] = gi.z
        out.loc[tested, "change_gi_p"] = gi.p
        out.loc[tested, "change_gi_p_adj"] = p_adj
        out.loc[tested, "change_class"] = gi_classes(gi.z, significant(p_adj, alpha=options.alpha))
    elif tested:
        out.loc[tested, "change_class"] = "ns"
    pub_van = a["rate_eb_protected"]
    pub_tot = b["rate_eb_protected"]
    out["change_abs_protected"] = pub_tot - pub_van
    out["change_rel_protected"] = out["change_abs_protected"] / pub_van.where(pub_van > 0)
    fam = {
        "n_tested": len(tested),
        "change": _count_values(out["change_class"]),
        "excluded": _count_values(out["reason"]),
    }
    return out.reset_index(drop=True), fam


def _count_values(s: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in s.dropna().value_counts().sort_index().items()}


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


def _typed(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in columns:
        if col in _FLOATS:
            out[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif col == "suppressed":
            out[col] = df[col].fillna(False).astype(bool)
        elif col == "n_neighbours":
            out[col] = pd.array(df[col], dtype="Int64")
        else:
            out[col] = df[col].astype("string")
    return out.reset_index(drop=True)


def _method(
    options: HotspotOptions,
    weights: BuurtWeights,
    families: list[dict[str, Any]],
    change: dict[str, Any],
    *,
    n_tests: int,
) -> dict[str, Any]:
    try:
        esda_version = metadata.version("esda")
    except metadata.PackageNotFoundError:
        esda_version = None
    return {
        "method": (
            "Lokale Getis-Ord Gi* op EB-gladgestreken cijfers en lokale Moran's I op EB-gestandaardiseerde cijfers, "
            "conditionele permutaties / local Getis-Ord Gi* on EB-smoothed rates and local Moran's I on "
            "EB-standardised rates, conditional permutations"
        ),
        "gi": "esda.G_Local(star=True, transform='B') on rate_eb; gi_z is the analytical Gi* z-score",
        "lisa": "esda.Moran_Local_Rate(adjusted=True, transformation='r'): Assunção–Reis EB-standardised rates",
        "rates": {
            "per": 1000,
            "raw": "aantal / youth_population × 1000",
            "eb": "esda.smoothing.Empirical_Bayes (global prior, Marshall 1991; prior variance < 0 → 0)",
            "seb": "esda.smoothing.Spatial_Empirical_Bayes (prior from the buurt and its neighbours)",
            "eb_z": "esda.smoothing.assuncao_rate (Assunção & Reis 1999)",
        },
        "weights": weights.report(),
        "permutations": options.permutations,
        "seed": options.seed,
        "alpha": options.alpha,
        "correction": options.correction,
        "correction_family": "per (periode, soort, statistiek/statistic) over the tested buurten",
        "alternative": options.alternative,
        "min_attainable_p": min_attainable_p(permutations=options.permutations, alternative=options.alternative),
        "bonferroni_threshold": options.alpha / max(n_tests, 1),
        "classes": {
            "gi": "hot | cold | ns",
            "lisa": "HH | LL | HL | LH | ns",
            "change": "hot (cluster of increase) | cold (cluster of decrease) | ns",
        },
        "change": {
            "from": change.get("from"),
            "to": change.get("to"),
            "variable": "rate_eb(tot) − rate_eb(van); change_rel = change_abs / rate_eb(van)",
            "class": "Gi* on change_abs, relative to the city-wide change",
            "families": change.get("families", []),
        },
        "reasons": {k: f"{nl} / {en}" for k, (nl, en) in REASONS.items()}
        | {
            "suppressed": "aantal onderdrukt (alleen voor de beschermde cijfers) / count suppressed (protected rates only)"
        },
        "protection": PROTECTION_RULE,
        "families": families,
        "esda": esda_version,
        "numba": importlib.util.find_spec("numba") is not None,
        "reproducibility": (
            "Same atlas inputs, weights, permutations and seed give the same classes; the permutation stream is "
            "esda's (np.random.seed(seed) in esda.crand), so it also depends on the esda version and on whether "
            "numba is installed (both recorded here)."
        ),
    }


# ---------------------------------------------------------------- protected view


def protected_hotspots(df_hotspots: pd.DataFrame) -> pd.DataFrame:
    """What of `hotspots_buurt` may leave the server: classes, smoothed rates from published counts, marks.

    The raw rate is kept only where the count itself is shown; z-scores, p-values and local I never leave.
    """
    out = pd.DataFrame({c: df_hotspots[c] for c in ("buurtcode", "periode", "soort")})
    marks = df_hotspots["suppressed"].fillna(False).astype(bool)
    out["rate_raw"] = df_hotspots["rate_raw"].where(~marks)
    out["rate_eb"] = df_hotspots["rate_eb_protected"].where(~marks)
    out["rate_seb"] = df_hotspots["rate_seb_protected"].where(~marks)
    out["gi_class"] = df_hotspots["gi_class"]
    out["lisa_class"] = df_hotspots["lisa_class"]
    out["suppressed"] = marks
    out["suppression"] = df_hotspots["suppression"].where(marks)
    out["reason"] = df_hotspots["reason"]
    return _with_marks(out[list(PROTECTED_COLUMNS)], ("rate_raw", "rate_eb", "rate_seb"))


def protected_change(df_change: pd.DataFrame) -> pd.DataFrame:
    """What of `hotspots_change_buurt` may leave the server: the change class and the change of published rates."""
    out = pd.DataFrame({c: df_change[c] for c in ("buurtcode", "soort", "periode_van", "periode_tot")})
    marks = df_change["suppressed"].fillna(False).astype(bool)
    out["change_abs"] = df_change["change_abs_protected"].where(~marks)
    out["change_rel"] = df_change["change_rel_protected"].where(~marks)
    out["change_class"] = df_change["change_class"]
    out["suppressed"] = marks
    out["suppression"] = df_change["suppression"].where(marks)
    out["reason"] = df_change["reason"]
    return _with_marks(out[list(PROTECTED_CHANGE_COLUMNS)], ("change_abs", "change_rel"))


def _with_marks(out: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """etl.protect's per-column marks: ``<col>__onderdrukt`` (bool) and ``<col>__reden`` (primair | secundair | '')."""
    out = out.reset_index(drop=True)
    reason = out["suppression"].astype("object").where(out["suppressed"], "").fillna("")
    for col in columns:
        out[col + SUPPRESSED_SUFFIX] = out["suppressed"].to_numpy()
        out[col + REASON_SUFFIX] = reason.to_numpy()
    return out


# ---------------------------------------------------------------- geometry layers for QGIS


def layer_name(*periods: str) -> str:
    """'hotspots_2023', 'hotspots_2024_q1', 'hotspots_change_2023_2024': safe GeoPackage layer names."""
    slug = "_".join(re.sub(r"[^0-9a-z]+", "_", str(p).lower()).strip("_") for p in periods)
    return f"hotspots_{slug}"


def hotspot_layers(
    gdf_buurten: gpd.GeoDataFrame, df_hotspots: pd.DataFrame, df_change: pd.DataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """One polygon layer per period (and one for the change), a column per care type, protected values only."""
    base = gdf_buurten[["buurtcode", "buurtnaam", "wijkcode", "wijknaam", gdf_buurten.geometry.name]]
    layers: dict[str, gpd.GeoDataFrame] = {}
    public = protected_hotspots(df_hotspots)
    for periode, rows in public.groupby("periode", sort=True):
        wide = _wide(
            rows, ["rate_raw", "rate_eb", "rate_seb", "gi_class", "lisa_class", "suppressed", "suppression", "reason"]
        )
        layers[layer_name(str(periode))] = _with_geometry(base, wide)
    if not df_change.empty:
        change = protected_change(df_change)
        van, tot = str(change["periode_van"].iloc[0]), str(change["periode_tot"].iloc[0])
        wide = _wide(change, ["change_abs", "change_rel", "change_class", "suppressed", "suppression", "reason"])
        layers[layer_name("change", van, tot)] = _with_geometry(base, wide)
    return layers


def _wide(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    parts = {}
    for soort, part in rows.groupby("soort", sort=True):
        part = part.set_index("buurtcode")
        for col in columns:
            parts[f"{soort}_{col}"] = part[col]  # keeps each column's dtype, which a multi-value pivot loses
    return pd.DataFrame(parts).rename_axis("buurtcode").reset_index()


def _with_geometry(base: gpd.GeoDataFrame, wide: pd.DataFrame) -> gpd.GeoDataFrame:
    merged = base.merge(wide, on="buurtcode", how="left", validate="one_to_one")
    geometry = base.geometry.name
    cols = [c for c in merged.columns if c != geometry] + [geometry]
    return gpd.GeoDataFrame(merged[cols], geometry=geometry, crs=base.crs)


# ---------------------------------------------------------------- the pipeline stage


def suppression_marks(
    df_caseloads: pd.DataFrame, df_caseloads_wijk: pd.DataFrame | None = None, *, threshold: int | None = None
) -> pd.DataFrame:
    """Per row of ``caseloads_buurt``: is its count hidden by small-count protection (``suppressed``), and how
    (``suppression``: primair | secundair)?

    Asks etl.protect, the one protection function, with the wijk table when there is one so that the
    secondary suppression is the very one the dashboard and exports show.
    """

    protected = protect_caseloads(
        df_caseloads, df_caseloads_wijk, threshold=DEFAULT_THRESHOLD if threshold is None else threshold
    ).buurt
    keys = ["buurtcode", "periode", "soort"]
    mark, reason = "aantal" + SUPPRESSED_SUFFIX, "aantal" + REASON_SUFFIX
    marks = protected[[*keys, mark, reason]].astype(dict.fromkeys(keys, "string"))
    aligned = df_caseloads[keys].astype("string").merge(marks, on=keys, how="left", validate="one_to_one")
    hidden = aligned[mark].fillna(False).to_numpy(dtype=bool)
    how = aligned[reason].astype("object").where(hidden, None).to_numpy()
    return pd.DataFrame({"suppressed": hidden, "suppression": how}, index=df_caseloads.index)


def add_hotspots(atlas: Atlas, opts: BuildOptions) -> Atlas:
    """Pipeline stage: `hotspots_buurt`, `hotspots_change_buurt` and per-period map layers from the caseloads."""
    options = opts.hotspots
    methods = dict(atlas.manifest.get("methods") or {})
    notes = list(atlas.manifest.get("notes") or [])
    if not options.enabled:
        methods["hotspots"] = {"status": "disabled"}
        return atlas.with_manifest(methods=methods)
    if CASELOADS not in atlas.layers:
        methods["hotspots"] = {"status": "skipped", "reason": f"no {CASELOADS} layer (no caseloads given)"}
        notes.append("hotspots: geen caseloads, overgeslagen / no caseloads, skipped")
        return atlas.with_manifest(methods=methods, notes=notes)
    df_caseloads = atlas[CASELOADS]
    try:
        marks = suppression_marks(df_caseloads, atlas.layers.get("caseloads_wijk"), threshold=_threshold(opts))
    except ProtectionError as exc:
        # Fail closed: when the counts cannot be protected, no smoothed rate of them is published either.
        marks = pd.DataFrame({"suppressed": True, "suppression": PRIMARY}, index=df_caseloads.index)
        notes.append(
            f"hotspots: kleine aantallen niet te beschermen ({exc}); geen gladgestreken cijfers gepubliceerd / "
            "small counts cannot be protected; no smoothed rates published"
        )
    result = compute_hotspots(
        atlas["buurten"],
        df_caseloads,
        options=options,
        suppressed=marks["suppressed"],
        suppression=marks["suppression"],
    )
    layers: dict[str, pd.DataFrame] = {TABLE: result.buurt, CHANGE_TABLE: result.change}
    if options.layers:
        layers.update(hotspot_layers(atlas["buurten"], result.buurt, result.change))
    methods["hotspots"] = {"status": "computed", **result.method, "layers": sorted(layers)}
    return atlas.with_layers(**layers).with_manifest(methods=methods, notes=notes + result.notes)


def _threshold(opts: BuildOptions) -> int | None:
    """The suppression threshold of the care-data options, when the build has one."""
    care = getattr(opts, "care", None)
    value = getattr(care, "threshold", None)
    return int(value) if isinstance(value, int) else None
