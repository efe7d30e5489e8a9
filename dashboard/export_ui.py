"""Export buttons for every view and the download route that serves them (PDF, PNG, XLSX, CSV, GeoPackage).

The view's whole state is in the URL, so a button is a plain link: ``/download/export?formaat=pdf&gebied=…`` plus
the page's query string. The route rebuilds the view on the server, protected exactly as shown, with the
user's own uploads when they applied any.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dash
import flask
import pandas as pd
from dash import Input, Output, State, clientside_callback, dcc, html

from dashboard import logs
from dashboard.paths import atlas_view, server_route
from dashboard.public_url import base_url
from dashboard.session import current_sid, current_store
from dashboard.uploads import session_view
from geodata.errors import InputError
from reports.build import build_snapshot
from reports.png import keep_browser_running
from reports.snapshot import snapshot_filename
from reports.write import write_snapshot
from views.data import AtlasView
from views.i18n import Lang, aria, t
from views.protection import served_threshold
from views.state import ViewState, parse_state

ROUTE = "/download/export"
PANEL = "export-panel"
AREA = "export-area"
BASE = "export-base"
# formaat → (file format, writer options, label NL, label EN)
CHOICES: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "pdf": ("pdf", {}, "PDF (A4, voor een overleg)", "PDF (A4, for a meeting)"),
    "png": ("png", {"dpi": 96}, "PNG (scherm, dia)", "PNG (screen, slide)"),
    "png300": ("png", {"dpi": 300}, "PNG voor druk (300 dpi)", "PNG for print (300 dpi)"),
    "xlsx": ("xlsx", {}, "Excel (.xlsx)", "Excel (.xlsx)"),
    "csv": ("csv", {"dialect": "excel-nl"}, "CSV voor Nederlandse Excel (;)", "CSV for Dutch Excel (;)"),
    "csvstd": ("csv", {"dialect": "standard"}, "CSV standaard (,)", "CSV standard (,)"),
    "gpkg": ("gpkg", {}, "GeoPackage (QGIS, ArcGIS)", "GeoPackage (QGIS, ArcGIS)"),
}
MIMETYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}
EXPORT_PARAMS = ("formaat", "gebied", "pad")
# Rendering a map starts a headless browser: one at a time per worker keeps a burst of clicks from exhausting memory.
_RENDER_SLOTS = threading.BoundedSemaphore(1)
RENDER_WAIT_S = 90
MAX_AREA_OPTIONS = 1000  # more wijken or buurten than this (a national atlas) and only the selection is listed


def link_id(choice: str) -> dict[str, str]:
    return {"type": "export-link", "format": choice}


def _options(df: pd.DataFrame, code: str, name: str, label: str) -> list[dict[str, str]]:
    return [
        {"label": label.format(n), "value": str(c)} for c, n in zip(df[code].tolist(), df[name].tolist(), strict=True)
    ]


def area_options(view: AtlasView, state: ViewState) -> list[dict[str, str]]:
    """Gemeenten, wijken and buurten to export; at national scale only the selected buurt, to keep the page small."""
    # Plain lists, not itertuples: that copies every row of a GeoDataFrame, geometry and all (70 ms for Utrecht).
    gemeenten = view.buurten[["gemeentecode", "gemeentenaam"]].drop_duplicates().sort_values("gemeentenaam")
    options = _options(gemeenten, "gemeentecode", "gemeentenaam", "{} (hele gemeente)")
    wijken = view.wijken[["wijkcode", "wijknaam"]].sort_values("wijknaam")
    if len(wijken) <= MAX_AREA_OPTIONS:
        options += _options(wijken, "wijkcode", "wijknaam", "Wijk {}")
    buurten = view.buurten[["buurtcode", "buurtnaam"]].sort_values("buurtnaam")
    if len(buurten) > MAX_AREA_OPTIONS:
        buurten = buurten[buurten["buurtcode"].astype(str) == state.buurt]
    options += _options(buurten, "buurtcode", "buurtnaam", "Buurt {}")
    return options


def export_panel(view: AtlasView, state: ViewState, lang: Lang) -> html.Details:
    """A collapsible 'Exporteren' block: choose the area, then one link per format."""
    default_area = state.buurt or str(view.buurten["gemeentecode"].iloc[0])
    nl = lang == "nl"
    return html.Details(
        id=PANEL,
        className="export-panel",
        children=[
            html.Summary("Exporteren" if nl else "Export"),
            html.Label("Gebied" if nl else "Area", htmlFor=AREA, className="field-label"),
            dcc.Dropdown(
                id=AREA,
                options=area_options(view, state),
                value=default_area,
                clearable=False,
                searchable=True,
                className="dropdown",
            ),
            dcc.Store(id=BASE, data=dash.get_relative_path(ROUTE)),
            html.Ul(
                [
                    html.Li(
                        html.A(
                            label_nl if nl else label_en,
                            id=link_id(choice),
                            href=_href(dash.get_relative_path(ROUTE), choice, default_area, ""),
                            download="",
                            className="export-link",
                        )
                    )
                    for choice, (_, _, label_nl, label_en) in CHOICES.items()
                ],
                className="export-links",
                **aria(label="Exportformaten" if nl else "Export formats"),
            ),
            html.P(t("export_protected_hint", lang, threshold=served_threshold(view.manifest)), className="hint"),
        ],
    )


def _href(base: str, choice: str, area: str, search: str) -> str:
    query = search.lstrip("?")
    own = urlencode({"formaat": choice, "gebied": area})
    return f"{base}?{own}" + (f"&{query}" if query else "")


# The links follow the URL (the view) and the chosen area without a server round trip.
clientside_callback(
    """
    function(search, area, base, ids) {
        const query = new URLSearchParams(search || "");
        query.delete("formaat");
        query.delete("gebied");
        const rest = query.toString();
        return ids.map(function(id) {
            const own = new URLSearchParams({formaat: id.format, gebied: area || "", pad: window.location.pathname}).toString();
            return base + "?" + own + (rest ? "&" + rest : "");
        });
    }
    """,
    Output({"type": "export-link", "format": dash.ALL}, "href"),
    Input("app-url", "search"),
    Input(AREA, "value"),
    State(BASE, "data"),
    State({"type": "export-link", "format": dash.ALL}, "id"),
)


def _error(status: int, problems: list[str]) -> flask.Response:
    return flask.Response("\n".join(problems) + "\n", status=status, mimetype="text/plain; charset=utf-8")


class ExportBusyError(RuntimeError):
    """Another map is being rendered in this worker; the user may try again shortly."""


def export_file(
    view: AtlasView,
    state: ViewState,
    *,
    choice: str,
    area: str,
    permalink: str,
    session_meta: dict[str, dict[str, Any]] | None = None,
) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of one export of ``state`` for ``area``: the one path every download takes.

    ``view`` is the user's own (the shared atlas with their applied uploads); values are protected as shown, the
    writers check once more that no small count is in them, and CSV/XLSX cells are formula-injection safe.
    InputError for a bad area, indicator or period; ExportBusyError when a map render is already running.
    """
    fmt, options, _, _ = CHOICES[choice]
    snapshot = build_snapshot(view, state, area=area, permalink=permalink, session_meta=session_meta)
    heavy = fmt in ("pdf", "png")
    if heavy and not _RENDER_SLOTS.acquire(timeout=RENDER_WAIT_S):
        raise ExportBusyError
    try:
        if heavy:
            keep_browser_running()
        with tempfile.TemporaryDirectory(prefix="buurtdekking-export-") as tmp:
            name = snapshot_filename(snapshot, fmt)
            path = write_snapshot(snapshot, Path(tmp) / name, fmt=fmt, **options)
            data = path.read_bytes()
    finally:
        if heavy:
            _RENDER_SLOTS.release()
    logs.export(area=area, fmt=choice)
    return name, data, MIMETYPES[fmt]


