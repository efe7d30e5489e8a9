"""Callback requests checked before Dash runs them, and callback errors turned into one log line and a notice.

A browser running our pages only ever sends payloads of the shape Dash's renderer writes for a callback we
registered. Anything else — not JSON, too deep, an unknown or client-side output, inputs that are not the
callback's, a body too large for a callback that takes no file — is answered 400 (413) with a bilingual
message naming the code, and logged as one line; Dash's own code never sees it, so it cannot fail on it.
An exception inside a callback is logged as one line (callback and exception type; the traceback at DEBUG)
and the page shows a notice instead of going stale in silence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import dash
import flask
from dash import html
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dashboard import ids, logs
from dashboard.dash_internals import callback_map
from etl.numbers import as_lang
from views.i18n import Lang, t
from views.state import FIELD_TO_PARAM

ROUTE = "/_dash-update-component"
MAX_DEPTH = 64  # nesting of any value; the deepest our components send is a figure's relayout data (< 10)
MAX_ITEMS = 5000  # entries of one pattern-matching (ALL) dependency
MAX_ID = 1000  # characters of an id or a property name
SMALL_BODY = 1024 * 1024  # a callback without a file input never needs more
FILE_PROPERTIES = frozenset({"contents"})  # dcc.Upload's file: its callbacks may use the whole upload limit
_HASH = re.compile(r"@[0-9a-f]{16,}")
_WILD = ("ALL", "ALLSMALLER", "MATCH")


class PayloadError(ValueError):
    def __init__(self, code: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


def callback_label(output: object) -> str:
    """The callback as the log names it: its output(s) without Dash's duplicate-output hashes."""
    return _HASH.sub("", output)[:200] if isinstance(output, str) else "?"


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _parse_id(text: str) -> str | dict[str, Any]:
    if text.startswith("{"):
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            return parsed
    return text


def _wildcard(pattern: dict[str, Any]) -> str | None:
    for value in pattern.values():
        if isinstance(value, list) and len(value) == 1 and value[0] in _WILD:
            return str(value[0])
    return None


def _one(sent: Any, dep_id: str | dict[str, Any], prop: str, where: str) -> None:
    # An output Dash allows twice (allow_duplicate) is sent as "children@<hash>": compare without the hash.
    raw = sent.get("property") if isinstance(sent, dict) else None
    if not isinstance(raw, str) or _HASH.sub("", raw) != _HASH.sub("", prop):
        raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: verwacht / expected {prop!r}")
    sent_id = sent.get("id")
    if isinstance(dep_id, str):
        if sent_id != dep_id:
            raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: verwacht / expected id {dep_id!r}")
        return
    if not isinstance(sent_id, dict) or set(sent_id) != set(dep_id):
        raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: id met de sleutels / id with the keys {sorted(dep_id)}")
    for key, value in dep_id.items():
        concrete = sent_id[key]
        if _wildcard({key: value}) is None and concrete != value:
            raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: {key}={value!r}")
        if not isinstance(concrete, str | int | float | bool) or (isinstance(concrete, str) and len(concrete) > MAX_ID):
            raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: {key}")


def _dependency(sent: Any, dep_id_text: str, prop: str, where: str) -> None:
    """One entry of inputs/state/outputs against the callback's declared dependency."""
    dep_id = _parse_id(dep_id_text)
    kind = _wildcard(dep_id) if isinstance(dep_id, dict) else None
    if kind in ("ALL", "ALLSMALLER"):
        if not isinstance(sent, list) or len(sent) > MAX_ITEMS:
            raise PayloadError("CALLBACK_DEPENDENCY", f"{where}: verwacht een lijst / expected a list")
        for n, item in enumerate(sent):
            _one(item, dep_id, prop, f"{where}[{n}]")
    else:
        _one(sent, dep_id, prop, where)


def _declared_outputs(cb: Mapping[str, Any]) -> list[tuple[str, str]]:
    outputs = cb["output"] if isinstance(cb["output"], list | tuple) else [cb["output"]]
    return [(o.component_id_str(), o.component_property) for o in outputs]


