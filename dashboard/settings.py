"""The server's settings: every variable read and checked once (wsgi, ``buurtdekking serve``), then passed down."""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dashboard.errors import ConfigError
from dashboard.ratelimit import IPNetwork, LimitSettings
from etl import config
from etl.settings import EtlSettings, Variable
from geodata.errors import InputError

AUTH_MODES = ("none", "basic", "proxy")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
REDIS_SCHEMES = ("redis", "rediss", "unix")
_REDIS_DB_PATH = re.compile(r"^(/[0-9]{0,5})?$")
DEFAULT_HOSTS = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_TTL_S = 8 * 3600
DEFAULT_UPLOAD_MB = 10.0
DEFAULT_UPLOAD_ROWS = 50_000
DEFAULT_UPLOAD_COLUMNS = 60
DEFAULT_USER_HEADER = "X-Forwarded-User"
_TRUE = {"1", "true", "yes", "ja", "on"}

SECURITY, SESSIONS, MAP, DEVELOPMENT = "security", "sessions", "map", "development"
APP_VARIABLES: tuple[Variable, ...] = (
    Variable("BUURTDEKKING_ASSETS", "`assets/` in the repository", "the app's static files", "data"),
    Variable(
        "BUURTDEKKING_URL_PREFIX",
        "`/`",
        "the sub-path the app is served under behind a reverse proxy that passes that path on (`/jeugd/`): every "
        "page, asset, callback, download and the login live under it, everything outside it is 404; a leading and "
        "a trailing slash are added when missing; `serve --url-prefix` wins",
        "data",
    ),
    Variable(
        "BUURTDEKKING_TILE_URL",
        "unset: no basemap (nothing is fetched from outside)",
        "an XYZ raster tile template (http or https) for a basemap under the data. Its host is added to the "
        "Content-Security-Policy's images",
        MAP,
    ),
    Variable("BUURTDEKKING_TILE_ATTRIBUTION", "empty", "the attribution text of that basemap", MAP),
    Variable(
        "BUURTDEKKING_UPLOAD_MAX_MB",
        f"{DEFAULT_UPLOAD_MB:g}",
        "largest upload in MB (past it `UPLOAD_TOO_LARGE`)",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_UPLOAD_MAX_ROWS",
        f"{DEFAULT_UPLOAD_ROWS:,}",
        "most data rows of an upload (`TABLE_TOO_MANY_ROWS`)",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_UPLOAD_MAX_COLUMNS",
        f"{DEFAULT_UPLOAD_COLUMNS}",
        "most columns of an upload (`TABLE_TOO_MANY_COLUMNS`)",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_SESSION_DIR",
        "`/tmp/buurtdekking-sessions-<uid>`",
        "where uploads and the login counts are kept (mode 0700)",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_SESSION_TTL",
        f"{DEFAULT_TTL_S:,} (8 hours)",
        "seconds after which an idle session is removed",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_REDIS",
        "unset: sessions on disk",
        "a Redis server for the sessions of several machines: `redis://`, `rediss://` (TLS) or `unix://` (a socket)",
        SESSIONS,
    ),
    Variable(
        "BUURTDEKKING_SECRET_KEY",
        "a random key created once in the session directory (mode 0600)",
        "signs the session cookie; the gunicorn workers of one machine share the generated key; set it when several "
        "machines serve the app",
        SECURITY,
    ),
    Variable("BUURTDEKKING_AUTH", "`none`", "`none`, `basic` or `proxy`", SECURITY),
    Variable(
        "BUURTDEKKING_AUTH_USERS",
        "empty",
        "`basic`: `name:hash` pairs, comma-separated; make a hash with "
        "`python -c \"from werkzeug.security import generate_password_hash as g; print(g('…'))\"`; plain passwords "
        "are refused",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_AUTH_USERS_FILE", "unset", "`basic`: a file with one `name:hash` a line (`#` comments)", SECURITY
    ),
    Variable(
        "BUURTDEKKING_AUTH_HEADER",
        f"`{DEFAULT_USER_HEADER}`",
        "`proxy`: the header in which the reverse proxy puts the authenticated user",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_PROXY_SECRET",
        "empty",
        "`proxy`: a shared secret the proxy also sends as `X-Buurtdekking-Proxy-Secret`, so that a request that "
        "bypasses the proxy is refused",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_SECURE_COOKIE",
        "off",
        "`1` behind HTTPS: cookies only over HTTPS, plus Strict-Transport-Security",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_PUBLIC_URL",
        "unset (`buurtdekking export`: `http://127.0.0.1:8050`)",
        "the address users type (`https://dekking.example.nl`), for the permalinks in exports; set it in production",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_ALLOWED_HOSTS",
        "`127.0.0.1,localhost,::1`, plus the `--host` of `buurtdekking serve`",
        "without a public URL: the `Host` names a permalink may use (comma-separated). Any other `Host` gives a "
        "relative link (`/tabel?…`), never `http://evil.example/…`",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_LOGIN_ATTEMPTS",
        f"{LimitSettings.account_attempts}",
        "`basic`: wrong passwords per account before the back-off begins",
        SECURITY,
    ),
    Variable(
        "BUURTDEKKING_LOGIN_CLIENT_ATTEMPTS",
        f"{LimitSettings.client_attempts}",
        "`basic`: wrong passwords per client address, whatever the accounts, before it begins",
        SECURITY,
    ),
    Variable("BUURTDEKKING_LOGIN_MAX_WAIT", f"{LimitSettings.max_s}", "`basic`: longest wait in seconds", SECURITY),
    Variable(
        "BUURTDEKKING_TRUSTED_PROXIES",
        "unset",
        "addresses or networks of your reverse proxies (`127.0.0.1,10.0.0.0/8`). Only a request *from* one of them "
        "has its client taken from `X-Forwarded-For` (the last hop that is not a proxy); otherwise that header is "
        "ignored, so nobody escapes the limit by inventing addresses. Unset behind a proxy: all users count as one "
        "client (the proxy)",
        SECURITY,
    ),
    Variable("BUURTDEKKING_LOG_LEVEL", "`INFO`", "`DEBUG`, `INFO`, `WARNING` or `ERROR`", SECURITY),
    Variable("BUURTDEKKING_LOG_FORMAT", "`text`", "`text` or `json` (one object a line)", SECURITY),
    Variable(
        "DASH_DEBUG",
        "unset",
        "set (`1`, `true`, `yes`, `ja`, `on`): the app refuses to start; debug mode is never used in production",
        DEVELOPMENT,
    ),
    Variable("FLASK_DEBUG", "unset", "the same as `DASH_DEBUG`", DEVELOPMENT),
)


