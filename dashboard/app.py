"""create_app(atlas_dir) → the Dash app (Dash Pages); ``server`` is the Flask app for gunicorn."""

from __future__ import annotations

import os
from pathlib import Path

import dash
from dash import Dash, dcc, html
from flask_compress import Compress

from dashboard import ids
from dashboard.i18n import aria, t
from etl import config

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = Path(os.environ.get("BUURTDEKKING_ASSETS", config.REPO_ROOT / "assets"))
ATLAS_CONFIG_KEY = "BUURTDEKKING_ATLAS"


def _shell() -> html.Div:
    return html.Div(
        className="shell",
        children=[
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            html.A("Naar de inhoud / skip to content", href="#main", className="skip-link"),
            html.Header(
                className="site-header",
                children=[
                    html.Img(src=dash.get_asset_url("logo.svg"), alt="", className="logo", width=36, height=36),
                    html.Div(
                        [html.H1(t("app_title"), className="site-title"),
                         html.P("Gemeente Utrecht · jeugd en gezin", className="site-subtitle")]
                    ),
                    html.Nav(
                        [dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
                         for page in dash.page_registry.values()],
                        className="site-nav",
                        **aria(label="Hoofdmenu"),
                    ),
                ],
            ),
            html.Main(dash.page_container, id="main", className="site-main"),
            html.Footer(t("source"), className="site-footer"),
        ],
    )


def create_app(atlas_dir: str | os.PathLike[str]) -> Dash:
    """A fresh app serving the atlas in ``atlas_dir``; every asset comes from our own assets folder."""
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PACKAGE_DIR / "pages"),
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        title=t("app_title"),
        update_title="",
        suppress_callback_exceptions=True,
    )
    app.server.config[ATLAS_CONFIG_KEY] = str(Path(atlas_dir).resolve())
    Compress(app.server)
    app.index_string = app.index_string.replace("<html>", '<html lang="nl">')
    app.layout = _shell
    return app
