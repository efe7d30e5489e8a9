"""The atlas schema as data: every layer and column the build writes, their types, units and sensitivity.

One home for the atlas's shape. The build checks each layer against it before writing (:func:`validate_atlas`),
the app and the exports take column names from it (:func:`travel_time`, :func:`coverage` …), and
``make docs`` (``python -m etl.atlas_docs > docs/ATLAS.md``) writes the reference from it.

Column names may be families: ``tt_{target}_{mode}_min`` stands for one column per travel target and mode.
Placeholders with a closed domain (``mode``, ``target``) expand to every value; open ones (a threshold, a
care type, a CBS attribute) are matched by a pattern.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from pandas.api import types as pdt

from etl.rules.columns import SOORTEN_CASELOAD
from geodata.cbs import MISSING_SUFFIX
from geodata.crs import RD_NEW
from geodata.errors import InputError, Problem
from geodata.roads.model import MODES
from geodata.schema import BUURT_SPEC, WIJK_SPEC
from geodata.schema import Column as GeoColumn

Dtype = Literal["text", "float", "int", "bool", "geometry", "as in the source"]
Sensitivity = Literal["public", "count, protected", "derived from counts, protected", "server only"]
Stage = Literal["boundaries", "care", "referrals", "travel", "hotspots"]

# The travel targets: nearest buurtteam, nearest specialist team of the contracted provider, of any provider.
TARGETS: tuple[str, ...] = ("buurtteam", "spec_contract", "spec_any")
# Closed placeholders expand to every value; open ones are matched by a pattern (and listed in the docs).
DOMAINS: Mapping[str, tuple[str, ...]] = {"mode": MODES, "target": TARGETS}
PATTERNS: Mapping[str, str] = {
    "t": r"\d+(?:_\d+)?",
    "soort": "|".join(SOORTEN_CASELOAD),
    "col": r"[a-z0-9_]+?",
    "periode": r"\d{4}(?:_q[1-4]|_\d{2})?",
    "van": r"\d{4}(?:_q[1-4]|_\d{2})?",
    "tot": r"\d{4}(?:_q[1-4]|_\d{2})?",
}
PLACEHOLDER_NOTES: Mapping[str, str] = {
    "mode": ", ".join(MODES),
    "target": "`buurtteam` (nearest buurtteam), `spec_contract` (nearest specialist team of the buurt's contracted "
    "`provider`), `spec_any` (nearest specialist team of any provider)",
    "t": "a coverage threshold in minutes (default 10, 15, 20; `_` for a decimal point, e.g. `7_5`)",
    "soort": "a care type: " + ", ".join(SOORTEN_CASELOAD),
    "col": "the CBS column that held a sentinel",
    "periode": "a period as `YYYY`, `YYYY_qN` or `YYYY_MM`",
    "van": "the first of the two periods compared",
    "tot": "the second of the two periods compared",
}
# pandas dtype checks per schema type (pandas writes text as str, string or object depending on the source).
_DTYPE_OK: Mapping[str, Callable[[Any], bool]] = {
    "text": lambda d: pdt.is_string_dtype(d) or pdt.is_object_dtype(d),
    "float": pdt.is_float_dtype,
    "int": pdt.is_integer_dtype,
    "bool": pdt.is_bool_dtype,
    "geometry": lambda d: str(d) == "geometry",
    # Attributes passed on from a boundary file keep its types (CBS files: numbers and text; others may add more).
    "as in the source": lambda d: str(d) != "geometry",
}


class _Keep(dict[str, str]):
    """format_map helper: a placeholder without a value stays a placeholder (``{mode}`` for the mode picker)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Column:
    """One column (or family of columns, when ``name`` has placeholders) of a layer."""

    name: str
    dtype: Dtype
    en: str
    nl: str
    unit: str = ""
    sensitivity: Sensitivity = "public"
    stage: Stage = "boundaries"
    required: bool = True
    # Shown in the docs instead of ``name`` when the family is written another way (e.g. a list of names).
    label: str = ""

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(f for _, f, _, _ in string.Formatter().parse(self.name) if f)

    @property
    def is_open(self) -> bool:
        """True when a placeholder has no closed domain, so the family cannot be listed in advance."""
        return any(p not in DOMAINS for p in self.placeholders)

    def name_for(self, **values: str) -> str:
        """The concrete name; a closed placeholder must get a value of its domain, a missing one stays ``{…}``."""
        for key, value in values.items():
            if key not in self.placeholders:
                raise KeyError(f"{self.name}: no placeholder {key!r}")
            if value.startswith("{"):
                continue
            if key in DOMAINS and value not in DOMAINS[key]:
                raise ValueError(f"{self.name}: {key}={value!r} is not one of {DOMAINS[key]}")
            if key in PATTERNS and not re.fullmatch(PATTERNS[key], value):
                raise ValueError(f"{self.name}: {key}={value!r} does not match {PATTERNS[key]}")
        return self.name.format_map(_Keep(values))

    def names(self) -> tuple[str, ...]:
        """Every concrete name of a closed family, in domain order (empty for an open family)."""
        if self.is_open:
            return ()
        out = [self.name]
        for key in self.placeholders:
            out = [n.format_map(_Keep({key: v})) for n in out for v in DOMAINS[key]]
        return tuple(dict.fromkeys(out))

    def pattern(self) -> re.Pattern[str]:
        return _compile(self.name)

    def matches(self, name: str) -> bool:
        return _compile(self.name).fullmatch(name) is not None


