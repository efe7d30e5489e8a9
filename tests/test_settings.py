"""The settings objects: parsing, defaults, one message per bad value, the generated docs, and nobody else reading env."""

from __future__ import annotations

import ast
import ipaddress
import re
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from dashboard.errors import ConfigError
from dashboard.settings import APP_VARIABLES, AppSettings, default_session_dir, normalise_prefix
from dashboard.settings_docs import REGENERATE, render_markdown
from etl import config
from etl.settings import ETL_VARIABLES, EtlSettings, default_cache_dir
from geodata.errors import InputError
from geodata.geocode import PDOK_FREE_URL

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geodata", "etl", "views", "reports", "dashboard", "cli")
SETTINGS_MODULES = {"etl/settings.py", "dashboard/settings.py"}
ENV_NAME = re.compile(r"^(BUURTDEKKING_[A-Z0-9_]+|DASH_DEBUG|FLASK_DEBUG|XDG_CACHE_HOME)$")


# ---------------------------------------------------------------- EtlSettings


def test_etl_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = EtlSettings.from_environ({})
    assert settings.data_dir == config.data_dir()
    assert settings.atlas_dir == tmp_path / "atlas"
    assert settings.cache_dir == default_cache_dir()
    assert settings.geocode_cache == Path.home() / ".cache" / "buurtdekking" / "pdok-locatieserver.json"
    assert settings.pdok_url == PDOK_FREE_URL
    assert settings.store_url is None


def test_etl_values(tmp_path: Path) -> None:
    settings = EtlSettings.from_environ(
        {
            "BUURTDEKKING_DATA": "/srv/data",
            "BUURTDEKKING_ATLAS": "/srv/atlas",
            "BUURTDEKKING_CACHE": "/var/cache/bd",
            "XDG_CACHE_HOME": "/home/planner/.c",
            "BUURTDEKKING_PDOK_URL": "http://127.0.0.1:9999/free",
            "BUURTDEKKING_STORE": " postgresql://planner@db.example/atlas ",
        }
    )
    assert settings == EtlSettings(
        data_dir=Path("/srv/data"),
        atlas_dir=Path("/srv/atlas"),
        cache_dir=Path("/var/cache/bd"),
        geocode_cache=Path("/home/planner/.c/buurtdekking/pdok-locatieserver.json"),
        pdok_url="http://127.0.0.1:9999/free",
        store_url="postgresql://planner@db.example/atlas",
    )


@pytest.mark.parametrize("value", ["postgres://db/atlas", "postgresql:///atlas", "/srv/atlases", "relative/dir"])
def test_store_accepts_a_directory_or_a_postgis_url(value: str) -> None:
    assert EtlSettings.from_environ({"BUURTDEKKING_STORE": value}).store_url == value


def test_store_of_an_existing_directory(tmp_path: Path) -> None:
    assert EtlSettings.from_environ({"BUURTDEKKING_STORE": str(tmp_path)}).store_url == str(tmp_path)


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        ("sqlite:///atlas.db", "alleen een map of een URL met postgresql of postgres://", "only a directory or a URL"),
        ("https://db.example/atlas", "alleen een map", "only a directory"),
        ("postgresql://", "noemt geen server of database", "names no server or database"),
        ("FILE", "dit is een bestand, geen map", "this is a file, not a directory"),
    ],
)
def test_a_bad_store_names_the_variable_in_dutch_and_english(tmp_path: Path, value: str, nl: str, en: str) -> None:
    if value == "FILE":
        value = str(tmp_path / "atlas.gpkg")
        Path(value).write_text("x")
    with pytest.raises(InputError) as err:
        EtlSettings.from_environ({"BUURTDEKKING_STORE": value})
    (problem,) = err.value.problems
    assert problem.code == "SETTING_INVALID"
    assert problem.column == "BUURTDEKKING_STORE"
    assert problem.nl.startswith(f"BUURTDEKKING_STORE={value!r}: ")
    assert nl in problem.nl
    assert problem.en.startswith(f"BUURTDEKKING_STORE={value!r}: ")
    assert en in problem.en


def test_a_bad_pdok_url_names_the_variable() -> None:
    with pytest.raises(InputError) as err:
        EtlSettings.from_environ({"BUURTDEKKING_PDOK_URL": "ftp://pdok.example"})
    (problem,) = err.value.problems
    assert "BUURTDEKKING_PDOK_URL='ftp://pdok.example'" in problem.nl
    assert "geef een http" in problem.nl
    assert "give an http" in problem.en


