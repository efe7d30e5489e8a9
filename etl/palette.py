"""The colours the map on screen and the exported maps share, and the legend entry that explains one."""

from __future__ import annotations

from dataclasses import dataclass

# Okabe–Ito, safe for colour-blind readers; KOOS and Spoor030 match their provider-area colours, Lokalis
# stands apart (vermillion).
ORG_COLOURS = {"Lokalis": "#d55e00", "KOOS": "#0072b2", "Spoor030": "#e69f00"}
OTHER_ORG_COLOUR = "#cc79a7"
NO_DATA_COLOUR = "#d9d9d9"
SUPPRESSED_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: what it means (a class range, a category, 'beschermd') and its colour."""

    label: str
    colour: str


def org_colour(organisation: object) -> str:
    """The marker colour of a team's organisation; one colour for every organisation outside the known three."""
    return ORG_COLOURS.get(str(organisation), OTHER_ORG_COLOUR)