@functools.cache
def _compile(template: str) -> re.Pattern[str]:
    """The regular expression of a name template (cached: the build checks some 200 columns against 60 families)."""
    parts: list[str] = []
    for literal, key, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if key:
            parts.append("(?:" + ("|".join(map(re.escape, DOMAINS[key])) if key in DOMAINS else PATTERNS[key]) + ")")
    return re.compile("".join(parts))


@dataclass(frozen=True)
class Layer:
    """One layer of the GeoPackage (a name pattern when the build writes one per period)."""

    name: str
    geometry: str  # "Polygon", "Point" or "" for an attribute table
    en: str
    columns: tuple[Column, ...]
    stage: Stage
    sensitivity: Sensitivity = "public"
    # Columns the layer passes on from the source under their own name (CBS Kerncijfers), with the names
    # they may not take (the project's own families): so a misspelt metric is still caught.
    passthrough: Column | None = None
    reserved_prefixes: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        return Column(self.name, "text", "", "").matches(name)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def declared(self, name: str) -> Column | None:
        """The declaration a concrete column name falls under, if any."""
        for col in self.columns:
            if col.matches(name):
                return col
        if (
            self.passthrough is not None
            and not name.startswith(self.reserved_prefixes)
            and self.passthrough.matches(name)
        ):
            return self.passthrough
        return None

    def problems(self, frame: pd.DataFrame, *, layer_name: str) -> list[Problem]:
        """Missing declared, undeclared and wrongly typed columns of ``frame`` (empty when it fits)."""
        problems = self._geometry_problems(frame, layer_name=layer_name)
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) and self.geometry else None
        present = {c for c in frame.columns if c != geometry}
        stages_present = {col.stage for name in present if (col := self.declared(name)) is not None}
        for col in self.columns:
            # A stage adds its columns all or none: columns of a stage that did not run may be absent.
            if not col.required or col.is_open or (col.stage != self.stage and col.stage not in stages_present):
                continue
            for name in col.names():
                if name not in present:
                    problems.append(
                        _problem(
                            "ATLAS_SCHEMA_MISSING",
                            layer_name,
                            name,
                            f"kolom '{name}' ontbreekt",
                            f"column '{name}' is missing",
                        )
                    )
        for name, dtype in frame.dtypes.items():
            if name == geometry:
                continue
            decl = self.declared(str(name))
            if decl is None:
                problems.append(
                    _problem(
                        "ATLAS_SCHEMA_UNDECLARED",
                        layer_name,
                        str(name),
                        f"kolom '{name}' staat niet in het atlasschema",
                        f"column '{name}' is not in the atlas schema",
                    )
                )
            elif not _DTYPE_OK[decl.dtype](dtype):
                problems.append(
                    _problem(
                        "ATLAS_SCHEMA_DTYPE",
                        layer_name,
                        str(name),
                        f"kolom '{name}' is {dtype}, het schema zegt {decl.dtype}",
                        f"column '{name}' is {dtype}, the schema says {decl.dtype}",
                    )
                )
        return problems

    def _geometry_problems(self, frame: pd.DataFrame, *, layer_name: str) -> list[Problem]:
        """A feature layer has geometries of its type in EPSG:28992; an attribute table has none."""
        if not self.geometry:
            if isinstance(frame, gpd.GeoDataFrame):
                return [
                    _problem(
                        "ATLAS_SCHEMA_GEOMETRY",
                        layer_name,
                        "geometry",
                        "een attribuuttabel heeft geen geometrie",
                        "an attribute table has no geometry",
                    )
                ]
            return []
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
            return [
                _problem(
                    "ATLAS_SCHEMA_GEOMETRY",
                    layer_name,
                    "geometry",
                    f"geen geometrie ({self.geometry})",
                    f"no geometry ({self.geometry})",
                )
            ]
        problems = []
        if frame.crs is None or f"EPSG:{frame.crs.to_epsg()}" != RD_NEW:
            problems.append(
                _problem(
                    "ATLAS_SCHEMA_CRS",
                    layer_name,
                    "geometry",
                    f"CRS {frame.crs} is niet {RD_NEW}",
                    f"CRS {frame.crs} is not {RD_NEW}",
                )
            )
        other = sorted(set(frame.geom_type.dropna()) - {self.geometry, f"Multi{self.geometry}"})
        if other:
            problems.append(
                _problem(
                    "ATLAS_SCHEMA_GEOMETRY",
                    layer_name,
                    "geometry",
                    f"geometrie {', '.join(other)}, het schema zegt {self.geometry}",
                    f"geometry {', '.join(other)}, the schema says {self.geometry}",
                )
            )
        return problems


def _problem(code: str, layer: str, column: str, nl: str, en: str) -> Problem:
    return Problem(code, f"Atlaslaag '{layer}': {nl}.", f"Atlas layer '{layer}': {en}.", file=layer, column=column)


