"""The server's log: one line per event (logins, rate limits, refused uploads, exports, errors), never a count or a name.

Configured by ``BUURTDEKKING_LOG_LEVEL`` (DEBUG, INFO (default), WARNING, ERROR) and ``BUURTDEKKING_LOG_FORMAT``
(``text`` (default) or ``json``, one object a line), read by dashboard/settings.py. Lines go to stderr, which gunicorn and ``buurtdekking serve``
both pass on. What a line may hold: an event name, a stable problem or exception *type*, an area code, a format,
a number of seconds to wait; user names and client addresses only as :func:`pseudonym` (an HMAC keyed with the
deployment's secret key: the same person gives the same pseudonym within one deployment, and nobody without the
key can tell who it is). Never a password, a file name, a value from the data or a youth count. Full tracebacks
only at DEBUG.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

import flask

from dashboard.session import secret_key
from dashboard.settings import LOG_FORMATS, LOG_LEVELS

LOGGER_NAME = "buurtdekking"
MAX_FIELD = 200
_UNSAFE = re.compile(r"[^\w.:/@+,=-]")  # a field is one token: no spaces, quotes or line breaks to forge a line
_HANDLER_MARK = "_buurtdekking_handler"

log = logging.getLogger(LOGGER_NAME)


def _field(value: object) -> str:
    return _UNSAFE.sub("_", str(value))[:MAX_FIELD]


class TextFormatter(logging.Formatter):
    """``2025-01-31T12:00:00Z INFO [4242] login_failed user=h:… client=h:…`` (``[pid]``: which worker)"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        fields: Mapping[str, object] = getattr(record, "fields", {})
        head = [stamp, record.levelname, f"[{record.process}]", _field(record.getMessage())]
        line = " ".join([*head, *(f"{k}={_field(v)}" for k, v in fields.items())])
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)  # DEBUG only (see event)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, event and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: Mapping[str, object] = getattr(record, "fields", {})
        out: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname,
            "pid": record.process,
            "event": _field(record.getMessage()),
            **{k: _field(v) for k, v in fields.items()},
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(*, level: str = "INFO", fmt: str = "text") -> logging.Logger:
    """Give the ``buurtdekking`` logger ``level`` and one stderr handler in ``fmt`` (checked by dashboard/settings.py)."""
    if level not in LOG_LEVELS or fmt not in LOG_FORMATS:
        raise ValueError(f"log level {level!r} or format {fmt!r} not one of {LOG_LEVELS} / {LOG_FORMATS}")
    for handler in [h for h in log.handlers if getattr(h, _HANDLER_MARK, False)]:
        log.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False  # one line per event, whatever the root logger of the host does
    return log


def quiet_server_errors(server: flask.Flask) -> None:
    """An exception that reaches Flask (its 500 page) is one line here, not Flask's traceback on every request."""

    def log_exception(exc_info: Any) -> None:
        exc = exc_info[1] if isinstance(exc_info, tuple) else None
        if isinstance(exc, BaseException):
            server_error(path=flask.request.path if flask.has_request_context() else "-", exc=exc)

    server.log_exception = log_exception  # type: ignore[method-assign]


def pseudonym(value: str, key: str | bytes | None = None) -> str:
    """``h:`` and 12 hex digits of an HMAC of ``value``, keyed with the app's secret key (or ``key``)."""
    if key is None:
        key = flask.current_app.secret_key if flask.has_app_context() and flask.current_app.secret_key else ""
        if not key:
            key = secret_key()
    raw = key.encode() if isinstance(key, str) else key
    return "h:" + hmac.new(raw, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def event(name: str, *, level: int = logging.INFO, exc: BaseException | None = None, **fields: object) -> None:
    """One line; with ``exc`` its type is a field, and its traceback a second record at DEBUG only."""
    if exc is not None:
        fields = {**fields, "error": type(exc).__name__}
    log.log(level, name, extra={"fields": fields})
    if exc is not None and log.isEnabledFor(logging.DEBUG):
        log.debug("%s_traceback", name, exc_info=(type(exc), exc, exc.__traceback__))


# ---------------------------------------------------------------- the events

_PSEUDONYM = re.compile(r"^h:[0-9a-f]{12}$")


def _pseudo(value: str) -> str:
    """A pseudonym as it is, anything else made one: a name or an address never reaches a line."""
    return value if _PSEUDONYM.match(value) else pseudonym(value)


def login_ok(*, user: str, client: str) -> None:
    """A fresh login (once per browser session, not for every request that carries the password)."""
    event("login_ok", user=_pseudo(user), client=_pseudo(client))


def login_failed(*, user: str, client: str) -> None:
    event("login_failed", level=logging.WARNING, user=_pseudo(user), client=_pseudo(client))


def login_limited(*, scope: str, who: str, retry_after: int) -> None:
    """A back-off starts for an account or a client (logged when it trips, not for every refused request)."""
    event("login_rate_limited", level=logging.WARNING, scope=scope, who=_pseudo(who), retry_after_s=retry_after)


def proxy_refused(*, client: str) -> None:
    event("proxy_auth_refused", level=logging.WARNING, client=_pseudo(client))


def upload_refused(*, kind: str, codes: Iterable[str]) -> None:
    """A refused upload and its stable problem codes (sorted, once each): never the file's name or content."""
    event("upload_refused", kind=kind, codes=",".join(sorted(set(codes))) or "-")


def export(*, area: str, fmt: str) -> None:
    event("export", area=area, format=fmt)


def render_error(*, callback: str, exc: BaseException) -> None:
    event("render_error", level=logging.ERROR, exc=exc, callback=callback)


def request_refused(*, code: str, path: str) -> None:
    event("request_refused", code=code, path=path)


def server_error(*, path: str, exc: BaseException) -> None:
    event("server_error", level=logging.ERROR, exc=exc, path=path)
