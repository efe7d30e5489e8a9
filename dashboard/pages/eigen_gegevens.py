"""Eigen gegevens: drop a teams, provider or caseload table, read the check report, apply it to your session only."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.app import atlas_dir
from dashboard.data import get_view
from dashboard.i18n import LABELS, Lang, aria
from dashboard.session import current_sid, current_store
from dashboard.state import parse_state
from dashboard.uploads import applied, apply, check, limits_from_env, remove, stage
from etl.upload import UploadReport
from geodata.errors import InputError, Problem

# The navigation takes page names from the one translation table; this page brings its own entry.
LABELS.setdefault("page_eigen_gegevens", ("Eigen gegevens", "Your own data"))
dash.register_page(__name__, path="/eigen-gegevens", name="Eigen gegevens", title="Eigen gegevens · Buurtdekking", order=4)

KIND = "upload-kind"
DROP = "upload-drop"
REPORT = "upload-report"
APPLY = "upload-apply"
STATUS = "upload-status"
APPLIED = "upload-applied"
REMOVE = "upload-remove"
LANG = "upload-lang"
PREVIEW_ROWS = 20

# Labels of this page (Dutch, English).
L: dict[str, tuple[str, str]] = {
    "title": ("Eigen gegevens toevoegen", "Add your own data"),
    "intro": (
        "Bekijk een eigen tabel op de kaart: teams, aanbiedersgebieden of zorgaantallen (CSV of Excel). "
        "U ziet eerst de controle; alleen een foutloos bestand kunt u toepassen. Toegepaste gegevens zijn alleen "
        "voor u zichtbaar, in deze sessie, worden nooit in de gedeelde atlas opgeslagen en verdwijnen na {hours} uur.",
        "See your own table on the map: teams, provider areas or caseloads (CSV or Excel). You see the check "
        "first; only a file without errors can be applied. Applied data is visible to you only, in this session, "
        "is never stored in the shared atlas and disappears after {hours} hours.",
    ),
    "kind": ("Soort gegevens", "Kind of data"),
    "teams": ("Teams (team_id, naam, organisatie, soort, locatie)", "Teams (team_id, naam, organisatie, soort, location)"),
    "providers": ("Aanbiedersgebieden (wijkcode of buurtcode, aanbieder)", "Provider areas (wijkcode or buurtcode, aanbieder)"),
    "caseloads": ("Zorgaantallen (buurtcode of wijkcode, periode, aantallen)", "Caseloads (buurtcode or wijkcode, periode, counts)"),
    "drop": ("Sleep een bestand hierheen of ", "Drop a file here or "),
    "choose": ("kies een bestand", "choose a file"),
    "limits": ("CSV (; , of tab, UTF-8 of Windows-1252) of XLSX; hoogstens {mb} MB, {rows} rijen, {cols} kolommen.",
               "CSV (; , or tab, UTF-8 or Windows-1252) or XLSX; at most {mb} MB, {rows} rows, {cols} columns."),
    "report": ("Controle van {name}", "Check of {name}"),
    "summary": ("{size} · {rows} rijen · {cols} kolommen · sha256 {sha}", "{size} · {rows} rows · {cols} columns · sha256 {sha}"),
    "ok": ("Geen fouten gevonden. U kunt het bestand toepassen.", "No errors found. You can apply the file."),
    "bad": ("{n} probleem/problemen gevonden; het bestand kan niet worden toegepast. Pas het aan en probeer opnieuw.",
            "{n} problem(s) found; the file cannot be applied. Fix it and try again."),
    "row": ("Rij", "Row"), "column": ("Kolom", "Column"), "code": ("Code", "Code"), "message": ("Melding", "Message"),
    "preview": ("Voorbeeld (eerste {n} rijen)", "Preview (first {n} rows)"),
    "apply": ("Toepassen in mijn sessie", "Apply in my session"),
    "applied_title": ("Toegepast in deze sessie", "Applied in this session"),
    "applied_none": ("Nog niets: de kaart toont de gedeelde atlas.", "Nothing yet: the map shows the shared atlas."),
    "applied_item": ("{kind}: {name} ({rows} rijen, toegepast {at})", "{kind}: {name} ({rows} rows, applied {at})"),
    "remove": ("Verwijderen", "Remove"),
    "done": ("Toegepast: de kaart, de tabel en exports gebruiken nu uw {kind}.", "Applied: the map, table and exports now use your {kind}."),
    "removed": ("Verwijderd: de gedeelde atlas geldt weer voor {kind}.", "Removed: the shared atlas applies again for {kind}."),
    "nothing": ("Er is geen gecontroleerd bestand om toe te passen.", "There is no checked file to apply."),
    "decode": ("Het bestand kwam niet goed door; probeer het opnieuw.", "The file did not come through; try again."),
}
KIND_SHORT = {"teams": ("teams", "teams"), "providers": ("aanbiedersgebieden", "provider areas"), "caseloads": ("zorgaantallen", "caseloads")}


def lbl(key: str, lang: Lang, **fmt: object) -> str:
    nl, en = L[key]
    return (nl if lang == "nl" else en).format(**fmt)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{max(n, 1) / 1000:.1f} kB"


def problems_table(problems: tuple[Problem, ...], lang: Lang) -> html.Table:
    head = html.Thead(html.Tr([html.Th(lbl(k, lang), scope="col") for k in ("row", "column", "code", "message")]))
    body = html.Tbody([
        html.Tr([html.Td("" if p.row is None else str(p.row)), html.Td(p.column or ""), html.Td(p.code),
                 html.Td(p.nl if lang == "nl" else p.en)])
        for p in problems
    ])
    return html.Table([head, body], className="data-table upload-problems")


def preview_table(report: UploadReport, lang: Lang) -> html.Div | None:
    if report.preview is None or report.preview.empty:
        return None
    frame = report.preview.head(PREVIEW_ROWS)
    head = html.Thead(html.Tr([html.Th(str(c), scope="col") for c in frame.columns]))
    body = html.Tbody([html.Tr([html.Td(str(v)) for v in row]) for row in frame.itertuples(index=False)])
    return html.Div(
        [html.H3(lbl("preview", lang, n=min(PREVIEW_ROWS, len(frame)))), html.Div(html.Table([head, body], className="data-table"), className="table-scroll")],
        className="upload-preview",
    )


def report_view(report: UploadReport, lang: Lang) -> html.Section:
    """The check report first (row, column, message), then the preview."""
    summary = lbl("summary", lang, size=_size(report.size), rows=report.rows, cols=len(report.columns), sha=report.sha256[:12])
    verdict = (
        html.P(lbl("ok", lang), className="notice notice-ok", role="status")
        if report.ok else html.P(lbl("bad", lang, n=len(report.problems)), className="notice", role="alert")
    )
    return html.Section(
        [html.H2(lbl("report", lang, name=report.name)), html.P(summary, className="hint"), verdict,
         problems_table(report.problems, lang) if report.problems else None, preview_table(report, lang)],
        className="upload-report",
        **aria(live="polite"),
    )


def applied_view(items: dict[str, dict[str, Any]], lang: Lang) -> html.Div:
    if not items:
        return html.Div(html.P(lbl("applied_none", lang), className="hint"))
    rows = []
    for kind, meta in sorted(items.items()):
        short = KIND_SHORT.get(kind, (kind, kind))[0 if lang == "nl" else 1]
        text = lbl("applied_item", lang, kind=short, name=meta.get("name", ""), rows=meta.get("rows", "?"),
                   at=str(meta.get("applied_at", ""))[:16].replace("T", " "))
        rows.append(html.Li([html.Span(text), " ", html.Button(lbl("remove", lang), id={"type": REMOVE, "kind": kind},
                                                               className="button secondary", n_clicks=0)]))
    return html.Div(html.Ul(rows, className="upload-applied-list"))


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang = state.lang
    limits = limits_from_env()
    store = current_store()
    return html.Div(
        className="page upload-page",
        children=[
            dcc.Store(id=LANG, data=lang),
            html.H1(lbl("title", lang)),
            html.P(lbl("intro", lang, hours=round(store.ttl_s / 3600))),
            html.Fieldset(
                [html.Legend(lbl("kind", lang), className="field-label"),
                 dcc.RadioItems(id=KIND, options=[{"label": lbl(k, lang), "value": k} for k in ("teams", "providers", "caseloads")],
                                value="caseloads", className="radio radio-list")],
                className="field",
            ),
            dcc.Upload(
                id=DROP,
                children=html.Div([lbl("drop", lang), html.Span(lbl("choose", lang), className="link-like")]),
                accept=".csv,.txt,.tsv,.xlsx",
                max_size=3 * limits.max_bytes,
                multiple=False,
                className="upload-drop",
                className_active="upload-drop active",
            ),
            html.P(lbl("limits", lang, mb=round(limits.max_bytes / 1024 / 1024), rows=f"{limits.max_rows:,}".replace(",", "."),
                       cols=limits.max_columns), className="hint"),
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
    Input(DROP, "contents"),
    State(DROP, "filename"),
    State(KIND, "value"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def on_upload(contents: str | None, filename: str | None, kind: str, lang: Lang) -> tuple[Any, Any, Any]:
    if not contents:
        return no_update, True, ""
    data = _decode(contents)
    if data is None:
        return html.P(lbl("decode", lang), className="notice", role="alert"), True, ""
    try:
        view = get_view(atlas_dir())
    except InputError as exc:
        return html.P(exc.problems[0].nl if lang == "nl" else exc.problems[0].en, className="notice", role="alert"), True, ""
    report = check(view, data, name=filename or "upload", kind=kind)
    stage(current_store(), current_sid(), report)
    return report_view(report, lang), not report.ok, ""


@callback(
    Output(APPLIED, "children"),
    Output(STATUS, "children"),
    Output(APPLY, "disabled", allow_duplicate=True),
    Input(APPLY, "n_clicks"),
    Input({"type": REMOVE, "kind": ALL}, "n_clicks"),
    State(KIND, "value"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def on_apply_or_remove(_apply: int, _removes: list[int], kind: str, lang: Lang) -> tuple[Any, Any, Any]:
    store, sid = current_store(), current_sid()
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == REMOVE:
        if not any(_removes):
            return no_update, no_update, no_update  # the list was redrawn, nothing was clicked
        gone = str(trigger.get("kind"))
        remove(store, sid, gone)
        message = lbl("removed", lang, kind=KIND_SHORT.get(gone, (gone, gone))[0 if lang == "nl" else 1])
        return applied_view(applied(store, sid), lang), message, no_update
    if not _apply:
        return no_update, no_update, no_update
    if not apply(store, sid, kind):
        return no_update, lbl("nothing", lang), True
    message = lbl("done", lang, kind=KIND_SHORT.get(kind, (kind, kind))[0 if lang == "nl" else 1])
    return applied_view(applied(store, sid), lang), message, True