# ---------------------------------------------------------------- AppSettings


def test_app_defaults() -> None:
    settings = AppSettings.from_environ({})
    assert (settings.auth, settings.users, settings.user_header, settings.proxy_secret) == (
        "none",
        {},
        "X-Forwarded-User",
        "",
    )
    assert (settings.secure_cookie, settings.secret_key, settings.debug) == (False, "", False)
    assert (settings.limits.account_attempts, settings.limits.client_attempts, settings.limits.max_s) == (5, 20, 900)
    assert settings.limits.trusted_proxies == ()
    assert (settings.upload_max_bytes, settings.upload_max_rows, settings.upload_max_columns) == (
        10 * 1024 * 1024,
        50_000,
        60,
    )
    assert (settings.session_dir, settings.session_ttl_s) == (default_session_dir(), 8 * 3600)
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert (settings.tile_url, settings.tile_attribution, settings.public_url) == (None, "", "")
    assert settings.allowed_hosts == ("127.0.0.1", "localhost", "[::1]")
    assert settings.assets_dir == ROOT / "assets"
    assert (settings.redis_url, settings.url_prefix) == (None, "/")
    assert settings.etl == EtlSettings.from_environ({})


def test_app_values(tmp_path: Path) -> None:
    hashed = generate_password_hash("geheim")
    users = tmp_path / "users"
    users.write_text(f"# planners\nbob:{hashed}\n", encoding="utf-8")
    settings = AppSettings.from_environ(
        {
            "BUURTDEKKING_AUTH": " Basic ",
            "BUURTDEKKING_AUTH_USERS": f"anna:{hashed}",
            "BUURTDEKKING_AUTH_USERS_FILE": str(users),
            "BUURTDEKKING_SECRET_KEY": "k" * 40,
            "BUURTDEKKING_SECURE_COOKIE": "ja",
            "BUURTDEKKING_LOGIN_ATTEMPTS": "3",
            "BUURTDEKKING_LOGIN_CLIENT_ATTEMPTS": "7",
            "BUURTDEKKING_LOGIN_MAX_WAIT": "60",
            "BUURTDEKKING_TRUSTED_PROXIES": "127.0.0.1; 10.0.0.0/8",
            "BUURTDEKKING_UPLOAD_MAX_MB": "2.5",
            "BUURTDEKKING_UPLOAD_MAX_ROWS": "100",
            "BUURTDEKKING_UPLOAD_MAX_COLUMNS": "8",
            "BUURTDEKKING_SESSION_DIR": str(tmp_path / "s"),
            "BUURTDEKKING_SESSION_TTL": "600",
            "BUURTDEKKING_REDIS": "rediss://cache.example:6380/2",
            "BUURTDEKKING_LOG_LEVEL": "debug",
            "BUURTDEKKING_LOG_FORMAT": "JSON",
            "BUURTDEKKING_TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
            "BUURTDEKKING_TILE_ATTRIBUTION": "© tiles",
            "BUURTDEKKING_PUBLIC_URL": "https://dekking.example.nl/",
            "BUURTDEKKING_ALLOWED_HOSTS": "a.example, b.example",
            "BUURTDEKKING_ASSETS": str(tmp_path / "assets"),
            "BUURTDEKKING_URL_PREFIX": "jeugd",
            "FLASK_DEBUG": "1",
            "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
        }
    )
    assert (settings.auth, set(settings.users), settings.secret_key) == ("basic", {"anna", "bob"}, "k" * 40)
    assert settings.secure_cookie
    assert settings.debug
    assert (settings.limits.account_attempts, settings.limits.client_attempts, settings.limits.max_s) == (3, 7, 60)
    assert settings.limits.trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
    )
    assert (settings.upload_max_bytes, settings.upload_max_rows, settings.upload_max_columns) == (2621440, 100, 8)
    assert (settings.session_dir, settings.session_ttl_s) == (tmp_path / "s", 600)
    assert settings.redis_url == "rediss://cache.example:6380/2"
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings.tile_url == "https://tiles.example/{z}/{x}/{y}.png"
    assert settings.public_url == "https://dekking.example.nl"
    assert settings.allowed_hosts == ("a.example", "b.example")
    assert (settings.assets_dir, settings.url_prefix) == (tmp_path / "assets", "/jeugd/")
    assert settings.etl.cache_dir == tmp_path / "cache"