# ---------------------------------------------------------------- columns shared by several layers

_T, _M = "{target}", "{mode}"
# The canonical boundary columns are geodata's (one spec for the reader and the atlas); here their Dutch words.
_TYPES: Mapping[str, Dtype] = {"string": "text", "bool": "bool", "int64": "int"}
_NL = {
    "buurtcode": "CBS-buurtcode",
    "buurtnaam": "buurtnaam",
    "wijkcode": "CBS-wijkcode",
    "wijknaam": "wijknaam",
    "gemeentecode": "CBS-gemeentecode",
    "gemeentenaam": "gemeentenaam",
    "water": "alleen water",
    "n_buurten": "aantal buurten in de wijk",
}


def _canonical(spec: Iterable[GeoColumn]) -> tuple[Column, ...]:
    return tuple(Column(c.name, _TYPES[c.dtype], c.description, _NL[c.name], required=c.required) for c in spec)


_CBS = Column(
    "{col}",
    "as in the source",
    "CBS Kerncijfers (canonical names for well-known ones, e.g. `aantal_inwoners`, "
    "`aantal_0_14`, `aantal_15_24`, `opp_land_ha`; CBS names for the rest)",
    "CBS Kerncijfers (vaste namen voor bekende, CBS-namen voor de rest)",
    label="aantal_inwoners, aantal_0_14, …",
)
_MISSING = Column(
    "{col}" + MISSING_SUFFIX,
    "text",
    "`geheim` (CBS secret) or `onbekend` (unknown) where CBS wrote a sentinel",
    "`geheim` of `onbekend` waar CBS een codewaarde schreef",
    required=False,
)
_YOUTH = (
    Column(
        "youth_population",
        "float",
        "0–17 year olds, **estimate**: a_00_14 + 3/10 × a_15_24",
        "jeugdigen 0–17, **schatting**: a_00_14 + 3/10 × a_15_24",
        unit="persons",
    ),
    Column("youth_population_method", "text", "how the youth population was estimated", "hoe geschat"),
    Column("youth_population_is_estimate", "bool", "true where youth_population is an estimate", "schatting ja/nee"),
)
_PROVIDER = (
    Column(
        "provider",
        "text",
        "contracted specialist consortium (`KOOS`, `Spoor030`, or a `--known-provider`); a buurt "
        "row of the providers file overrides its wijk. Every buurt with inhabitants has one (else the build stops "
        "with `PROVIDER_GAP` naming it)",
        "gecontracteerd specialistisch consortium",
        stage="care",
    ),
    Column(
        "provider_bron",
        "text",
        "where it comes from: `wijk: <source>` or `buurt: <source>` on buurten; on wijken "
        "`wijk: …` (own row), `buurten: …` (all its buurten agree) or `meerderheid jeugd / majority of youth (…): …`",
        "herkomst van de aanbieder",
        stage="care",
    ),
)


