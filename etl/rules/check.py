"""`buurtdekking validate`: check one care file against the boundary year of the atlas (or the default boundaries)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl import config
from etl.atlas import ATLAS_FILE, read_atlas
from etl.join import fill_wijknaam_on_buurten, join_statistics
from etl.population import estimate_youth
from etl.rules import Validated, validate
from etl.rules.columns import DEFAULT_PROVIDERS
from etl.rules.reference import CareReference
from etl.sources import read_input
from geodata.cbs import read_boundaries
from geodata.errors import InputError, Problem
from geodata.statistics import read_statistics
from geodata.tables import TableLimits
from geodata.tables import read_notes as notes_of


@dataclass(frozen=True)
class Report:
    """The outcome of checking one file: valid or not, every problem, notes, and what it was checked against."""

    kind: str
    file: str
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    rows: int | None = None
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> str:
        return json.dumps(
            {
                "file": self.file,
                "kind": self.kind,
                "valid": self.valid,
                "rows": self.rows,
                "reference": self.reference,
                "problems": [p.to_dict() for p in self.problems],
                "notes": list(self.notes),
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )

    def lines(self) -> list[str]:
        if self.valid:
            head = [f"{self.file}: geldig / valid ({self.rows} rijen/rows; {self.kind})"]
            return head + [f"let op / note: {n}" for n in self.notes]
        return [p.format() for p in self.problems]


def load_reference(
    *,
    atlas_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    gemeenten: Sequence[str] = (config.DEFAULT_GEMEENTE,),
    default_atlas: str | os.PathLike[str] | None = None,
) -> tuple[CareReference, dict[str, Any]]:
    """The buurten of the current atlas; without an atlas, the default boundaries of the data directory.

    ``atlas_dir`` must hold an atlas; ``default_atlas`` (EtlSettings.atlas_dir) is used only when it does."""
    directory = config.atlas_dir(atlas_dir or default_atlas)
    if (directory / ATLAS_FILE).is_file():
        atlas = read_atlas(directory, layers=["buurten", "wijken"])
        year = atlas.manifest.get("cbs_year")
        ref = CareReference.from_frames(atlas["buurten"], atlas["wijken"], year=year, source=f"atlas {directory}")
        return ref, {"source": "atlas", "path": str(directory), "year": year}
    if atlas_dir is not None:
        raise InputError.single(
            "ATLAS_MISSING",
            f"Geen atlas in '{directory}'. Bouw er een met 'buurtdekking build --out {directory}'.",
            f"No atlas in '{directory}'. Build one with 'buurtdekking build --out {directory}'.",
            file=directory,
        )
    return _default_boundaries(data_dir, gemeenten)


def _default_boundaries(
    data_dir: str | os.PathLike[str] | None, gemeenten: Sequence[str]
) -> tuple[CareReference, dict[str, Any]]:
    root = config.data_dir(data_dir)
    path = root / config.DEFAULT_BOUNDARIES
    if not path.exists():
        raise InputError.single(
            "BOUNDARIES_MISSING",
            f"Geen atlas en geen standaardgrenzen ('{path}'). Bouw eerst een atlas of geef --atlas/--data-dir.",
            f"No atlas and no default boundaries ('{path}'). Build an atlas first or pass --atlas/--data-dir.",
            file=path,
        )
    bnd = read_boundaries(path, gemeenten=gemeenten)
    buurten, wijken = bnd.buurten, bnd.wijken
    stats = root / config.DEFAULT_STATISTICS
    if stats.exists():
        df_stats = read_statistics(stats, gemeenten=gemeenten)
        buurten, _ = join_statistics(buurten, df_stats, key="buurtcode")
    buurten = estimate_youth(fill_wijknaam_on_buurten(buurten, wijken))
    ref = CareReference.from_frames(
        buurten, wijken, year=bnd.year, source=f"standaardgrenzen/default boundaries {path.name}"
    )
    return ref, {"source": "boundaries", "path": str(path), "year": bnd.year}


def check_file(
    kind: str,
    path: str | os.PathLike[str],
    *,
    reference: CareReference,
    reference_info: dict[str, Any] | None = None,
    known_providers: Sequence[str] = DEFAULT_PROVIDERS,
    limits: TableLimits | None = None,
) -> Report:
    """Read and check one file; never raises for bad input (the report says what is wrong).

    ``limits`` are the reader's (``geodata.tables.TableLimits``: the command line's by default)."""
    name = str(path)
    info = reference_info or {"year": reference.year}
    try:
        df = read_input(kind, Path(path), limits=limits)
    except InputError as exc:
        return Report(kind, name, exc.problems, reference=info)
    read_notes = [f"{name}: {nl} / {en}" for nl, en in notes_of(df)]
    try:
        checked: Validated = validate(kind, df, name=name, reference=reference, known_providers=known_providers)
    except InputError as exc:
        return Report(kind, name, exc.problems, tuple(read_notes), rows=len(df), reference=info)
    return Report(kind, name, (), (*read_notes, *checked.notes), rows=len(df), reference=info)
