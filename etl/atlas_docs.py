"""docs/ATLAS.md, generated from the atlas schema: ``python -m etl.atlas_docs > docs/ATLAS.md`` (``make docs``).

The column tables come from :mod:`etl.atlas_schema`; only the prose around them (what each build stage is,
where its method is explained, what its manifest entries hold) lives here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from etl.atlas_schema import BY_NAME, PLACEHOLDER_NOTES, Layer, Stage

REGENERATE = "python -m etl.atlas_docs > docs/ATLAS.md"


@dataclass(frozen=True)
class Section:
    """A part of docs/ATLAS.md: prose, then the columns one build stage adds to each layer, then more prose."""

    title: str
    stage: Stage
    intro: str
    layers: tuple[str, ...]
    outro: str = ""


INTRO = f"""\
# The atlas: layers and columns

<!-- Generated from etl/atlas_schema.py by `{REGENERATE}` (or `make docs`): edit the schema, not this file. -->

`buurtdekking build` writes `atlas/atlas.gpkg` (one GeoPackage, all layers in EPSG:28992 / RD New, opens in
QGIS) and `atlas/manifest.json` (inputs with sha256, CBS year, row counts, package versions, methods,
build duration). Raw counts stay in the atlas on the server; everything that leaves the server goes through
`etl.protect` (small-count protection).

The build checks every layer against this schema before it writes anything: a missing or undeclared column, a
wrong type or an undeclared layer stops it with one error listing each problem (codes `ATLAS_SCHEMA_MISSING`,
`ATLAS_SCHEMA_UNDECLARED`, `ATLAS_SCHEMA_DTYPE`, `ATLAS_SCHEMA_LAYER`), and the previous atlas stays as it was.
A build stage adds its columns to a shared layer all or none: the columns of a stage that did not run (no teams,
no provider contract) are absent.

Types: `text`, `float`, `int` (nullable: NA = unknown), `bool`, `as in the source` (attributes passed on
from the boundary file: numbers and text for CBS files). Sensitivity:
`public` (CBS figures, locations, methods, public population estimates), `count, protected` (raw care counts:
server only, published only through `etl.protect`), `derived from counts, protected` (rates, shares and classes
computed from care counts: published only from protected counts), `server only` (never leaves the server:
z-scores, p-values, local I, unprotected rates).

Placeholders in column and layer names:
"""

SECTIONS: tuple[Section, ...] = (
    Section(
        "Boundaries and population",
        "boundaries",
        "Written by the first stage: CBS buurten and wijken of any vintage, normalised to the canonical schema "
        "(README, *CBS-grenzen van elk jaar*), with the CBS Kerncijfers and the youth estimate. `wijken` takes "
        "the Kerncijfers of the wijk row and youth_population from the wijk row, else the sum of its buurten.",
        ("buurten", "wijken"),
    ),
    Section(
        "Care data",
        "care",
        "Written by the stage `etl.care.add_care` (first stage after the boundaries). Inputs, formats, validation "
        "codes, demo data and the protection rule: README, section *Zorggegevens / care data*. `<source>` in "
        "`provider_bron` is the providers file name, or `contract 2020 (gemeente Utrecht, …)` by default; the provider "
        "columns are absent when the gemeente has no contract and no file was given (a note says so).",
        ("buurten", "wijken", "teams", "caseloads_buurt", "caseloads_wijk"),
        outro="""\
Caseloads: one row per area × period × soort present in the input. A buurt the input does not mention is NA
(unknown), except buurten without inhabitants (0). `caseloads_wijk` is the sum of its buurten (NA when an
inhabited buurt is unknown) or, for wijk-level input, the input itself (then `caseloads_buurt` is empty).

**Protection.** `etl.protect.protect_caseloads(df_buurt, df_wijk, threshold=…)` returns `.buurt`, `.wijk`,
`.gemeente` copies with `aantal` and `rate_per_1000` NaN where hidden, plus `aantal__onderdrukt`,
`rate_per_1000__onderdrukt` (bool) and `aantal__reden` (`primair` = 1…threshold-1, shown `<5`; `secundair` =
hidden so that no arithmetic recovers a `<5`, shown `•`). For other counts: `protect_counts(df, count_columns=…,
area_column=…, parent_column=…, group_columns=…, rate_columns={rate: count})`. Display text:
`etl.numbers.format_count`/`format_rate` with `marker=etl.protect.protection_marker(suppressed=…, reason=…,
threshold=…)`; the marker alone: `suppressed_label(threshold)`.

