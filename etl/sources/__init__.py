"""Loaders of the care inputs (teams, provider areas, caseloads): file → text frame, IO only.

Checking and typing happen in :mod:`etl.rules`; placing and joining in :mod:`etl.care`.
"""

from __future__ import annotations

import os

import pandas as pd

from etl.sources.caseloads import read_caseloads
from etl.sources.providers import read_providers
from etl.sources.teams import read_teams
from geodata.tables import TableLimits

LOADERS = {"teams": read_teams, "providers": read_providers, "caseloads": read_caseloads}


def read_input(kind: str, path: str | os.PathLike[str], *, limits: TableLimits | None = None) -> pd.DataFrame:
    """The text frame of one care input file of ``kind``."""
    return LOADERS[kind](path, limits=limits)


__all__ = ["LOADERS", "read_caseloads", "read_input", "read_providers", "read_teams"]