def _travel(*, buurt: bool) -> tuple[Column, ...]:
    """The per-mode travel, coverage and access columns on buurten (``buurt``) or wijken."""
    weighted = "youth-weighted mean over the buurt's origins" if buurt else "youth-weighted over the wijk's origins"
    cols = [
        Column(
            f"tt_{_T}_{_M}_min",
            "float",
            f"time of the fastest route to the nearest team of the target; {weighted}. "
            "NaN: no such team (e.g. no provider)",
            "reistijd naar het dichtstbijzijnde team",
            unit="min",
            stage="travel",
        ),
        Column(
            f"dist_{_T}_{_M}_m",
            "float",
            "distance of that route (along the network, or straight line × detour factor)",
            "afstand van die route",
            unit="m",
            stage="travel",
        ),
    ]
    if buurt:
        cols += [
            Column(
                f"nearest_{_T}_{_M}",
                "text",
                "team_id of that team (with weighted origins: the team nearest for most "
                "of the buurt's youth). Ties: shorter route, then the first team",
                "team_id van dat team",
                stage="travel",
            ),
            Column(
                f"seam_{_M}",
                "bool",
                "the other provider's specialist team is faster than the contracted one by more "
                "than the margin (default 2 min): `tt_spec_contract − tt_spec_any > margin`. Empty without a provider",
                "naad: team van de andere aanbieder sneller",
                stage="travel",
            ),
            Column(
                f"seam_gain_{_M}_min",
                "float",
                "`tt_spec_contract_{mode}_min − tt_spec_any_{mode}_min` (0 when the contracted team is the nearest)",
                "tijdwinst bij de andere aanbieder",
                unit="min",
                stage="travel",
            ),
        ]
    else:
        cols.append(
            Column(
                f"seam_{_M}_share",
                "float",
                "share of the wijk's youth living in seam buurten",
                "aandeel jeugd in naadbuurten",
                unit="share 0–1",
                stage="travel",
            )
        )
    worst = (
        "of the buurt's youth-carrying origins"
        if buurt
        else "of the wijk's youth-carrying origins, i.e. of its buurten"
    )
    cols += [
        Column(
            f"travel_quality_{_T}_{_M}",
            "text",
            "how sure `tt_{target}_{mode}_min` is: `network` · `network, far snap` "
            "(a snap leg > 500 m of one of the youth-carrying origins, or of the team nearest to one of them) · "
            "`estimate (straight line × detour)` · `unreachable` (no team reachable on the network); empty where "
            "the figure is missing (no team of the target for the area)",
            "betrouwbaarheid van de reistijd",
            stage="travel",
        ),
        Column(
            f"travel_quality_{_M}",
            "text",
            f"the least sure of the three `travel_quality_{{target}}_{{mode}}` ({worst}; "
            "order: unreachable, far snap, network/estimate)",
            "minst zekere betrouwbaarheid",
            stage="travel",
        ),
        Column(
            f"travel_method_{_M}",
            "text",
            "`network` or `straight_line`: the method of the mode",
            "methode van de vervoerswijze",
            stage="travel",
        ),
        Column(
            "coverage_{mode}_{t}min",
            "float",
            "share of the youth within t minutes of a buurtteam by the coverage "
            "mode (bike by default); NaN without youth",
            "aandeel jeugd binnen t minuten van een buurtteam",
            unit="share 0–1",
            stage="travel",
        ),
        Column(
            "access_e2sfca",
            "float",
            "E2SFCA access to buurtteams: capaciteit_fte per 1,000 youth in reach, by bike, "
            "decay step 10/20/30 min → 1/0.68/0.22",
            "toegang tot buurtteamcapaciteit (E2SFCA)",
            unit="fte per 1,000 youth",
            stage="travel",
        ),
        Column(
            "access_e2sfca_rel",
            "float",
            "`access_e2sfca` ÷ its youth-weighted city mean (1 = city average)",
            "toegang t.o.v. het stadsgemiddelde",
            unit="ratio",
            stage="travel",
        ),
        Column(
            "access_e2sfca_spec",
            "float",
            "the same for the specialist teams of the contracted provider only; NaN without a provider",
            "toegang tot specialistische capaciteit",
            unit="fte per 1,000 youth",
            stage="travel",
        ),
        Column(
            "access_e2sfca_spec_rel",
            "float",
            "`access_e2sfca_spec` ÷ its youth-weighted city mean",
            "specialistische toegang t.o.v. het stadsgemiddelde",
            unit="ratio",
            stage="travel",
        ),
        Column(
            "travel_method",
            "text",
            "`network` or `straight_line` when every mode has it, else `mixed`",
            "methode over alle vervoerswijzen",
            stage="travel",
        ),
    ]
    return tuple(cols)


_TRAVEL_PREFIXES = ("tt_", "dist_", "nearest_", "seam_", "travel_", "coverage_", "access_", "youth_", "provider")

# ---------------------------------------------------------------- care tables

_COUNT: Sensitivity = "count, protected"
_DERIVED: Sensitivity = "derived from counts, protected"
_PERIODE = Column("periode", "text", "`YYYY`, `YYYY-Qn` or `YYYY-MM`", "periode", stage="care")


def _care_key(code: str, en: str, stage: Stage) -> Column:
    return Column(code, "text", en, "het gebied", stage=stage)


def _caseload_columns(code: str) -> tuple[Column, ...]:
    return (
        _care_key(code, "the area", "care"),
        _PERIODE,
        Column(
            "soort",
            "text",
            "`buurtteam` | `specialistisch` | `verblijf` | `jeugdbescherming` | `totaal` (children "
            "with any care; between the largest type and their sum) — only the types the input has",
            "zorgsoort",
            stage="care",
        ),
        Column(
            "aantal",
            "int",
            "**raw count, server only**: never send it anywhere without `etl.protect` (NA = unknown)",
            "**ruw aantal, alleen op de server**",
            unit="children",
            sensitivity=_COUNT,
            stage="care",
        ),
        Column(
            "youth_population",
            "float",
            "0–17, the atlas's estimate (see `buurten`)",
            "jeugdigen 0–17 (schatting)",
            unit="persons",
            stage="care",
        ),
        Column(
            "rate_per_1000",
            "float",
            "aantal / youth_population × 1,000; NA when either is unknown or youth is 0",
            "aantal per 1.000 jeugdigen",
            unit="per 1,000 youth",
            sensitivity=_DERIVED,
            stage="care",
        ),
    )


def _referral_columns(code: str, *, with_provider: bool) -> tuple[Column, ...]:
    area = "the provider: `KOOS`, `Spoor030` or a `--known-provider`" if code == "provider" else "the area"
    cols = [_care_key(code, area, "referrals")]
    if with_provider:
        cols.append(
            Column(
                "provider",
                "text",
                "the area's provider (the provider rows are the sums of the buurten with "
                "that provider — of the wijken for wijk-level input)",
                "aanbieder van het gebied",
                stage="referrals",
            )
        )
    return (
        *cols,
        Column("periode", "text", "as in `caseloads_*`; only periods with route rows", "periode", stage="referrals"),
        Column(
            "soort",
            "text",
            "`specialistisch` or `verblijf` (the care types routes apply to), only those with route rows",
            "zorgsoort",
            stage="referrals",
        ),
        Column(
            "verwijzer",
            "text",
            "the route: `buurtteam`, `huisarts`, `jeugdarts`, `save` (SAVE, jeugdbescherming), "
            "`medisch_specialist`, `overig` (other or unknown)",
            "verwijsroute",
            stage="referrals",
        ),
        Column(
            "aantal",
            "int",
            "**raw count, server only**: children of this care type who came by this route (NA = unknown)",
            "**ruw aantal**: kinderen via deze route",
            unit="children",
            sensitivity=_COUNT,
            stage="referrals",
        ),
        Column(
            "totaal",
            "int",
            "the area's count of this care type (= `caseloads_*.aantal`; = the sum of its routes)",
            "aantal van deze zorgsoort",
            unit="children",
            sensitivity=_COUNT,
            stage="referrals",
        ),
        Column(
            "aandeel",
            "float",
            "aantal / totaal; NaN when either is unknown or totaal is 0",
            "aandeel van de route",
            unit="share 0–1",
            sensitivity=_DERIVED,
            stage="referrals",
        ),
    )


