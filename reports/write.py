"""Write a Snapshot in any export format: one writer per format, chosen by name or by the file's suffix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.protect import check_protected
from geodata.errors import InputError
from reports.gpkg import write_gpkg
from reports.pdf import write_pdf
from reports.png import write_png
from reports.snapshot import FORMATS, Snapshot
from reports.tables import write_csv, write_xlsx

WRITERS: dict[str, Callable[..., None]] = {
    "pdf": write_pdf,
    "png": write_png,
    "xlsx": write_xlsx,
    "csv": write_csv,
    "gpkg": write_gpkg,
}


def check_snapshot_protected(snapshot: Snapshot) -> None:
    """Refuse to write a count indicator that still shows a value from 1 to threshold - 1.

    The values were protected when the snapshot was built (etl.protect); this is the last guard
    before bytes leave the server, so a bug upstream fails loudly instead of leaking.
    """
    if snapshot.protection != "count":
        return
    check_protected(
        pd.DataFrame({"waarde": snapshot.units["waarde"]}), count_columns=["waarde"], threshold=snapshot.threshold
    )
    for _label, text in snapshot.key_figures:
        number = _plain_int(text)
        if number is not None and 1 <= number < snapshot.threshold:
            raise ValueError(f"unprotected small count in key figures: {text!r}")


def _plain_int(text: str) -> int | None:
    digits = text.replace(".", "").replace(",", "").strip()
    return int(digits) if digits.isdigit() else None


def write_snapshot(
    snapshot: Snapshot, path: str | os.PathLike[str], *, fmt: str | None = None, **options: object
) -> Path:
    """Write ``snapshot`` as ``fmt`` (else from the suffix) to ``path``, via a temporary file and a rename."""
    target = Path(path)
    kind = (fmt or target.suffix.lstrip(".")).lower()
    if kind not in FORMATS:
        raise InputError.single(
            "EXPORT_FORMAT",
            f"Onbekend exportformaat '{kind}'; kies uit {', '.join(FORMATS)}.",
            f"Unknown export format '{kind}'; choose from {', '.join(FORMATS)}.",
            file=target,
        )
    check_snapshot_protected(snapshot)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same suffix as the target: GDAL and reportlab look at it.
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        WRITERS[kind](snapshot, tmp, **options)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target
