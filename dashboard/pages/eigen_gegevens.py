"""Eigen gegevens: drop a teams, provider or caseload table, read the check report, apply it to your session only."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import logs
from dashboard.paths import app_settings, atlas_view
from dashboard.session import current_sid, current_store
from dashboard.uploads import applied, apply, check, pending, remove, stage, upload_limits
from etl.inputs import KINDS
from etl.numbers import format_number
from etl.rules.columns import LOCATION_SOURCES
from etl.upload import UploadReport, safe_name
from geodata.errors import InputError, Problem
from views.i18n import Lang, aria, format_size, has_label, t
from views.state import parse_state

dash.register_page(
    __name__, path="/eigen-gegevens", name="Eigen gegevens", title="Eigen gegevens · Buurtdekking", order=4
)

KIND = "upload-kind"
DROP = "upload-drop"
PICKED = "upload-picked"  # name and size of every file the user picked (assets/upload-size.js), before any upload
REPORT = "upload-report"
APPLY = "upload-apply"
STATUS = "upload-status"
APPLIED = "upload-applied"
REMOVE = "upload-remove"
LANG = "upload-lang"
OFFERED = "upload-offered"  # the kind whose checked (pending) file the Apply button applies, or None
PREVIEW_ROWS = 20


def lbl(key: str, lang: Lang, **fmt: object) -> str:
    """This page's label ``upload_<key>`` from the one translation table (views/i18n.py)."""
    return t(f"upload_{key}", lang, **fmt)


def kind_short(kind: str, lang: Lang) -> str:
    return lbl(f"short_{kind}", lang) if has_label(f"upload_short_{kind}") else kind


def problems_table(problems: tuple[Problem, ...], lang: Lang) -> html.Table:
    head = html.Thead(html.Tr([html.Th(lbl(k, lang), scope="col") for k in ("row", "column", "code", "message")]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td("" if p.row is None else str(p.row)),
                    html.Td(p.column or ""),
                    html.Td(p.code),
                    html.Td(p.nl if lang == "nl" else p.en),
                ]
            )
            for p in problems
        ]
    )
    return html.Table([head, body], className="data-table upload-problems")


def preview_table(report: UploadReport, lang: Lang) -> html.Div | None:
    if report.preview is None or report.preview.empty:
        return None
    frame = report.preview.head(PREVIEW_ROWS)
    head = html.Thead(html.Tr([html.Th(str(c), scope="col") for c in frame.columns]))
    body = html.Tbody([html.Tr([html.Td(str(v)) for v in row]) for row in frame.itertuples(index=False)])
    return html.Div(
        [
            html.H3(lbl("preview", lang, n=min(PREVIEW_ROWS, len(frame)))),
            html.Div(html.Table([head, body], className="data-table"), className="table-scroll"),
        ],
        className="upload-preview",
    )


def locations_view(report: UploadReport, lang: Lang) -> html.Div | None:
    """For valid teams: how many stand where, and how precise that is (a PC4 centre is ± 1–2 km)."""
    frame = report.frame
    if not report.ok or report.kind != "teams" or frame is None or "locatie_bron" not in frame.columns:
        return None
    counts = frame["locatie_bron"].value_counts()
    items = []
    for bron in LOCATION_SOURCES:
        if bron in counts.index:
            items.append(
                html.Li(lbl("location_count", lang, n=int(counts[bron]), what=t(f"location_source_{bron}", lang)))
            )
    hint = html.P(lbl("locations_offline", lang), className="hint") if "postcode4" in counts.index else None
    return html.Div(
        [html.H3(lbl("locations", lang)), html.Ul(items, className="upload-locations"), hint],
        className="upload-locations-block",
    )


def report_view(report: UploadReport, lang: Lang) -> html.Section:
    """The check report first (row, column, message), then the preview."""
    size, sha = format_size(report.size, lang=lang), report.sha256[:12]
    if report.rows is None or report.columns is None:  # not read as a table: no row or column count to show
        codes = ", ".join(dict.fromkeys(p.code for p in report.problems)) or "?"
        summary = lbl("summary_unread", lang, size=size, codes=codes, sha=sha)
    else:
        summary = lbl(
            "summary", lang, size=size, rows=format_number(report.rows, lang=lang), cols=len(report.columns), sha=sha
        )
    verdict = (
        html.P(lbl("ok", lang), className="notice notice-ok", role="status")
        if report.ok
        else html.P(lbl("bad", lang, n=len(report.problems)), className="notice", role="alert")
    )
    # What the reader tolerated (an Excel trailing ';', no line break at the end): worth a look, not a problem.
    notes = (
        html.Ul([html.Li(nl if lang == "nl" else en) for nl, en in report.notes], className="hint upload-notes")
        if report.notes
        else None
    )
    return html.Section(
        [
            html.H2(lbl("report", lang, name=report.name)),
            html.P(summary, className="hint"),
            verdict,
            notes,
            problems_table(report.problems, lang) if report.problems else None,
            locations_view(report, lang),
            preview_table(report, lang),
        ],
        className="upload-report",
        **aria(live="polite"),
    )


