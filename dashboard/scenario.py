"""Per-user what-if scenarios: the URL text form, and results from etl.whatif cached per worker (never the atlas)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.whatif import WhatIfBase, WhatIfResult, apply_scenario, load_whatif_base, parse_scenario
from geodata.errors import InputError, Problem

# In the URL a scenario is its steps joined by ";": "add:naam,x,y,organisatie,soort", "move:team_id,x,y",
# "remove:team_id" (x, y in RD New metres) — the same strings as `buurtdekking whatif --add/--move/--remove`.
STEP_SEPARATOR = ";"
KINDS = ("add", "move", "remove")


@dataclass(frozen=True)
class Step:
    kind: str
    text: str

    def encode(self) -> str:
        return f"{self.kind}:{self.text}"


def decode(scenario: str) -> list[Step]:
    """Steps from the URL text; an unknown kind is an InputError naming the step."""
    steps = []
    for i, raw in enumerate(s for s in (scenario or "").split(STEP_SEPARATOR) if s.strip()):
        kind, _, text = raw.partition(":")
        if kind not in KINDS or not text.strip():
            raise InputError.single(
                "WHATIF_STEP",
                f"Stap {i + 1} van het scenario ('{raw}') begint niet met add:, move: of remove:.",
                f"Step {i + 1} of the scenario ('{raw}') does not start with add:, move: or remove:.",
                file="URL",
                column="scenario",
            )
        steps.append(Step(kind, text.strip()))
    return steps


def encode(steps: list[Step]) -> str:
    return STEP_SEPARATOR.join(s.encode() for s in steps)


@functools.lru_cache(maxsize=2)
def _base(atlas_dir: str, manifest_mtime: float) -> WhatIfBase:
    return load_whatif_base(atlas_dir)


def whatif_base(atlas_dir: str) -> WhatIfBase:
    """The what-if base of this atlas (cost structure, baseline), loaded once per worker and build."""
    manifest = Path(atlas_dir) / "manifest.json"
    return _base(str(Path(atlas_dir).resolve()), manifest.stat().st_mtime if manifest.exists() else 0.0)


@functools.lru_cache(maxsize=64)
def _result(atlas_dir: str, manifest_mtime: float, scenario: str) -> WhatIfResult:
    steps = decode(scenario)
    parsed = parse_scenario(
        add=[s.text for s in steps if s.kind == "add"],
        move=[s.text for s in steps if s.kind == "move"],
        remove=[s.text for s in steps if s.kind == "remove"],
    )
    return apply_scenario(_base(atlas_dir, manifest_mtime), parsed)


def whatif_result(atlas_dir: str, scenario: str) -> WhatIfResult:
    """The scenario's result: a pure function of atlas and scenario text, so cached results are shared safely."""
    manifest = Path(atlas_dir) / "manifest.json"
    return _result(str(Path(atlas_dir).resolve()), manifest.stat().st_mtime if manifest.exists() else 0.0, scenario)


def available(atlas_dir: str) -> Problem | None:
    """None when a what-if is possible for this atlas, else why not."""
    try:
        whatif_base(atlas_dir)
    except InputError as exc:
        return exc.problems[0]
    return None


def change_frame(result: WhatIfResult, *, column: str) -> pd.DataFrame:
    """Per buurt: travel time before, after and the change (minutes) for one metric column."""
    after = result.buurten.set_index("buurtcode")[column].astype("float64")
    change = result.buurten_change.set_index("buurtcode")[f"{column}_change"].astype("float64")
    return pd.DataFrame({"after": after, "change": change.reindex(after.index), "before": after - change.reindex(after.index)})
