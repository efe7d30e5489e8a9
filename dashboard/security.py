"""Access and hardening of the app's Flask server: optional login, secret key, security headers, no debug mode.

Configured by the server's settings (dashboard/settings.py, read once from the environment; documented in
docs/CONFIGURATION.md and docs/DEPLOY.md):

- ``BUURTDEKKING_AUTH``: ``none`` (default), ``basic`` or ``proxy``.
- ``basic``: ``BUURTDEKKING_AUTH_USERS`` = ``name:hash[,name:hash…]`` (hashes from
  ``werkzeug.security.generate_password_hash``) and/or ``BUURTDEKKING_AUTH_USERS_FILE`` (one ``name:hash`` a line).
- ``proxy``: trust the authenticated user a reverse proxy puts in ``BUURTDEKKING_AUTH_HEADER`` (default
  ``X-Forwarded-User``); with ``BUURTDEKKING_PROXY_SECRET`` set, the proxy must also send that value in
  ``X-Buurtdekking-Proxy-Secret`` so that a request that bypasses the proxy is refused.
- ``BUURTDEKKING_SECRET_KEY``: signs the session cookie. Unset: a random key kept in the session directory
  (shared by the workers of one machine; set it explicitly when several machines serve the app, as
  ``BUURTDEKKING_REDIS`` requires).
- ``BUURTDEKKING_SECURE_COOKIE=1``: cookies only over HTTPS, plus Strict-Transport-Security.

When login is configured, every route — pages, ``/assets/``, ``/_dash-*`` callbacks and downloads — needs it:
the check is a ``before_request`` hook on the whole server, not on selected views.
"""

from __future__ import annotations

import base64
import functools
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import flask
from werkzeug.datastructures import Headers
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard import logs
from dashboard.errors import ConfigError
from dashboard.logs import pseudonym
from dashboard.ratelimit import AttemptStore, LoginLimiter, client_address, limiter_at
from dashboard.session import SID_KEY, current_sid, private_dir
from dashboard.settings import AppSettings

if TYPE_CHECKING:
    from dash import Dash

PROXY_SECRET_HEADER = "X-Buurtdekking-Proxy-Secret"
REALM = "buurtdekking"
LOGIN_KEY = "login"  # in the signed session: the pseudonym of the account this browser logged in to


@dataclass(frozen=True)
class SecuritySettings:
    auth: str = "none"
    users: Mapping[str, str] = field(default_factory=dict)
    user_header: str = "X-Forwarded-User"
    proxy_secret: str = ""
    secure_cookie: bool = False
    tile_origin: str = ""


