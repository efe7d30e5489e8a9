"""Dash-free views of the atlas: what the app and the reports both show (indicators, values, figures, i18n)."""
