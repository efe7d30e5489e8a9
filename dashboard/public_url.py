"""The app's own address in the permalinks of exports: the configured one, or a Host header on the allow-list.

Never the Host of the request as such: anyone can send ``Host: evil.example``, and the link would then lead a
reader of the exported file to the attacker's site. Without ``BUURTDEKKING_PUBLIC_URL`` and with an unlisted
Host the permalink is relative (``/tabel?…``): still the view, on whatever address the reader uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import flask

from dashboard.paths import app_settings
from dashboard.settings import DEFAULT_HOSTS

BIND_HOST_KEY = "BUURTDEKKING_BIND_HOST"  # server config: the host `buurtdekking serve --host` listens on
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


def allowed_hosts(listed: Sequence[str] = DEFAULT_HOSTS, *, bind_host: str = "") -> frozenset[str]:
    """The host names of ``listed`` (AppSettings.allowed_hosts) and of the address ``serve`` listens on."""
    names = {hostname(_bracketed(h.strip())) for h in (listed or DEFAULT_HOSTS) if h.strip()}
    if bind_host.strip() not in _ANY:
        names.add(hostname(_bracketed(bind_host.strip())))
    return frozenset(n for n in names if n)


def base_url() -> str:
    """The configured public URL; else this request's scheme and host when its host is allowed; else ""."""
    settings = app_settings()
    if settings.public_url:
        return settings.public_url
    request = flask.request
    bind = str(flask.current_app.config.get(BIND_HOST_KEY, ""))
    name = hostname(request.host)
    if name is not None and name in allowed_hosts(settings.allowed_hosts, bind_host=bind):
        return f"{request.scheme}://{request.host}"
    return ""