_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def _refuse(name: str, value: str, nl: str, en: str) -> ConfigError:
    return ConfigError(f"{name}={value[:240]!r}: {nl} / {en}")


def _truthy(value: str) -> bool:
    return value.strip().lower() in _TRUE


def parse_users(text: str, *, source: str) -> dict[str, str]:
    """``name:hash`` pairs (comma- or line-separated, ``#`` comments); a plain password is refused."""
    users: dict[str, str] = {}
    for n, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if not sep or not name or not hashed:
            raise ConfigError(f"{source}, regel/line {n}: verwacht 'naam:hash' / expected 'name:hash'")
        if not hashed.startswith(("scrypt:", "pbkdf2:")):
            raise ConfigError(
                f"{source}, regel/line {n}: het wachtwoord van '{name}' is geen hash; maak er een met / the password of "
                f"'{name}' is not a hash; make one with: python -c \"from werkzeug.security import generate_password_hash as g; print(g('…'))\""
            )
        users[name] = hashed
    return users


def _whole(env: Mapping[str, str], name: str, default: int, *, high: int = 10**6) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= high:
        raise ConfigError(
            f"{name}={raw!r}: geef een geheel getal van 1 tot {high} / give a whole number from 1 to {high}"
        )
    return int(raw)


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...], *, upper: bool) -> str:
    raw = env.get(name) or default
    value = raw.strip().upper() if upper else raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r}: kies / choose {', '.join(choices)}")
    return value


def _log_choice(
    env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...], what: tuple[str, str]
) -> str:
    raw = env.get(name) or default
    value = raw.strip().upper() if name.endswith("LEVEL") else raw.strip().lower()
    if value not in choices:
        nl_join, en_join = (", ", ", ") if len(choices) > 2 else (" of ", " or ")
        raise ConfigError(
            f"{name}={raw[:40]!r} is geen {what[0]}; kies {nl_join.join(choices)} / "
            f"is not a {what[1]}; choose {en_join.join(choices)}"
        )
    return value


def _upload_count(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw) if name.endswith("_MB") else int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw[:40]!r}: geen getal / not a number") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw[:40]!r}: moet groter dan 0 zijn / must be greater than 0")
    return value


def _proxies(env: Mapping[str, str]) -> tuple[IPNetwork, ...]:
    name = "BUURTDEKKING_TRUSTED_PROXIES"
    found = []
    for part in (env.get(name) or "").replace(";", ",").split(","):
        if part.strip():
            try:
                found.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"{name}: '{part.strip()}' is geen IP-adres of netwerk / is not an IP address or network"
                ) from None
    return tuple(found)


