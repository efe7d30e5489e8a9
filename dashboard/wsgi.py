"""WSGI entry for production: `gunicorn dashboard.wsgi:server` (atlas from $BUURTDEKKING_ATLAS)."""

from __future__ import annotations

from dashboard.app import create_app
from etl import config

app = create_app(config.atlas_dir())
server = app.server