# ---------------------------------------------------------------- hotspots


def _hot(
    name: str, dtype: Dtype, en: str, nl: str, *, unit: str = "", sensitivity: Sensitivity = "server only"
) -> Column:
    return Column(name, dtype, en, nl, unit=unit, sensitivity=sensitivity, stage="hotspots")


_PER_1000 = "per 1,000 youth"
_HOT_COMMON = (
    _hot(
        "reason",
        "text",
        "why not tested: `water`, `no_youth`, `youth_unknown`, `no_count`, `count_without_youth` (an "
        "input error, also in the notes), `island` (with `--islands exclude`), `too_few`, `no_geometry`",
        "waarom niet getoetst",
        sensitivity="public",
    ),
    _hot(
        "suppressed",
        "bool",
        "the count is hidden by `etl.protect` (primary `<5` or secondary)",
        "aantal beschermd",
        sensitivity="public",
    ),
    _hot(
        "suppression",
        "text",
        "how: `primair` (shown as `<5`) or `secundair` (shown as `•`); empty when shown",
        "hoe beschermd",
        sensitivity="public",
    ),
)
_HOTSPOTS_BUURT = (
    _hot("buurtcode", "text", "key", "sleutel", sensitivity="public"),
    _hot("periode", "text", "key", "sleutel", sensitivity="public"),
    _hot("soort", "text", "key (as in `caseloads_buurt`)", "sleutel", sensitivity="public"),
    _hot(
        "youth_population",
        "float",
        "0–17 year olds used as the population at risk",
        "jeugdigen 0–17",
        unit="persons",
        sensitivity="public",
    ),
    _hot("rate_raw", "float", "aantal / youth × 1,000", "ruw cijfer per 1.000", unit=_PER_1000),
    _hot(
        "rate_eb",
        "float",
        "Empirical Bayes rate per 1,000 (esda `Empirical_Bayes`, global prior; prior variance < 0 → 0)",
        "Empirical Bayes-cijfer",
        unit=_PER_1000,
    ),
    _hot(
        "rate_seb",
        "float",
        "spatial EB rate per 1,000 (esda `Spatial_Empirical_Bayes`, prior from the buurt and its neighbours)",
        "ruimtelijk EB-cijfer",
        unit=_PER_1000,
    ),
    _hot(
        "rate_eb_z",
        "float",
        "Assunção–Reis EB-standardised rate (esda `assuncao_rate`): what local Moran is computed on",
        "EB-gestandaardiseerd cijfer",
    ),
    _hot("gi_z", "float", "Gi* z-score (analytical)", "Gi* z-score"),
    _hot("gi_p", "float", "Gi* permutation p-value", "Gi* p-waarde"),
    _hot("gi_p_adj", "float", "Gi* p adjusted for multiple testing", "Gi* gecorrigeerde p"),
    _hot(
        "gi_class",
        "text",
        "`hot` · `cold` · `ns`; empty when not tested (see `reason`)",
        "Gi*-klasse",
        sensitivity=_DERIVED,
    ),
    _hot("lisa_i", "float", "local Moran's I", "lokale Moran's I"),
    _hot("lisa_quadrant", "text", "HH · LH · LL · HL whatever the significance", "kwadrant"),
    _hot("lisa_p", "float", "local Moran permutation p-value", "p-waarde"),
    _hot("lisa_p_adj", "float", "local Moran adjusted p", "gecorrigeerde p"),
    _hot(
        "lisa_class",
        "text",
        "`HH` · `LL` · `HL` (high among low) · `LH` (low among high) · `ns`; empty when not tested",
        "LISA-klasse",
        sensitivity=_DERIVED,
    ),
    _hot(
        "n_neighbours",
        "int",
        "neighbours in the weights (after attaching islands)",
        "aantal buren",
        sensitivity="public",
    ),
    *_HOT_COMMON,
    _hot(
        "rate_eb_protected",
        "float",
        "the EB rate that may be published: recomputed from published counts only, NaN where the count is suppressed",
        "publiceerbaar EB-cijfer",
        unit=_PER_1000,
        sensitivity=_DERIVED,
    ),
    _hot(
        "rate_seb_protected",
        "float",
        "the spatial EB rate that may be published, likewise",
        "publiceerbaar SEB-cijfer",
        unit=_PER_1000,
        sensitivity=_DERIVED,
    ),
)
_HOTSPOTS_CHANGE = (
    _hot("buurtcode", "text", "key", "sleutel", sensitivity="public"),
    _hot("soort", "text", "key", "sleutel", sensitivity="public"),
    _hot("periode_van", "text", "the first period", "eerste periode", sensitivity="public"),
    _hot("periode_tot", "text", "the second period", "tweede periode", sensitivity="public"),
    _hot("rate_eb_van", "float", "EB rate in the first period", "EB-cijfer eerste periode", unit=_PER_1000),
    _hot("rate_eb_tot", "float", "EB rate in the second period", "EB-cijfer tweede periode", unit=_PER_1000),
    _hot("change_abs", "float", "rate_eb_tot − rate_eb_van", "absolute verandering", unit=_PER_1000),
    _hot("change_rel", "float", "change_abs / rate_eb_van", "relatieve verandering", unit="ratio"),
    _hot("change_gi_z", "float", "Gi* z-score of the change", "Gi* z-score van de verandering"),
    _hot("change_gi_p", "float", "its permutation p-value", "p-waarde"),
    _hot("change_gi_p_adj", "float", "its adjusted p", "gecorrigeerde p"),
    _hot(
        "change_class",
        "text",
        "`hot` = cluster of increase, `cold` = cluster of decrease, relative to the city-wide change; `ns`",
        "klasse van de verandering",
        sensitivity=_DERIVED,
    ),
    _hot("reason", "text", "why not tested (as in `hotspots_buurt`)", "waarom niet getoetst", sensitivity="public"),
    _hot("suppressed", "bool", "either period's count is hidden", "aantal beschermd", sensitivity="public"),
    _hot(
        "suppression",
        "text",
        "`primair` when either period's count is `<5`, else `secundair`",
        "hoe beschermd",
        sensitivity="public",
    ),
    _hot(
        "change_abs_protected",
        "float",
        "change_abs from published counts only",
        "publiceerbare verandering",
        unit=_PER_1000,
        sensitivity=_DERIVED,
    ),
    _hot(
        "change_rel_protected",
        "float",
        "change_rel from published counts only",
        "publiceerbare relatieve verandering",
        unit="ratio",
        sensitivity=_DERIVED,
    ),
)
_MAP_KEYS = (
    _hot("buurtcode", "text", "CBS buurt code", "CBS-buurtcode", sensitivity="public"),
    _hot("buurtnaam", "text", "buurt name", "buurtnaam", sensitivity="public"),
    _hot("wijkcode", "text", "CBS wijk code", "CBS-wijkcode", sensitivity="public"),
    _hot("wijknaam", "text", "wijk name", "wijknaam", sensitivity="public"),
)