def _tile_url(env: Mapping[str, str]) -> str | None:
    name, raw = "BUURTDEKKING_TILE_URL", (env.get("BUURTDEKKING_TILE_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse(name, raw, "geef een http(s)-adres met {z}/{x}/{y}", "give an http(s) address with {z}/{x}/{y}")
    return raw


def public_url(env: Mapping[str, str] | None = None) -> str:
    """BUURTDEKKING_PUBLIC_URL without its trailing slash; "" when unset (also for ``buurtdekking export``)."""
    env = os.environ if env is None else env
    name, raw = "BUURTDEKKING_PUBLIC_URL", (env.get("BUURTDEKKING_PUBLIC_URL") or "").strip()
    if raw and (urlsplit(raw).scheme not in ("http", "https") or not urlsplit(raw).netloc):
        raise _refuse(name, raw, "geef een http://- of https://-adres", "give an http:// or https:// address")
    return raw.rstrip("/")


def _redis_url(env: Mapping[str, str]) -> str | None:
    name, raw = "BUURTDEKKING_REDIS", (env.get("BUURTDEKKING_REDIS") or "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        if parts.scheme == "unix":
            ok = bool(parts.path)
        else:  # redis-py would quietly take database 0 for a path that is not a number
            ok = parts.scheme in REDIS_SCHEMES and bool(parts.hostname) and bool(_REDIS_DB_PATH.match(parts.path))
            _ = parts.port  # a port that is not a number raises here
    except ValueError:
        ok = False
    if not ok:
        raise _refuse(
            name,
            redacted(raw),
            "geen Redis-adres; verwacht redis://host:poort/db, rediss://… of unix://pad",
            "not a Redis address; expected redis://host:port/db, rediss://… or unix://path",
        )
    if not (env.get("BUURTDEKKING_SECRET_KEY") or ""):
        secret = "BUURTDEKKING_SECRET_KEY"
        raise ConfigError(
            f"{name} is gezet maar {secret} niet: alle servers moeten dezelfde sleutel hebben; zet {secret}"
            f" / {name} is set but {secret} is not: every host must have the same key; set {secret}"
        )
    return raw


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return "…"
    return url if password is None else url.replace(f":{password}@", ":***@", 1)


def normalise_prefix(raw: str, *, source: str = "BUURTDEKKING_URL_PREFIX") -> str:
    """A URL sub-path with one leading and one trailing slash (``jeugd`` → ``/jeugd/``; empty → ``/``).

    Only segments a proxy passes on unchanged: no query, fragment, percent-escape, dot-segment or empty segment.
    """
    name, text = source, raw.strip()
    inner = text.strip("/")
    segments = inner.split("/") if inner else []
    if any(not _SEGMENT.fullmatch(s) or not s.strip(".") for s in segments):
        raise _refuse(
            name,
            raw,
            "geef een pad zoals /jeugd/ (alleen letters, cijfers, '-', '_', '.', '~' tussen de '/')",
            "give a path such as /jeugd/ (only letters, digits, '-', '_', '.', '~' between the '/')",
        )
    return "/" + "".join(f"{s}/" for s in segments)


def default_session_dir() -> Path:
    """The session directory without BUURTDEKKING_SESSION_DIR: per user, in the temp directory."""
    return Path(tempfile.gettempdir()) / f"buurtdekking-sessions-{os.getuid()}"


@dataclass(frozen=True)
class AppSettings:
    """Everything the server reads from its environment, checked: a bad value stopped it before this exists."""

    etl: EtlSettings
    auth: str = "none"
    # Secrets stay out of the repr, so that a logged or printed settings object shows none.
    users: Mapping[str, str] = field(default_factory=dict, repr=False)
    user_header: str = DEFAULT_USER_HEADER
    proxy_secret: str = field(default="", repr=False)
    secure_cookie: bool = False
    secret_key: str = field(default="", repr=False)
    limits: LimitSettings = field(default_factory=LimitSettings)
    upload_max_bytes: int = int(DEFAULT_UPLOAD_MB * 1024 * 1024)
    upload_max_rows: int = DEFAULT_UPLOAD_ROWS
    upload_max_columns: int = DEFAULT_UPLOAD_COLUMNS
    session_dir: Path = field(default_factory=default_session_dir)
    session_ttl_s: int = DEFAULT_TTL_S
    redis_url: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    tile_url: str | None = None
    tile_attribution: str = ""
    public_url: str = ""
    allowed_hosts: tuple[str, ...] = DEFAULT_HOSTS
    assets_dir: Path = config.REPO_ROOT / "assets"
    url_prefix: str = "/"
    debug: bool = False

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None, *, etl: EtlSettings | None = None) -> AppSettings:
        """Every server variable of ``env`` (the process environment when None); ConfigError names a bad one.

        ``etl``: the ETL's settings when the caller already read them (``buurtdekking serve``)."""
        env = os.environ if env is None else env
        try:
            etl = EtlSettings.from_environ(env) if etl is None else etl
        except InputError as exc:
            raise ConfigError("; ".join(f"{p.nl} / {p.en}" for p in exc.problems)) from None
        auth = _choice(env, "BUURTDEKKING_AUTH", "none", AUTH_MODES, upper=False)
        users: dict[str, str] = {}
        if env.get("BUURTDEKKING_AUTH_USERS"):
            users.update(parse_users(env["BUURTDEKKING_AUTH_USERS"], source="BUURTDEKKING_AUTH_USERS"))
        if env.get("BUURTDEKKING_AUTH_USERS_FILE"):
            path = Path(env["BUURTDEKKING_AUTH_USERS_FILE"])
            if not path.is_file():
                raise ConfigError(f"BUURTDEKKING_AUTH_USERS_FILE: '{path}' bestaat niet / does not exist")
            users.update(parse_users(path.read_text(encoding="utf-8"), source=str(path)))
        if auth == "basic" and not users:
            raise ConfigError(
                "BUURTDEKKING_AUTH=basic zonder gebruikers / without users: zet / set BUURTDEKKING_AUTH_USERS"
            )
        hosts = [h.strip() for h in (env.get("BUURTDEKKING_ALLOWED_HOSTS") or "").split(",") if h.strip()]
        assets = (env.get("BUURTDEKKING_ASSETS") or "").strip()
        session_dir = (env.get("BUURTDEKKING_SESSION_DIR") or "").strip()
        return cls(
            etl=etl,
            auth=auth,
            users=users,
            user_header=(env.get("BUURTDEKKING_AUTH_HEADER") or DEFAULT_USER_HEADER).strip(),
            proxy_secret=env.get("BUURTDEKKING_PROXY_SECRET", ""),
            secure_cookie=_truthy(env.get("BUURTDEKKING_SECURE_COOKIE") or ""),
            secret_key=env.get("BUURTDEKKING_SECRET_KEY") or "",
            limits=LimitSettings(
                account_attempts=_whole(env, "BUURTDEKKING_LOGIN_ATTEMPTS", LimitSettings.account_attempts),
                client_attempts=_whole(env, "BUURTDEKKING_LOGIN_CLIENT_ATTEMPTS", LimitSettings.client_attempts),
                max_s=_whole(env, "BUURTDEKKING_LOGIN_MAX_WAIT", LimitSettings.max_s),
                trusted_proxies=_proxies(env),
            ),
            upload_max_bytes=int(_upload_count(env, "BUURTDEKKING_UPLOAD_MAX_MB", DEFAULT_UPLOAD_MB) * 1024 * 1024),
            upload_max_rows=int(_upload_count(env, "BUURTDEKKING_UPLOAD_MAX_ROWS", DEFAULT_UPLOAD_ROWS)),
            upload_max_columns=int(_upload_count(env, "BUURTDEKKING_UPLOAD_MAX_COLUMNS", DEFAULT_UPLOAD_COLUMNS)),
            session_dir=Path(session_dir) if session_dir else default_session_dir(),
            session_ttl_s=_whole(env, "BUURTDEKKING_SESSION_TTL", DEFAULT_TTL_S, high=10**8),
            redis_url=_redis_url(env),
            log_level=_log_choice(env, "BUURTDEKKING_LOG_LEVEL", "INFO", LOG_LEVELS, ("logniveau", "log level")),
            log_format=_log_choice(env, "BUURTDEKKING_LOG_FORMAT", "text", LOG_FORMATS, ("logformaat", "log format")),
            tile_url=_tile_url(env),
            tile_attribution=env.get("BUURTDEKKING_TILE_ATTRIBUTION", ""),
            public_url=public_url(env),
            allowed_hosts=tuple(hosts) or DEFAULT_HOSTS,
            assets_dir=Path(assets) if assets else config.REPO_ROOT / "assets",
            url_prefix=normalise_prefix(env.get("BUURTDEKKING_URL_PREFIX") or ""),
            debug=_truthy(env.get("DASH_DEBUG") or "") or _truthy(env.get("FLASK_DEBUG") or ""),
        )
