"""Snapshots of one view for a meeting: PDF, PNG, XLSX, CSV and GeoPackage writers (pure: Snapshot → file)."""

from __future__ import annotations

from etl.export.snapshot import FORMATS, Snapshot, export_filename, write_snapshot
from etl.palette import LegendEntry

__all__ = ["FORMATS", "LegendEntry", "Snapshot", "export_filename", "write_snapshot"]
