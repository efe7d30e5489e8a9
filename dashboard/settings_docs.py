"""docs/CONFIGURATION.md, generated from the settings tables: ``python -m dashboard.settings_docs`` (``make docs``)."""

from __future__ import annotations

import sys

from dashboard.settings import APP_VARIABLES
from etl.settings import ETL_VARIABLES, Variable

REGENERATE = "python -m dashboard.settings_docs > docs/CONFIGURATION.md"

INTRO = f"""\
# Configuratie / configuration

<!-- Generated from etl/settings.py and dashboard/settings.py by `make docs`
     (`{REGENERATE}`): edit the tables there, not this file. -->

Everything buurtdekking reads from the environment, with its default. The environment is read once, when the
command or the server starts (`etl.settings.EtlSettings`, `dashboard.settings.AppSettings`), and every value is
checked then: a bad one stops the server, or the command, with the variable's name and value in Dutch and English
(see [docs/DEPLOY.md](DEPLOY.md)). Command-line options of `buurtdekking build`, `validate`, `export` and `serve`
are in the README and `buurtdekking <command> --help`, and win over these variables; Makefile variables (`HOST`,
`PORT`, `ATLAS`, `WORKERS`) can be set on the `make` line (`make run PORT=8080`).
"""

SECTIONS = (
    ("data", "Data en atlas / data and atlas"),
    ("map", "Kaart / map"),
    ("sessions", "Uploads en sessies / uploads and sessions"),
    ("security", "Beveiliging en logging / security and logging"),
    ("development", "Ontwikkelen / development"),
)

# Read by the tests and benchmarks only (never by the app or the command), listed so that one page has them all.
DEVELOPMENT_VARIABLES = (
    Variable(
        "HYPOTHESIS_PROFILE",
        "`ci`",
        "`ci` (derandomized, a fixed budget per test) or `explore` (fresh random examples, 2,000 per test)",
        "development",
    ),
    Variable(
        "BUURTDEKKING_CHROMIUM",
        "`/usr/bin/chromium`",
        "the Chromium binary the browser tests and `python -m bench.dashboard` drive",
        "development",
    ),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """The whole of docs/CONFIGURATION.md."""
    variables = (*ETL_VARIABLES, *APP_VARIABLES, *DEVELOPMENT_VARIABLES)
    parts = [INTRO]
    for key, title in SECTIONS:
        rows = [v for v in variables if v.section == key]
        parts.append(f"## {title}\n\n| variable | default | meaning |\n|---|---|---|")
        parts.extend(f"| `{v.name}` | {_cell(v.default)} | {_cell(v.meaning)} |" for v in rows)
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