def test_secrets_stay_out_of_the_repr() -> None:
    hashed = generate_password_hash("geheim")
    settings = AppSettings.from_environ(
        {
            "BUURTDEKKING_SECRET_KEY": "topsecret-key",
            "BUURTDEKKING_PROXY_SECRET": "proxy-secret",
            "BUURTDEKKING_AUTH_USERS": f"anna:{hashed}",
        }
    )
    text = repr(settings)
    assert "topsecret-key" not in text
    assert "proxy-secret" not in text
    assert hashed not in text


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [("", "/"), ("/", "/"), ("jeugd", "/jeugd/"), ("/jeugd", "/jeugd/"), ("jeugd/", "/jeugd/"), ("/a/b/", "/a/b/")],
)
def test_url_prefix_gets_one_leading_and_one_trailing_slash(raw: str, prefix: str) -> None:
    assert normalise_prefix(raw) == prefix


@pytest.mark.parametrize("value", ["redis://cache:6379/0", "rediss://cache", "unix:///run/redis.sock"])
def test_redis_urls(value: str) -> None:
    env = {"BUURTDEKKING_REDIS": value, "BUURTDEKKING_SECRET_KEY": "gedeeld"}
    assert AppSettings.from_environ(env).redis_url == value


def test_redis_needs_the_secret_key_every_host_shares() -> None:
    with pytest.raises(ConfigError, match="BUURTDEKKING_SECRET_KEY") as err:
        AppSettings.from_environ({"BUURTDEKKING_REDIS": "redis://cache:6379/0"})
    assert "dezelfde sleutel" in str(err.value)
    assert "the same key" in str(err.value)


# Each bad value, and a Dutch and an English part of its message (besides the variable's name).
BAD_VALUES = [
    ("BUURTDEKKING_AUTH", "ldap", "kies", "choose"),
    ("BUURTDEKKING_AUTH_USERS", "anna:plaintext", "geen hash", "not a hash"),
    ("BUURTDEKKING_AUTH_USERS_FILE", "/nonexistent/users", "bestaat niet", "does not exist"),
    ("BUURTDEKKING_LOGIN_ATTEMPTS", "0", "geheel getal", "whole number"),
    ("BUURTDEKKING_LOGIN_CLIENT_ATTEMPTS", "veel", "geheel getal", "whole number"),
    ("BUURTDEKKING_LOGIN_MAX_WAIT", "²", "geheel getal", "whole number"),
    ("BUURTDEKKING_TRUSTED_PROXIES", "proxy.local", "geen IP-adres", "not an IP address"),
    ("BUURTDEKKING_UPLOAD_MAX_MB", "veel", "geen getal", "not a number"),
    ("BUURTDEKKING_UPLOAD_MAX_ROWS", "0", "groter dan 0", "greater than 0"),
    ("BUURTDEKKING_UPLOAD_MAX_COLUMNS", "-3", "groter dan 0", "greater than 0"),
    ("BUURTDEKKING_SESSION_TTL", "8h", "geheel getal", "whole number"),
    ("BUURTDEKKING_REDIS", "http://cache:6379", "geen Redis-adres", "not a Redis address"),
    ("BUURTDEKKING_REDIS", "redis://", "geen Redis-adres", "not a Redis address"),
    ("BUURTDEKKING_REDIS", "unix://", "geen Redis-adres", "not a Redis address"),
    ("BUURTDEKKING_LOG_LEVEL", "loud", "geen logniveau", "not a log level"),
    ("BUURTDEKKING_LOG_FORMAT", "xml", "geen logformaat", "not a log format"),
    ("BUURTDEKKING_TILE_URL", "tiles.example/{z}/{x}/{y}", "geef een http(s)-adres", "give an http(s) address"),
    ("BUURTDEKKING_PUBLIC_URL", "dekking.example.nl", "geef een http", "give an http"),
    ("BUURTDEKKING_URL_PREFIX", "https://x.example/jeugd/", "geef een pad", "give a path"),
    ("BUURTDEKKING_URL_PREFIX", "/jeugd/../admin", "geef een pad", "give a path"),
    ("BUURTDEKKING_STORE", "mysql://db/atlas", "alleen een map", "only a directory"),
    ("BUURTDEKKING_PDOK_URL", "pdok.example", "geef een http", "give an http"),
]