def _per_soort(names: Iterable[tuple[str, Dtype]]) -> tuple[Column, ...]:
    return tuple(
        _hot(
            "{soort}_" + name,
            dtype,
            f"`{name}` of the care type (protected values only)",
            f"`{name}` per zorgsoort",
            sensitivity="public" if dtype in ("bool", "text") else _DERIVED,
        )
        for name, dtype in names
    )


_FLAGS: tuple[tuple[str, Dtype], ...] = (("suppressed", "bool"), ("suppression", "text"), ("reason", "text"))

# ---------------------------------------------------------------- the layers

LAYERS: tuple[Layer, ...] = (
    Layer(
        "buurten",
        "Polygon",
        "one feature per CBS buurt",
        (
            *_canonical(BUURT_SPEC),
            Column(
                "jaarstatcode", "text", "CBS year + code, when the source has it", "CBS-jaar en code", required=False
            ),
            _MISSING,
            *_YOUTH,
            *_PROVIDER,
            *_travel(buurt=True),
        ),
        "boundaries",
        passthrough=_CBS,
        reserved_prefixes=_TRAVEL_PREFIXES,
    ),
    Layer(
        "wijken",
        "Polygon",
        "one feature per CBS wijk",
        (
            *_canonical(WIJK_SPEC),
            _MISSING,
            Column(
                "youth_population",
                "float",
                "0–17 year olds, **estimate**, from the wijk row, else the sum of its buurten",
                "jeugdigen 0–17 (schatting)",
                unit="persons",
            ),
            *_YOUTH[1:],
            *_PROVIDER,
            *_travel(buurt=False),
        ),
        "boundaries",
        passthrough=_CBS,
        reserved_prefixes=_TRAVEL_PREFIXES,
    ),
    Layer(
        "teams",
        "Point",
        "one point per team",
        (
            Column("team_id", "text", "unique id", "unieke id", stage="care"),
            Column("naam", "text", "team name (demo names end in `(demo)`)", "teamnaam", stage="care"),
            Column(
                "organisatie",
                "text",
                "`Lokalis`, `KOOS`, `Spoor030` (known names get this spelling) or the organisation's own name",
                "organisatie",
                stage="care",
            ),
            Column("soort", "text", "`buurtteam` | `specialistisch`", "soort team", stage="care"),
            Column(
                "capaciteit_fte",
                "float",
                "capacity; may be NA (the access stage needs it, see README)",
                "capaciteit",
                unit="fte",
                stage="care",
            ),
            Column(
                "max_caseload",
                "float",
                "maximum number of children; may be NA",
                "maximale caseload",
                unit="children",
                stage="care",
            ),
            Column(
                "locatie_bron",
                "text",
                "where the point comes from, most precise first: `latlon` | `rd` (as given) | "
                "`adres (PDOK)` (BAG address point from PDOK Locatieserver, only with `--geocode pdok`; a few metres) | "
                "`postcode4` (centre of the PC4 area, **± 1–2 km**) | `buurtcode` (representative point of the buurt, "
                "not an address); `whatif` for a team added in a what-if",
                "herkomst van het punt",
                stage="care",
            ),
            Column(
                "locatie_detail",
                "text",
                "what the point was taken from: the PC4 (`3581`) for `postcode4`, PDOK's "
                "`weergavenaam` (`Bolognalaan 101, 3584CJ Utrecht`) for `adres (PDOK)`, the buurtcode for `buurtcode`; "
                "NA for coordinates",
                "waar het punt op berust",
                stage="care",
            ),
            Column(
                "buurtcode",
                "text",
                "the buurt the point lies in (nearest buurt within 150 m for a point just outside "
                "a generalised boundary)",
                "buurt van het punt",
                stage="care",
            ),
            Column("wijkcode", "text", "the wijk the point lies in", "wijk van het punt", stage="care"),
            Column("is_demo", "bool", "true for the fictitious demo teams", "fictief demoteam", stage="care"),
        ),
        "care",
    ),
    Layer(
        "caseloads_buurt", "", "caseloads per buurt × periode × soort", _caseload_columns("buurtcode"), "care", _COUNT
    ),
    Layer("caseloads_wijk", "", "caseloads per wijk × periode × soort", _caseload_columns("wijkcode"), "care", _COUNT),
    Layer(
        "referrals_buurt",
        "",
        "referral routes per buurt",
        _referral_columns("buurtcode", with_provider=True),
        "referrals",
        _COUNT,
    ),
    Layer(
        "referrals_wijk",
        "",
        "referral routes per wijk",
        _referral_columns("wijkcode", with_provider=True),
        "referrals",
        _COUNT,
    ),
    Layer(
        "referrals_provider",
        "",
        "referral routes per provider",
        _referral_columns("provider", with_provider=False),
        "referrals",
        _COUNT,
    ),
    Layer(
        "coverage",
        "",
        "one row per niveau × code × target × mode × threshold",
        (
            Column("niveau", "text", "`buurt` · `wijk` · `provider` · `gemeente`", "niveau", stage="travel"),
            Column(
                "code",
                "text",
                "buurtcode, wijkcode, provider name (KOOS, Spoor030) or gemeentecode; buurten without "
                "a provider are left out of the provider level only",
                "gebiedscode",
                stage="travel",
            ),
            Column(
                "target",
                "text",
                "`buurtteam` (headline) or `spec_contract` — filter on it: both are in the table",
                "doel",
                stage="travel",
            ),
            Column("mode", "text", "walk · bike · car", "vervoerswijze", stage="travel"),
            Column(
                "threshold_min",
                "float",
                "10, 15, 20 by default (same thresholds for every mode)",
                "drempel",
                unit="min",
                stage="travel",
            ),
            Column(
                "youth_within",
                "float",
                "youth (CBS estimate 0–17, public population figures — not care counts) within the threshold",
                "jeugd binnen de drempel",
                unit="persons",
                stage="travel",
            ),
            Column("youth_total", "float", "youth in total", "jeugd totaal", unit="persons", stage="travel"),
            Column(
                "share",
                "float",
                "youth_within ÷ youth_total (NaN when youth_total is 0); a time equal to the "
                "threshold counts as within",
                "aandeel binnen de drempel",
                unit="share 0–1",
                stage="travel",
            ),
            Column(
                "method",
                "text",
                "`network` · `straight_line` — the method of the row's mode",
                "methode",
                stage="travel",
            ),
        ),
        "travel",
    ),
    Layer(
        "team_load",
        "",
        "one row per team; over- or under-stretched teams stand out in the last two measures",
        (
            Column("team_id", "text", "the team", "team", stage="travel"),
            Column("naam", "text", "team name", "teamnaam", stage="travel"),
            Column("organisatie", "text", "organisation", "organisatie", stage="travel"),
            Column("soort", "text", "`buurtteam` | `specialistisch`", "soort team", stage="travel"),
            Column(
                "capaciteit", "float", "the supply column (capaciteit_fte)", "capaciteit", unit="fte", stage="travel"
            ),
            Column(
                "catchment_youth",
                "float",
                "E2SFCA decay-weighted youth in reach: buurtteams all youth, specialists their provider's",
                "gewogen jeugd in bereik",
                unit="persons",
                stage="travel",
            ),
            Column(
                "capacity_per_1000_youth",
                "float",
                "E2SFCA ratio R_j × 1,000",
                "capaciteit per 1.000 jeugdigen",
                unit="fte per 1,000 youth",
                stage="travel",
            ),
            Column(
                "youth_nearest",
                "float",
                "youth for whom it is the nearest team by bike: buurtteams among buurtteams, "
                "specialists among their provider's",
                "jeugd voor wie dit het dichtstbijzijnde team is",
                unit="persons",
                stage="travel",
            ),
            Column(
                "youth_per_capacity",
                "float",
                "youth_nearest ÷ capaciteit",
                "jeugd per fte",
                unit="persons per fte",
                stage="travel",
            ),
            Column("mode", "text", "the mode of the catchment", "vervoerswijze", stage="travel"),
            Column("method", "text", "the method of that mode", "methode", stage="travel"),
        ),
        "travel",
    ),
    Layer(
        "hotspots_buurt",
        "",
        "one row per buurt of the boundaries × periode × soort; a buurt that takes no part "
        "keeps its row, with a `reason`",
        _HOTSPOTS_BUURT,
        "hotspots",
        "server only",
    ),
    Layer(
        "hotspots_change_buurt",
        "",
        "one row per buurt × soort: the change between the last two periods",
        _HOTSPOTS_CHANGE,
        "hotspots",
        "server only",
    ),
    Layer(
        "hotspots_{periode}",
        "Polygon",
        "map layer for QGIS, one feature per buurt, **protected values only** (e.g. "
        "`hotspots_2023`, `hotspots_2024_q1`)",
        (
            *_MAP_KEYS,
            *_per_soort(
                (
                    ("rate_raw", "float"),
                    ("rate_eb", "float"),
                    ("rate_seb", "float"),
                    ("gi_class", "text"),
                    ("lisa_class", "text"),
                    *_FLAGS,
                )
            ),
        ),
        "hotspots",
    ),
    Layer(
        "hotspots_change_{van}_{tot}",
        "Polygon",
        "map layer for QGIS of the change, protected values only",
        (
            *_MAP_KEYS,
            *_per_soort((("change_abs", "float"), ("change_rel", "float"), ("change_class", "text"), *_FLAGS)),
        ),
        "hotspots",
    ),
)
BY_NAME: Mapping[str, Layer] = {layer.name: layer for layer in LAYERS}


