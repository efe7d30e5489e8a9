"""Component ids, in one place, prefixed per page."""

from __future__ import annotations

# shell (app.py): the router renders header, page and footer into SHELL_CONTENT
URL = "app-url"
SHELL_CONTENT = "app-content"
ROUTE = "app-route"  # {"pathname", "lang"} of the rendered page: the router re-renders only when these change
LANG_TOGGLE = "app-lang-toggle"
META_SINK = "app-meta-sink"
LANG_SINK = "app-lang-sink"
NOTICES = "app-notices"
RENDER_ERROR = "app-render-error"  # shown when a callback fails (dashboard/callback_guard.py)

# kaart (map page)
MAP_GRAPH = "kaart-graph"  # the map's host element; the map itself is drawn by assets/map.js
MAP_FIGURE = "kaart-figure"  # the map's figure, which assets/map.js draws
MAP_CLICK = "kaart-click"  # the map's last click (what dcc.Graph calls clickData)
MAP_VIEW = "kaart-view"  # the map's last pan or zoom (what dcc.Graph calls relayoutData)
MAP_DRAWN = "kaart-drawn"
FIRST_MAP_HOST = "first-map-host"  # where the first paint of the map page draws its map (dashboard/prerender.py)
MAP_INDICATOR = "kaart-indicator"
MAP_PERIOD = "kaart-period"
MAP_MODE = "kaart-mode"
MAP_SOORT = "kaart-soort"
MAP_SCHEME = "kaart-scheme"
MAP_CLASSES = "kaart-classes"
MAP_LEVEL = "kaart-level"
MAP_LAYERS = "kaart-layers"
MAP_LEGEND = "kaart-legend"
MAP_ALT = "kaart-alt"
MAP_LOD = "kaart-lod"
MAP_LOD_NOTE = "kaart-lod-note"
MAP_BUURT = "kaart-buurt"
MAP_DETAIL = "kaart-detail"
MAP_URL_SINK = "kaart-url-sink"
MAP_WIJK_NAMES = "kaart-wijk-names"
MAP_ROUTES = "kaart-routes"  # the referral-route chart in the detail panel

# tabel (table page)
TABLE_INDICATOR = "tabel-indicator"
TABLE_PERIOD = "tabel-period"
TABLE_MODE = "tabel-mode"
TABLE_SOORT = "tabel-soort"
TABLE_LEVEL = "tabel-level"
TABLE_FILTER = "tabel-filter"
TABLE_SORT = "tabel-sort"
TABLE_BODY = "tabel-body"
TABLE_CAPTION = "tabel-caption"
TABLE_URL_SINK = "tabel-url-sink"
TABLE_DOWNLOAD = "tabel-download"
TABLE_DOWNLOAD_BUTTON = "tabel-download-button"
TABLE_DOWNLOAD_MESSAGE = "tabel-download-message"

# wat-als (what-if page)
WHATIF_GRAPH = "watals-graph"
WHATIF_MODE = "watals-mode"
WHATIF_TARGET = "watals-target"
WHATIF_ACTION = "watals-action"
WHATIF_TEAM = "watals-team"
WHATIF_BUURT = "watals-buurt"
WHATIF_X = "watals-x"
WHATIF_Y = "watals-y"
WHATIF_NAME = "watals-name"
WHATIF_ORG = "watals-org"
WHATIF_KIND = "watals-kind"
WHATIF_APPLY = "watals-apply"
WHATIF_RESET = "watals-reset"
WHATIF_SCENARIO = "watals-scenario"
WHATIF_STEPS = "watals-steps"
WHATIF_RESULT = "watals-result"
WHATIF_LEGEND = "watals-legend"
WHATIF_MESSAGE = "watals-message"
WHATIF_URL_SINK = "watals-url-sink"
WHATIF_SOURCE = "watals-source"  # which teams the what-if starts from (the atlas's or the session's own)