@pytest.mark.parametrize(("name", "value", "nl", "en"), BAD_VALUES)
def test_each_bad_value_stops_with_its_name_in_dutch_and_english(name: str, value: str, nl: str, en: str) -> None:
    env = {name: value}
    if name == "BUURTDEKKING_AUTH_USERS_FILE":
        env["BUURTDEKKING_AUTH"] = "basic"
    with pytest.raises(ConfigError) as err:
        AppSettings.from_environ(env)
    message = str(err.value)
    assert name in message
    dutch, sep, english = message.partition(" / ")
    assert sep, message
    assert nl in dutch, message
    assert en in english, message


def test_basic_login_without_users_is_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("BUURTDEKKING_AUTH=basic zonder gebruikers / without users")):
        AppSettings.from_environ({"BUURTDEKKING_AUTH": "basic"})


def test_the_command_stops_on_a_bad_etl_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cli.main import main

    monkeypatch.setenv("BUURTDEKKING_STORE", "sqlite:///atlas.db")
    assert main(["whatif", "--atlas", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "BUURTDEKKING_STORE='sqlite:///atlas.db'" in err
    assert "alleen een map" in err
    assert "only a directory" in err


def test_the_export_command_stops_on_a_bad_public_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cli.main import main

    monkeypatch.setenv("BUURTDEKKING_PUBLIC_URL", "dekking.example.nl")
    args = ["export", "--area", "GM0344", "--indicator", "caseload", "--format", "csv", "--atlas", str(tmp_path)]
    assert main(args) == 2
    assert "BUURTDEKKING_PUBLIC_URL='dekking.example.nl'" in capsys.readouterr().err


def test_create_app_uses_the_settings_it_is_given_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from care_grid import care_grid_atlas

    from dashboard.app import create_app

    monkeypatch.delenv("BUURTDEKKING_AUTH", raising=False)
    settings = AppSettings.from_environ(
        {
            "BUURTDEKKING_AUTH": "basic",
            "BUURTDEKKING_AUTH_USERS": "anna:" + generate_password_hash("geheim"),
            "BUURTDEKKING_SESSION_DIR": str(tmp_path / "sessions"),
            "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
        }
    )
    app = create_app(care_grid_atlas(tmp_path / "atlas", threshold=10), settings=settings)
    assert app.server.test_client().get("/").status_code == 401  # the environment says no login; the settings do
    assert (tmp_path / "sessions" / "secret.key").is_file()


# ---------------------------------------------------------------- the tables and the docs


def _names_in_source(path: Path) -> set[str]:
    """The variable names a module spells out as whole string constants (what it reads)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and ENV_NAME.match(n.value)
    }


def test_every_variable_read_is_documented_and_every_documented_one_is_read() -> None:
    read = _names_in_source(ROOT / "etl" / "settings.py") | _names_in_source(ROOT / "dashboard" / "settings.py")
    documented = [v.name for v in (*ETL_VARIABLES, *APP_VARIABLES)]
    assert len(documented) == len(set(documented))
    assert read == set(documented)


def test_configuration_md_is_current() -> None:
    committed = (ROOT / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), f"docs/CONFIGURATION.md is stale: run `make docs` ({REGENERATE})"


# ---------------------------------------------------------------- nobody else reads the environment

_ENV_CALLS = {"environ", "getenv", "putenv", "environb", "unsetenv"}


def environment_uses(source: str) -> list[int]:
    """Lines of ``source`` that touch the process environment through ``os`` (attribute or imported name)."""
    tree = ast.parse(source)
    os_names = {"os"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for a in node.names if a.name in _ENV_CALLS]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _ENV_CALLS
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_environment_check_finds_every_way_in() -> None:
    source = (
        "import os\nimport os as o\nfrom os import getenv\n"
        "a = os.environ.get('X')\nb = o.getenv('Y')\nos.putenv('Z', '1')\nc = os.path.join('a')\n"
    )
    assert environment_uses(source) == [3, 4, 5, 6]


def test_only_the_two_settings_modules_read_the_environment() -> None:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            lines = environment_uses(path.read_text(encoding="utf-8"))
            if lines and rel not in SETTINGS_MODULES:
                found[rel] = lines
    assert found == {}
    assert all(environment_uses((ROOT / rel).read_text(encoding="utf-8")) for rel in SETTINGS_MODULES)