def security_settings(settings: AppSettings) -> SecuritySettings:
    """The login and header part of the server's settings, with the tile server's origin for the CSP."""
    tile = settings.tile_url or ""
    parts = urlsplit(tile.replace("{", "").replace("}", "")) if tile else None
    return SecuritySettings(
        auth=settings.auth,
        users=dict(settings.users),
        user_header=settings.user_header,
        proxy_secret=settings.proxy_secret,
        secure_cookie=settings.secure_cookie,
        tile_origin=f"{parts.scheme}://{parts.netloc}" if parts and parts.scheme in ("http", "https") else "",
    )


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown users so that the response time does not tell."""
    return generate_password_hash(secrets.token_hex(16))


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(name, password) from a Basic Authorization header; None when there is none or it cannot be read."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return name, password


def check_basic(settings: SecuritySettings, header: str | None) -> str | None:
    """The user name when the Authorization header holds a known user and the right password, else None."""
    credentials = basic_credentials(header)
    if credentials is None:
        return None
    name, password = credentials
    hashed = settings.users.get(name)
    ok = check_password_hash(hashed or _dummy_hash(), password)
    return name if hashed and ok else None


def check_proxy(settings: SecuritySettings, headers: Headers | Mapping[str, str]) -> str | None:
    """The user the proxy vouches for, when the proxy (and its shared secret, if configured) is there."""
    if settings.proxy_secret and not hmac.compare_digest(headers.get(PROXY_SECRET_HEADER, ""), settings.proxy_secret):
        return None
    user = (headers.get(settings.user_header) or "").strip()
    return user or None


def _unauthorised(settings: SecuritySettings) -> flask.Response:
    body = "Inloggen vereist / login required\n"
    response = flask.Response(body, status=401, mimetype="text/plain")
    if settings.auth == "basic":
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _too_many(seconds: int) -> flask.Response:
    """429 for an attempt during a back-off: the same for every account, known or not (no WWW-Authenticate, so
    that the browser shows this text instead of asking again)."""
    body = (
        f"Te veel mislukte inlogpogingen; probeer het over {seconds} seconden opnieuw.\n"
        f"Too many failed login attempts; try again in {seconds} seconds.\n"
    )
    response = flask.Response(body, status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(seconds)
    return response


def _basic_login(settings: SecuritySettings, limiter: LoginLimiter) -> flask.Response | None:
    """Check the Basic credentials under the back-off of dashboard/ratelimit.py; None when the request may pass."""
    request = flask.request
    header = request.headers.get("Authorization")
    if not header:
        return _unauthorised(settings)  # a browser's first request: not an attempt
    credentials = basic_credentials(header)
    client = pseudonym(
        client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), limiter.settings.trusted_proxies)
    )
    account = pseudonym(credentials[0] if credentials else "")
    sid = flask.session.get(SID_KEY)
    session = pseudonym(sid) if isinstance(sid, str) and sid else ""
    wait = limiter.retry_after(account=account, client=client, session=session)
    if wait:
        logs.event("login_wait", level=logging.DEBUG, client=client, retry_after_s=wait)
        return _too_many(wait)
    user = check_basic(settings, header)
    if user is None:
        for trip in limiter.failed(account=account, client=client, session=session):
            logs.login_limited(scope=trip.scope, who=trip.key, retry_after=trip.retry_after)
        logs.login_failed(user=account, client=client)
        if LOGIN_KEY in flask.session:
            del flask.session[LOGIN_KEY]
        return _unauthorised(settings)
    if flask.session.get(LOGIN_KEY) != account:
        limiter.logged_in(account=account, session=pseudonym(current_sid()))
        flask.session[LOGIN_KEY] = account
        logs.login_ok(user=account, client=client)
    flask.g.user = user
    return None


def content_security_policy(app: Dash, settings: SecuritySettings) -> str:
    """Only our own origin, plus what Dash and Plotly need.

    - scripts: 'self' and the hashes of Dash's own inline scripts (``app.csp_hashes()``), no 'unsafe-inline';
    - styles: React and Plotly set style attributes and inject <style> elements, so 'unsafe-inline' for styles;
    - workers: MapLibre (Plotly's map traces) starts its workers from blob: URLs;
    - images/fonts: data: and blob: for Plotly's rendered images and the map's sprites; tiles from the
      configured tile server only.
    """
    scripts = " ".join(["'self'", *app.csp_hashes()])  # the hashes come quoted: 'sha256-…'
    tiles = f" {settings.tile_origin}" if settings.tile_origin else ""
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob:{tiles}",
        "font-src": "'self' data:",
        "connect-src": f"'self'{tiles}",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def secure_app(app: Dash, app_settings: AppSettings, attempts: AttemptStore | None = None) -> SecuritySettings:
    """Install login (when configured), security headers and cookie settings on ``app.server``.

    ``attempts`` keeps the login back-off (shared by several hosts with Redis); by default SQLite on this machine.
    """
    settings = security_settings(app_settings)
    server = app.server
    if server.debug or app_settings.debug:
        raise ConfigError(
            "debugmodus staat aan (DASH_DEBUG/FLASK_DEBUG); nooit in productie / debug mode is on; never in production"
        )
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookie,
        SESSION_COOKIE_NAME="buurtdekking_sessie",
    )
    csp: list[str] = []
    prefix = app.config.routes_pathname_prefix
    private_paths = (f"{prefix}_dash-update-component", f"{prefix}download/")

    limiter = (
        limiter_at(private_dir(app_settings.session_dir), app_settings.limits, store=attempts)
        if settings.auth == "basic"
        else None
    )
    server.extensions["buurtdekking_login_limiter"] = limiter

    def _require_login() -> flask.Response | None:
        if settings.auth == "none":
            return None
        if limiter is not None:
            return _basic_login(settings, limiter)
        user = check_proxy(settings, flask.request.headers)
        client = pseudonym(flask.request.remote_addr or "unknown")
        if user is None:
            logs.proxy_refused(client=client)
            return _unauthorised(settings)
        account = pseudonym(user)
        if flask.session.get(LOGIN_KEY) != account:
            flask.session[LOGIN_KEY] = account
            logs.login_ok(user=account, client=client)
        flask.g.user = user
        return None

    def _headers(response: flask.Response) -> flask.Response:
        if not csp:  # after the first request: every page and clientside callback is registered by then
            csp.append(content_security_policy(app, settings))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp[0])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if settings.secure_cookie:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        path = flask.request.path
        if response.status_code >= 400:
            # An error is about this request only: no cache may keep it (nor the year-long caching that the
            # fingerprinted URL of a bundle would otherwise get).
            headers["Cache-Control"] = "no-store"
            headers.pop("ETag", None)
            headers.pop("Last-Modified", None)
            headers.pop("Expires", None)
        elif path.startswith(private_paths):
            # Protected values and a user's uploads must not linger in any cache.
            headers["Cache-Control"] = "private, no-store"
        elif settings.auth != "none":
            # Behind a login no shared cache may keep a copy (the browser's own cache may).
            cache = headers.get("Cache-Control", "")
            headers["Cache-Control"] = cache.replace("public", "private") if "public" in cache else "private, no-cache"
        if settings.auth != "none":
            headers.add("Vary", "Authorization" if settings.auth == "basic" else settings.user_header)
        return response

    server.before_request(_require_login)
    server.after_request(_headers)
    return settings


def harden(app: Dash, settings: AppSettings, attempts: AttemptStore | None = None) -> SecuritySettings:
    """Logging, login and security headers on a given app; called first, so that their hooks run first and last."""
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    logs.quiet_server_errors(app.server)
    return secure_app(app, settings, attempts=attempts)
