"""Component ids, in one place, prefixed per page."""

from __future__ import annotations

# shell
URL = "app-url"
LANG = "app-lang"

# kaart (map page)
MAP_GRAPH = "kaart-graph"
MAP_INDICATOR = "kaart-indicator"
MAP_LEGEND = "kaart-legend"
MAP_ALT = "kaart-alt"
