"""The app's own address in the permalinks of exports: the configured one, or a Host header on the allow-list.

Never the Host of the request as such: anyone can send ``Host: evil.example``, and the link would then lead a
reader of the exported file to the attacker's site. Without ``BUURTDEKKING_PUBLIC_URL`` and with an unlisted
Host the permalink is relative (``/tabel?…``): still the view, on whatever address the reader uses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import flask

from reports.command import PUBLIC_URL_ENV

ALLOWED_HOSTS_ENV = "BUURTDEKKING_ALLOWED_HOSTS"
BIND_HOST_KEY = "BUURTDEKKING_BIND_HOST"  # server config: the host `buurtdekking serve --host` listens on
DEFAULT_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_ANY = ("", "0.0.0.0", "::", "[::]")  # listening everywhere names no host a user types


def hostname(host: str) -> str | None:
    """The name or address in a Host header value (no port, no brackets, lower case); None when it is not one."""
    try:
        parts = urlsplit("//" + host)
        if parts.port is None and parts.netloc.endswith(":"):
            return None  # "host:" with an empty port
    except ValueError:  # brackets that do not close, a port that is not a number
        return None
    return parts.hostname or None


def _bracketed(host: str) -> str:
    """A bare IPv6 address ("::1") as a Host header writes it ("[::1]")."""
    return f"[{host}]" if host.count(":") > 1 and not host.startswith("[") else host


def allowed_hosts(env: Mapping[str, str] | None = None, *, bind_host: str = "") -> frozenset[str]:
    env = os.environ if env is None else env
    listed = [h.strip() for h in (env.get(ALLOWED_HOSTS_ENV) or "").split(",") if h.strip()]
    names = {hostname(_bracketed(h)) for h in (listed or DEFAULT_HOSTS)}
    if bind_host.strip() not in _ANY:
        names.add(hostname(_bracketed(bind_host.strip())))
    return frozenset(n for n in names if n)


def base_url(env: Mapping[str, str] | None = None) -> str:
    """``$BUURTDEKKING_PUBLIC_URL``; else this request's scheme and host when its host is allowed; else ""."""
    env = os.environ if env is None else env
    configured = (env.get(PUBLIC_URL_ENV) or "").strip()
    if configured:
        return configured.rstrip("/")
    request = flask.request
    bind = str(flask.current_app.config.get(BIND_HOST_KEY, ""))
    name = hostname(request.host)
    if name is not None and name in allowed_hosts(env, bind_host=bind):
        return f"{request.scheme}://{request.host}"
    return ""