def export_response(view: AtlasView, args: dict[str, str], *, base_url: str) -> flask.Response:
    """Build and send one export; bad parameters give 400 with the message, never a stack trace."""
    choice = args.get("formaat", "")
    if choice not in CHOICES:
        logs.request_refused(code="EXPORT_FORMAT", path=ROUTE)
        return _error(
            400,
            [f"Onbekend formaat '{choice}'; kies {', '.join(CHOICES)}. / Unknown format; choose {', '.join(CHOICES)}."],
        )
    state, _problems = parse_state({k: v for k, v in args.items() if k not in EXPORT_PARAMS})
    area = args.get("gebied") or state.buurt or str(view.buurten["gemeentecode"].iloc[0])
    pages = {str(p["relative_path"]) for p in dash.page_registry.values()}
    page = args.get("pad", "/") if args.get("pad", "/") in pages else "/"
    store, sid = current_store(), current_sid()

    try:
        name, data, mimetype = export_file(
            session_view(view, store, sid),
            state,
            choice=choice,
            area=area,
            permalink=base_url.rstrip("/") + page + state.to_query(),
            session_meta=store.meta(sid),
        )
    except InputError as exc:
        logs.request_refused(code=",".join(sorted({p.code for p in exc.problems})), path=ROUTE)
        return _error(400, [p.format() for p in exc.problems])
    except ExportBusyError:
        return _error(
            503,
            ["Er wordt al een kaart gemaakt; probeer het zo opnieuw. / A map is being rendered; try again shortly."],
        )
    return download_response(name, data, mimetype)


def download_response(name: str, data: bytes, mimetype: str) -> flask.Response:
    response = flask.Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register_export_route(app: dash.Dash) -> None:
    """``GET /download/export``: the file of the view described by the query string."""

    def download() -> flask.Response:
        view = atlas_view()
        # $BUURTDEKKING_PUBLIC_URL says what users type (behind a proxy the request's host is internal); without
        # it only an allowed Host goes into the permalink, never whatever the request claims (dashboard/public_url.py).
        return export_response(view, dict(flask.request.args), base_url=base_url())

    app.server.add_url_rule(server_route(app, ROUTE), "buurtdekking_export", download, methods=["GET"])
