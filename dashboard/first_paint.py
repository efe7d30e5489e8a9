"""The map page's first paint: the page as static HTML with its map, drawn before Dash's scripts run.

Dash shows a page only after its scripts have run, the layout has come back and React has rendered it;
on a modest machine that alone is most of a second before the map can start drawing, and the map's
drawing then competes with Dash for the one main thread. So the HTML of the map page carries the page
itself (dashboard/prerender.py) and its figure: assets/early/first-map.js draws the map at once, and
only then loads and runs Dash's scripts. When Dash has rendered the page, first-map.js moves the drawn
map into it and removes the static copy; assets/map.js draws the map from then on.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any
from urllib.parse import quote

from plotly.io.json import to_json_plotly

from dashboard import ids
from dashboard.prerender import find, static_html

SKELETON_ID = "first-paint"
FIGURE_ID = "first-map-figure"
FIRST_PAINT_MARK = "<!-- buurtdekking: first paint -->"


def page_map_spec(shell: Any) -> dict[str, Any] | None:
    """The map's figure in a rendered page (the data of its figure store), None for a page without a map."""
    store = find(shell, ids.MAP_FIGURE)
    return getattr(store, "data", None) if store is not None else None


def map_fetches(spec: dict[str, Any], glyphs: str) -> list[str]:
    """What MapLibre will fetch for this figure: the style, the GeoJSON and the basic-Latin glyphs of its names.

    ``glyphs`` is the style's glyph URL template ({fontstack}, {range}).
    """
    urls: list[str] = []
    style = spec.get("layout", {}).get("map", {}).get("style")
    if isinstance(style, str) and style.startswith("/"):
        urls.append(style)
    fonts: list[str] = []
    for trace in spec.get("data", []):
        if isinstance(trace.get("geojson"), str):
            urls.append(trace["geojson"])
        family = (trace.get("textfont") or {}).get("family")
        if (
            "text" in str(trace.get("mode", ""))
            and trace.get("visible", True) is not False
            and family
            and family not in fonts
        ):
            fonts.append(family)
    urls += [glyphs.replace("{fontstack}", quote(f)).replace("{range}", "0-255") for f in fonts]
    return urls


def skeleton(shell: Any, spec: dict[str, Any], *, preload: list[str] | None = None) -> str:
    """The page as static HTML with an empty map host, and the map's figure as a JSON data block.

    ``preload``: URLs the map will fetch, fetched meanwhile (the parser waits on plotly.js; the
    browser's preload scanner reads on).
    """
    body = static_html(shell, ids={ids.MAP_GRAPH: ids.FIRST_MAP_HOST})
    # A JSON data block is not run (no CSP hash needed); "</" must not end the <script> element early.
    figure = to_json_plotly(spec).replace("</", "<\\/")
    links = "".join(
        f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{escape(u)}">' for u in preload or []
    )
    return (
        f'{links}<div id="{SKELETON_ID}" class="shell first-paint"><div class="shell-content">{body}</div></div>\n'
        f'<script type="application/json" id="{FIGURE_ID}">{figure}</script>\n'
    )


def early_script(src: str) -> str:
    """A script run as soon as the parser reaches it."""
    return f'<script src="{escape(src)}"></script>\n'


def gzip_chunks(chunks: Iterable[Any]) -> Iterator[bytes]:
    """A gzip stream of ``chunks``, each flushed as it comes: flask-compress would hold the first back."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        yield compressor.compress(str(chunk).encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()
