"""WSGI entry for production: `gunicorn dashboard.wsgi:server` (settings, the atlas store among them, read once here)."""

from __future__ import annotations

import contextlib

from dashboard.app import create_app
from dashboard.errors import ConfigError
from dashboard.settings import AppSettings
from geodata.errors import InputError
from views.data import get_view

try:
    settings = AppSettings.from_environ()
    store = settings.etl.store_url or str(settings.etl.atlas_dir)
    app = create_app(store, settings=settings)
except ConfigError as exc:
    # A bad server setting: its message, not a traceback, and (under gunicorn) stop instead of rebooting workers.
    try:
        from gunicorn.errors import AppImportError
    except ImportError:  # another WSGI server
        raise SystemExit(f"buurtdekking: {exc}") from None
    raise AppImportError(f"buurtdekking: {exc}") from None
server = app.server

# Each worker reads the atlas (and simplifies its geometry) while it boots, not on a user's first request.
# Without an atlas the pages say how to build one.
with contextlib.suppress(InputError):
    get_view(store)