def kept_view(
    items: dict[str, dict[str, Any]], offered: str | None, lang: Lang, *, say_unchanged: bool = True
) -> html.P | None:
    """After a refused file: nothing changed, and the file checked before (if any) is still the one Apply applies."""
    meta = items.get(offered or "")
    if meta is None:
        return html.P(lbl("unchanged", lang), className="hint upload-kept") if say_unchanged else None
    text = lbl("kept", lang, name=meta.get("name", ""), kind=kind_short(str(offered), lang), rows=meta.get("rows", "?"))
    return html.P(text, className="hint upload-kept")


def _still_offered(offered: str | None) -> tuple[dict[str, dict[str, Any]], str | None]:
    """This session's pending uploads, and ``offered`` if its pending file is still there (else None)."""
    items = pending(current_store(), current_sid())
    return items, offered if offered in items else None


def refused(
    message: Any, offered: str | None, lang: Lang, *, say_unchanged: bool = True
) -> tuple[Any, bool, str, str | None]:
    """The outputs for a file that is not taken: its message, and the Apply button as it was before."""
    items, still = _still_offered(offered)
    return html.Div([message, kept_view(items, still, lang, say_unchanged=say_unchanged)]), still is None, "", still


def applied_view(items: dict[str, dict[str, Any]], lang: Lang) -> html.Div:
    if not items:
        return html.Div(html.P(lbl("applied_none", lang), className="hint"))
    rows = []
    for kind, meta in sorted(items.items()):
        text = lbl(
            "applied_item",
            lang,
            kind=kind_short(kind, lang),
            name=meta.get("name", ""),
            rows=meta.get("rows", "?"),
            at=str(meta.get("applied_at", ""))[:16].replace("T", " "),
        )
        rows.append(
            html.Li(
                [
                    html.Span(text),
                    " ",
                    html.Button(
                        lbl("remove", lang), id={"type": REMOVE, "kind": kind}, className="button secondary", n_clicks=0
                    ),
                ]
            )
        )
    return html.Div(html.Ul(rows, className="upload-applied-list"))


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang = state.lang
    limits = upload_limits(app_settings())
    store = current_store()
    return html.Div(
        className="page upload-page",
        children=[
            dcc.Store(id=LANG, data=lang),
            dcc.Store(id=OFFERED, data=None),
            html.H1(lbl("title", lang)),
            html.P(lbl("intro", lang, hours=round(store.ttl_s / 3600))),
            html.Fieldset(
                [
                    html.Legend(lbl("kind", lang), className="field-label"),
                    dcc.RadioItems(
                        id=KIND,
                        options=[{"label": lbl(f"kind_{k}", lang), "value": k} for k in KINDS],
                        value="caseloads",
                        className="radio radio-list",
                    ),
                ],
                className="field",
            ),
            dcc.Upload(
                id=DROP,
                children=html.Div([lbl("drop", lang), html.Span(lbl("choose", lang), className="link-like")]),
                accept=".csv,.txt,.tsv,.xlsx",
                # The browser refuses a larger file without a word; assets/upload-size.js reports it (see on_picked).
                max_size=limits.max_bytes,
                multiple=False,
                className="upload-drop",
                className_active="upload-drop active",
            ),
            dcc.Store(id=PICKED),
            html.P(
                lbl(
                    "limits",
                    lang,
                    mb=format_size(limits.max_bytes, lang=lang),
                    rows=format_number(limits.max_rows, lang=lang),
                    cols=limits.max_columns,
                    cell=limits.max_cell_chars,
                ),
                className="hint",
            ),
            dcc.Loading(html.Div(id=REPORT)),
            html.Button(lbl("apply", lang), id=APPLY, className="button", disabled=True, n_clicks=0),
            html.P(id=STATUS, role="status"),
            html.H2(lbl("applied_title", lang)),
            html.Div(applied_view(applied(store, current_sid()), lang), id=APPLIED),
        ],
    )


def _decode(contents: str) -> bytes | None:
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        return None