Manifest:
- `care`: `threshold`, `boundary_year`; per input (`teams`, `providers`, `caseloads`) the source (file name,
  `demo: …` or the contract), `is_demo`, rows; for caseloads `level`, `periods`, `soorten`,
  `counts_per_period`, `share_of_youth_latest`, `unknown_cells`, and for demo caseloads the method, seed
  inputs and `share_with_care` (0.12, CBS Utrecht 2022). `care.teams.locations`: `per_locatie_bron`
  (teams per source), `order` (the precision order), `precision` (`{nl, en}` per source present, e.g.
  postcode4: "centre of the postcode area, ± 1–2 km"), `postcodes` (`source`, `year` of the PC4 table, when a
  team is placed by postcode) and `geocoder` (with `--geocode pdok`: `service`, `url`, `cache`, `asked`,
  `from_cache`, `failed`). `care.demo` (when demo data is in the atlas):
  `fictitious: true`, `seed`, `generator: etl.demo`, `label_nl`, `label_en`.
- `demo`: true when any layer holds fictitious demo data (the app and exports label the atlas then).
- `inputs`: every care file given, with kind, path, bytes and sha256.""",
    ),
    Section(
        "Referral routes",
        "referrals",
        "Written by `etl.care.add_care` (via `etl.referrals.referral_tables`) when the caseload input has route rows "
        "(column `verwijzer`; the demo caseloads have them). Input format, synonyms, validation codes and method: "
        "README, section *Verwijsroutes / referral routes*. One row per area × periode × soort × verwijzer (every "
        "route, also those with 0). An area that names any route has 0 for the routes it does not name; an area "
        "with a count but no routes has unknown (NA) routes, except where the count is 0 or nobody lives (0). Wijken "
        "and providers are the sums of their buurten, NA when any is unknown. Wijk-level input: `referrals_buurt` "
        "is empty.",
        ("referrals_buurt", "referrals_wijk", "referrals_provider"),
        outro="""\
**Published view** (what `views.protection` serves; `etl.protect_referrals.protect_referrals(df_buurt, df_wijk,
df_provider, caseloads_buurt=…, caseloads_wijk=…, published_caseloads=…)`, which also adds the gemeente):
`referrals_{buurt,wijk,gemeente,provider}` with `aantal`, `totaal`, `aandeel` NaN where hidden, and for each
`<col>__onderdrukt` (bool) and `<col>__reden` (`primair` = shown `<5`, `secundair` = shown `•`). `totaal`
carries the caseload table's own marks (it is the same number); a share is hidden where its count or its
total is. Derived from those published tables only (`etl.referrals.referral_views`), computed when served and
not stored in the atlas:

| table | columns |
|---|---|
| `referral_summary_{level}` | code, periode, soort, `totaal`, `share_buurtteam` (aandeel of route buurtteam), `dominant` (the route with most children, `gelijk` for a tie; only where the published numbers decide it), each with `__onderdrukt` / `__reden` |
| `referral_change_{level}` | code, soort, periode_van, periode_tot (the last two periods), share_van, share_tot, `change` (= share_tot − share_van, in share points 0–1; hidden where either share is), `change__onderdrukt`, `change__reden` |

Manifest `care.caseloads.referrals`: periods, soorten, routes, rows per table, unknown_cells, `counts_per_period`
(city counts per period, care type and route), the share formula and the protection note. With demo
caseloads, `care.caseloads.referral_mix` records the fictitious mix (base per consortium, concentration,
huisarts-heavy wijken and tilt, buurtteam trend per period).""",
    ),
    Section(
        "Travel, coverage, access",
        "travel",
        "Written by the stage `etl.reach.add_travel` when the atlas has `teams` (else a note says it was skipped). "
        "Method, speeds, detour factors and the benchmark: README, section *Reistijd en bereik*. All times are "
        "minutes, all distances metres along the route (network) or straight line × detour factor (no network, or "
        "a mode the network cannot carry); every row says which per mode in `travel_method_{mode}` and in the "
        "tables' `method` (`network` | `straight_line`), and over all modes in `travel_method` (`network` | "
        "`straight_line` | `mixed`). Every time and distance is at least the origin's intrazonal floor (README, "
        "*Intrazonal time*).",
        ("buurten", "wijken", "coverage", "team_load"),
        outro="""\
File `travel_cache.npz` (listed under `files` in the manifest with its sha256; format version 2): the
origin×team time and distance matrices per mode (float32, the raw routes), the origins with their youth
weights and intrazonal distances (`origin_intrazonal_m`), each mode's method (header `mode_method`), and the
reversed graphs and snaps of the modes on the network — what `etl.whatif.load_whatif_base(atlas_dir)` needs
to recompute every column above for changed teams without the network file. A version-1 cache is refused
(`WHATIF_CACHE`, "rebuild the atlas").