def check_payload(body: Any, callback_map: Mapping[str, Any], *, size: int) -> Mapping[str, Any]:
    """The callback entry ``body`` asks for, when ``body`` is exactly what Dash's renderer would send for it."""
    if not isinstance(body, dict):
        raise PayloadError("CALLBACK_PAYLOAD", "geen JSON-object / not a JSON object")
    output = body.get("output")
    cb = callback_map.get(output) if isinstance(output, str) else None
    if cb is None or "callback" not in cb:
        raise PayloadError("CALLBACK_UNKNOWN", "onbekende callback / unknown callback")
    if not _depth_ok(body):
        raise PayloadError("CALLBACK_PAYLOAD", f"dieper genest dan / nested deeper than {MAX_DEPTH}")
    declared = {
        "inputs": [(d["id"], d["property"]) for d in cb["inputs"]],
        "state": [(d["id"], d["property"]) for d in cb["state"]],
    }
    takes_file = any(prop in FILE_PROPERTIES for _, prop in declared["inputs"] + declared["state"])
    if size > SMALL_BODY and not takes_file:
        raise PayloadError("CALLBACK_TOO_LARGE", f"meer dan / more than {SMALL_BODY} bytes", status=413)
    if not declared["state"] and "state" not in body:
        body["state"] = []
    for part, deps in declared.items():
        sent = body.get(part)
        if not isinstance(sent, list) or len(sent) != len(deps):
            raise PayloadError("CALLBACK_DEPENDENCY", f"{part}: verwacht / expected {len(deps)}")
        for n, (item, (dep_id, prop)) in enumerate(zip(sent, deps, strict=True)):
            _dependency(item, dep_id, prop, f"{part}[{n}]")
    outputs = _declared_outputs(cb)
    sent_outputs = body.get("outputs")
    if not isinstance(cb["output"], list | tuple):
        _dependency(sent_outputs, *outputs[0], "outputs")  # one output: sent as itself, not in a list
    elif not isinstance(sent_outputs, list) or len(sent_outputs) != len(outputs):
        raise PayloadError("CALLBACK_DEPENDENCY", f"outputs: verwacht / expected {len(outputs)}")
    else:
        for n, (item, (dep_id, prop)) in enumerate(zip(sent_outputs, outputs, strict=True)):
            _dependency(item, dep_id, prop, f"outputs[{n}]")
    changed = body.get("changedPropIds", [])
    if (
        not isinstance(changed, list)
        or len(changed) > MAX_ITEMS
        or not all(isinstance(c, str) and len(c) <= MAX_ID for c in changed)
    ):
        raise PayloadError("CALLBACK_PAYLOAD", "changedPropIds")
    return dict(cb)


def _refusal(exc: PayloadError) -> flask.Response:
    logs.request_refused(code=exc.code, path=ROUTE)
    text = (
        f"{exc.code}: dit verzoek is geen geldige aanroep van het dashboard ({exc.detail}). Laad de pagina opnieuw.\n"
        f"{exc.code}: this request is not a valid call of the dashboard ({exc.detail}). Reload the page.\n"
    )
    return flask.Response(text, status=exc.status, mimetype="text/plain; charset=utf-8")


def guard_callbacks(app: dash.Dash) -> None:
    """Check every callback request before Dash's dispatch, and log what still fails inside it as one line.

    Flask's own hooks, not a wrapped view: a before_request hook answers a refused payload itself (the login
    check, added first, runs before it), and an error handler turns an exception in Dash's dispatch of a
    payload we let through into one line and a plain 500.
    """
    server: flask.Flask = app.server
    route = app.config.routes_pathname_prefix + ROUTE.lstrip("/")

    def check() -> flask.Response | None:
        request = flask.request
        if request.path != route or request.method != "POST":
            return None
        try:
            if not request.is_json:
                raise PayloadError("CALLBACK_PAYLOAD", "geen JSON / not JSON", status=415)
            try:
                body = request.get_json(cache=True)
            except RequestEntityTooLarge:
                raise PayloadError("CALLBACK_TOO_LARGE", "te groot / too large", status=413) from None
            except (HTTPException, RecursionError, ValueError):
                raise PayloadError("CALLBACK_PAYLOAD", "geen geldige JSON / not valid JSON") from None
            check_payload(body, callback_map(app), size=len(request.get_data(cache=True)))
        except PayloadError as exc:
            return _refusal(exc)
        flask.g.buurtdekking_callback = body.get("output")
        return None

    def failed(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc  # Flask's own answer (a 404, a 413 …), as without this handler
        if "buurtdekking_callback" not in flask.g:
            raise exc  # not a checked callback: Flask's 500, logged by dashboard/logs.py
        # Dash's own handling of a payload we let through: one line, not a traceback
        logs.render_error(callback=callback_label(flask.g.buurtdekking_callback), exc=exc)
        return flask.Response("Interne fout / internal error\n", status=500, mimetype="text/plain")

    server.before_request(check)
    server.register_error_handler(Exception, failed)


def _page_lang() -> Lang:
    """The language of the page that sent the callback (its URL is the Referer), Dutch when unknown."""
    referrer = flask.request.referrer if flask.has_request_context() else None
    query = dict(parse_qsl(urlsplit(referrer).query)) if referrer else {}
    return as_lang(query.get(FIELD_TO_PARAM["lang"]))


def on_callback_error(exc: Exception) -> None:
    """Dash's ``on_error``: one log line, and the page's render-error notice shown; the outputs stay as they were."""
    output = flask.request.get_json(silent=True, cache=True) if flask.has_request_context() else None
    logs.render_error(callback=callback_label(output.get("output") if isinstance(output, dict) else None), exc=exc)
    lang = _page_lang()
    notice = {
        "children": [html.P(t("render_error", lang))],
        "hidden": False,
        "className": "notice render-error",
        "role": "alert",
    }
    dash.set_props(ids.RENDER_ERROR, notice)


def render_error_notice() -> html.Div:
    """The shell's place for the notice that a part of the page could not be updated: hidden, and neither a notice
    nor an alert (to styles, assistive technology or a page's own `.notice[role=alert]`) until a callback fails."""
    return html.Div(id=ids.RENDER_ERROR, hidden=True)