def layer_for(name: str) -> Layer | None:
    """The declaration a written layer name falls under (a fixed name first, then the per-period patterns)."""
    return BY_NAME.get(name) or next((layer for layer in LAYERS if layer.matches(name)), None)


# ---------------------------------------------------------------- names for the readers


def column(layer: str, name: str, **values: str) -> str:
    """A declared column's concrete name on ``layer``; raises KeyError for a column the schema does not know."""
    return BY_NAME[layer].column(name).name_for(**values)


def travel_time(target: str, mode: str) -> str:
    return column("buurten", "tt_{target}_{mode}_min", target=target, mode=mode)


def travel_distance(target: str, mode: str) -> str:
    return column("buurten", "dist_{target}_{mode}_m", target=target, mode=mode)


def nearest_team(target: str, mode: str) -> str:
    return column("buurten", "nearest_{target}_{mode}", target=target, mode=mode)


def seam(mode: str) -> str:
    return column("buurten", "seam_{mode}", mode=mode)


def seam_gain(mode: str) -> str:
    return column("buurten", "seam_gain_{mode}_min", mode=mode)


def seam_share(mode: str) -> str:
    return column("wijken", "seam_{mode}_share", mode=mode)


def travel_quality(mode: str, target: str | None = None) -> str:
    """``travel_quality_{mode}`` (worst over targets) or ``travel_quality_{target}_{mode}``."""
    if target is None:
        return column("buurten", "travel_quality_{mode}", mode=mode)
    return column("buurten", "travel_quality_{target}_{mode}", target=target, mode=mode)


