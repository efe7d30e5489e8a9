"""The colours the map on screen and the exported maps share, and the legend entry that explains one."""

from __future__ import annotations

from dataclasses import dataclass

# Okabe–Ito, distinguishable with every common colour-vision deficiency, in the order categories take them.
OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW, BLACK = OKABE_ITO
# KOOS and Spoor030 match their provider-area colours, Lokalis stands apart.
ORG_COLOURS = {"Lokalis": VERMILLION, "KOOS": BLUE, "Spoor030": ORANGE}
OTHER_ORG_COLOUR = REDDISH_PURPLE
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
