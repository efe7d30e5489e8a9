"""The one error of the app's own settings: a server variable in the environment that cannot be used."""

from __future__ import annotations


class ConfigError(RuntimeError):
    """The security settings in the environment are contradictory or incomplete; the app refuses to start."""