@callback(
    Output(REPORT, "children"),
    Output(APPLY, "disabled"),
    Output(STATUS, "children", allow_duplicate=True),
    Output(OFFERED, "data"),
    Input(DROP, "contents"),
    State(DROP, "filename"),
    State(KIND, "value"),
    State(LANG, "data"),
    State(OFFERED, "data"),
    prevent_initial_call=True,
)
def on_upload(
    contents: str | None, filename: str | None, kind: str, lang: Lang, offered: str | None = None
) -> tuple[Any, Any, Any, Any]:
    """Check the file; only a file without problems replaces what Apply applies. A refused one changes nothing stored."""
    if not contents:
        return no_update, no_update, no_update, no_update
    data = _decode(contents)
    if data is None:
        logs.upload_refused(kind=str(kind), codes=["UPLOAD_DECODE"])
        return refused(html.P(lbl("decode", lang), className="notice", role="alert"), offered, lang)
    try:
        view = atlas_view()
    except InputError as exc:
        return refused(
            html.P(exc.problems[0].nl if lang == "nl" else exc.problems[0].en, className="notice", role="alert"),
            offered,
            lang,
        )
    settings = app_settings()
    report = check(
        view, data, name=filename or "upload", kind=kind, limits=upload_limits(settings), data_dir=settings.etl.data_dir
    )
    if report.problems:
        logs.upload_refused(kind=report.kind, codes=[p.code for p in report.problems])
    if stage(current_store(), current_sid(), report):
        return report_view(report, lang), False, "", report.kind
    return refused(report_view(report, lang), offered, lang)


def too_large(files: list[dict[str, Any]], *, max_bytes: int, lang: Lang) -> html.Div | None:
    """The message for picked files over the size limit (the browser drops them unread), or None if all fit."""
    over = []
    for f in files:
        try:
            size = int(f.get("size", 0))
        except (TypeError, ValueError):
            continue
        if size > max_bytes:
            over.append((safe_name(str(f.get("name") or "upload")), size))
    if not over:
        return None
    limit = format_size(max_bytes, lang=lang)
    return html.Div(
        [
            html.P(lbl("too_large", lang, name=name, size=format_size(size, lang=lang), limit=limit))
            for name, size in over
        ],
        className="notice upload-too-large",
        role="alert",
    )


@callback(
    Output(REPORT, "children", allow_duplicate=True),
    Output(APPLY, "disabled", allow_duplicate=True),
    Output(STATUS, "children", allow_duplicate=True),
    Output(OFFERED, "data", allow_duplicate=True),
    Input(PICKED, "data"),
    State(LANG, "data"),
    State(OFFERED, "data"),
    prevent_initial_call=True,
)
def on_picked(picked: dict[str, Any] | None, lang: Lang, offered: str | None = None) -> tuple[Any, Any, Any, Any]:
    """A file over the limit never reaches the server: say so, naming it, its size and the limit; nothing changes."""
    files = (picked or {}).get("files") or []
    message = too_large(
        files if isinstance(files, list) else [], max_bytes=upload_limits(app_settings()).max_bytes, lang=lang
    )
    if message is None:
        return (
            no_update,
            no_update,
            no_update,
            no_update,
        )  # a file within the limit: dcc.Upload sends it, on_upload reports
    logs.upload_refused(kind="-", codes=["UPLOAD_TOO_LARGE"])
    return refused(message, offered, lang, say_unchanged=False)  # the message itself says nothing changed


@callback(
    Output(APPLIED, "children"),
    Output(STATUS, "children"),
    Output(APPLY, "disabled", allow_duplicate=True),
    Input(APPLY, "n_clicks"),
    Input({"type": REMOVE, "kind": ALL}, "n_clicks"),
    State(OFFERED, "data"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def on_apply_or_remove(_apply: int, _removes: list[int], offered: str | None, lang: Lang) -> tuple[Any, Any, Any]:
    store, sid = current_store(), current_sid()
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == REMOVE:
        if not any(_removes):
            return no_update, no_update, no_update  # the list was redrawn, nothing was clicked
        gone = str(trigger.get("kind"))
        remove(store, sid, gone)
        message = lbl("removed", lang, kind=kind_short(gone, lang))
        return applied_view(applied(store, sid), lang), message, no_update
    if not _apply:
        return no_update, no_update, no_update
    # The file the page offered, not the kind selected now: the choice may have moved since that file was checked.
    kind = str(offered or "")
    if kind not in KINDS or not apply(store, sid, kind):
        return no_update, lbl("nothing", lang), True
    message = lbl("done_teams", lang) if kind == "teams" else lbl("done", lang, kind=kind_short(kind, lang))
    return applied_view(applied(store, sid), lang), message, True