def travel_method(mode: str | None = None) -> str:
    return column("buurten", "travel_method") if mode is None else column("buurten", "travel_method_{mode}", mode=mode)


def threshold_label(threshold_min: float) -> str:
    """10.0 → '10', 7.5 → '7_5' (for column names)."""
    return f"{threshold_min:g}".replace(".", "_")


def coverage(mode: str, threshold_min: float) -> str:
    """The share of youth within ``threshold_min`` minutes of a buurtteam by ``mode``."""
    return column("buurten", "coverage_{mode}_{t}min", mode=mode, t=threshold_label(threshold_min))


def area_table(source: str, level: str) -> str:
    """The long table of ``source`` (caseloads, hotspots …) at ``level`` (buurt | wijk), e.g. caseloads_buurt."""
    return f"{source}_{level}"


# ---------------------------------------------------------------- the writer's check


def check_atlas(layers: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Every problem of the layers against the schema: undeclared layers and missing, undeclared or mistyped columns."""
    problems: list[Problem] = []
    for name, frame in layers.items():
        decl = layer_for(name)
        if decl is None:
            problems.append(
                _problem(
                    "ATLAS_SCHEMA_LAYER",
                    name,
                    "",
                    "deze laag staat niet in het atlasschema",
                    "this layer is not in the atlas schema",
                )
            )
            continue
        problems += decl.problems(frame, layer_name=name)
    return problems


def validate_atlas(layers: Mapping[str, pd.DataFrame]) -> None:
    """Raise one InputError listing every schema problem; the build calls this before it writes anything."""
    problems = check_atlas(layers)
    if problems:
        raise InputError(problems)
