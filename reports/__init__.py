"""Snapshots of one view for a meeting: PDF, PNG, XLSX, CSV and GeoPackage writers, built from views/."""