Manifest `methods.travel`: method and label, `method_per_mode` ({mode: network | straight_line}), `fallback`
(the rule, and `modes`: {mode: `no_edges` | `far_from_origins` | `far_from_teams`} for the modes the network
could not carry), modes, teams (n, per soort, is_demo), `speeds_kmh` (walk, bike, car default, car cap, car by
road class), `detour_factors` (straight-line modes and the intrazonal distance), network (file, `schema` —
`osm_pbf`, `osm_xml`, `geofabrik`, `nwb`, `graphml`, `osm_lines` or `generic` — and `schema_label`, nodes, edges,
`edges_per_mode`, `usable_modes`, the reader's `notes`, and arcs per mode, clip buffer, `routed_modes`,
`fallback`), `snapping` (per network mode: `origins` and `teams` each {n, leg_m_median, leg_m_p95, leg_m_max,
far_n (> 500 m)}, `far_snap_m`, `limit_min`, `origins_reaching_no_team`, `teams_reached_by_no_origin` within
the matrix limit; a straight-line mode: {method}), `far_snaps` (per network mode: `buurten` [{buurtcode,
buurtnaam, leg_m}] and `teams` [{team_id, naam, leg_m}] snapped farther than 500 m, longest first),
`intrazonal` (formula, cost rule, detour factors, median and max distance, median time per mode), `quality`
(columns, values, far_snap_m, `buurten_per_mode`: {mode: {quality: n}}), `notes` (the travel notes: fallbacks
and far snaps, also in the manifest's `notes`), origins (representative points or weighted points: file,
weight column — for CBS squares e.g. `aantal_inwoners_0_tot_15_jaar + 3/10 × aantal_inwoners_15_tot_25_jaar`),
thresholds_min, coverage_mode, seam_margin_min, access (measure, mode, supply, demand, decay, max_cost_min,
unit), matrix_limit_min, date, cache.""",
    ),
    Section(
        "Hotspots",
        "hotspots",
        "Written by the stage `etl.hotspots.add_hotspots` when the atlas has `caseloads_buurt` (else the manifest "
        'says `"status": "skipped"`). Method and inference: README, section *Hotspots*.',
        ("hotspots_buurt", "hotspots_change_buurt", "hotspots_{periode}", "hotspots_change_{van}_{tot}"),
        outro="""\
What leaves the server: `etl.hotspots.protected_hotspots(df)` and `protected_change(df)` give the publishable
view (buurtcode, periode, soort, rate_raw, rate_eb, rate_seb, gi_class, lisa_class, suppressed, suppression,
reason, and per published number `etl.protect`'s `<col>__onderdrukt` / `<col>__reden`), where rate_eb/rate_seb
are the `…_protected` columns. z-scores, p-values and local I never leave.

Manifest `methods.hotspots`: status, method, gi, lisa, rates, weights (kind, spec, n, islands and where they
were attached, excluded buurten, neighbour counts, components; k or distance band), permutations, seed,
alpha, correction, correction_family, alternative, min_attainable_p, bonferroni_threshold, classes, change
(from, to, per soort counts), reasons, protection (the rule), families (per periode × soort: tested,
excluded, suppressed, EB prior, class counts), esda version, numba present, seconds, layers.""",
    ),
)


def _placeholders_md() -> str:
    return "\n".join(f"- `{{{key}}}`: {note}" for key, note in PLACEHOLDER_NOTES.items()) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _layer_md(layer: Layer, stage: Stage) -> str:
    """The table of the columns ``stage`` adds to ``layer`` (empty when it adds none)."""
    cols = [c for c in layer.columns if c.stage == stage]
    if layer.passthrough is not None and stage == layer.stage:
        cols.append(layer.passthrough)
    if not cols:
        return ""
    kind = f"{layer.geometry}, EPSG:28992" if layer.geometry else "attribute table"
    own = stage == layer.stage
    lines = [f"### `{layer.name}` ({kind})" + ("" if own else f": {stage} columns"), ""]
    if own:
        lines += [f"{layer.en[0].upper()}{layer.en[1:]}. Sensitivity of the layer: {layer.sensitivity}.", ""]
    lines += ["| column | type | unit | sensitivity | meaning |", "|---|---|---|---|---|"]
    for c in cols:
        when = "" if c.required and not c.is_open else " (when present)"
        lines.append(f"| `{c.label or c.name}` | {c.dtype} | {c.unit} | {c.sensitivity} | {_cell(c.en)}{when} |")
    if own and layer.passthrough is not None:
        lines += [
            "",
            f"Any other column is a CBS attribute, unless its name starts with one of "
            f"{', '.join(f'`{p}`' for p in layer.reserved_prefixes)} (the project's own families).",
        ]
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    """docs/ATLAS.md: the intro, then per build stage its prose and the columns it adds to each layer."""
    parts = [INTRO, _placeholders_md()]
    for section in SECTIONS:
        parts.append(f"\n## {section.title}\n\n{section.intro.strip()}\n")
        for name in section.layers:
            text = _layer_md(BY_NAME[name], section.stage)
            if text:
                parts.append("\n" + text)
        if section.outro:
            parts.append(f"\n{section.outro.strip()}\n")
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
