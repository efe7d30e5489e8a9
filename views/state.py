"""The view state every page shares, read from and written to the URL query string (the shareable link)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode

from etl.numbers import DEFAULT_LANG, LANGS
from etl.rules.columns import TOTAL
from geodata.errors import Problem
from views.i18n import Lang
from views.indicators import BY_KEY, DEFAULT_INDICATOR, MODES

# The choices of a view, here (not beside mapclassify in views.classify) so the export command's parser can
# offer them without importing mapclassify: about 3 s of `buurtdekking --help` on the shared 2-core machine.
UnitLevel = Literal["buurt", "wijk"]  # the units a map or table shows
LEVELS: tuple[UnitLevel, ...] = get_args(UnitLevel)
SCHEMES = ("quantiles", "natural_breaks", "equal_interval")  # class schemes, in the order the picker lists them
DEFAULT_SCHEME = SCHEMES[0]
MIN_CLASSES, MAX_CLASSES = 3, 7
DEFAULT_CLASSES = 5
# Longest value a parameter may have: codes and periods are short; a what-if scenario is a list of steps.
MAX_VALUE = {"scenario": 4000}
MAX_OTHER_VALUE = 200
MAX_SHOWN = 60  # characters of a parameter or value quoted back in a message
MAX_PROBLEMS = 10  # messages about one link; after that one more says there are more

# URL parameter → ViewState field; Dutch names because the links are shared among Dutch planners.
PARAMS = {
    "indicator": "indicator",
    "periode": "period",
    "modus": "mode",
    "soort": "soort",
    "schema": "scheme",
    "klassen": "k",
    "niveau": "level",
    "buurt": "buurt",
    "taal": "lang",
    "scenario": "scenario",
}
FIELD_TO_PARAM = {v: k for k, v in PARAMS.items()}


@dataclass(frozen=True)
class ViewState:
    """What the user looks at; ``None``/"" means 'the default for this atlas'."""

    indicator: str = DEFAULT_INDICATOR
    period: str = ""
    mode: str = MODES[0]
    soort: str = TOTAL
    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_CLASSES
    level: str = LEVELS[0]
    buurt: str = ""
    lang: Lang = DEFAULT_LANG
    scenario: str = ""

    def with_(self, **changes: Any) -> ViewState:
        return replace(self, **changes)

    def to_query(self) -> str:
        """'?indicator=…&…' with only the values that differ from the defaults (short links)."""
        default = asdict(ViewState())
        pairs = [
            (FIELD_TO_PARAM[k], str(v)) for k, v in asdict(self).items() if v != default[k] and v not in ("", None)
        ]
        return "?" + urlencode(pairs) if pairs else ""


def _shown(text: str) -> str:
    """``text`` as a message quotes it: printable, and cut short."""
    clean = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)
    return clean if len(clean) <= MAX_SHOWN else clean[: MAX_SHOWN - 1] + "…"


def _problem(param: str, value: str, nl: str, en: str) -> Problem:
    shown = f"{_shown(param)}={_shown(value)}"
    return Problem(
        "URL_PARAM",
        f"De link bevat '{shown}': {nl} De standaardwaarde wordt getoond.",
        f"The link has '{shown}': {en} The default is shown instead.",
        file="URL",
        column=_shown(param),
    )


def _too_many() -> Problem:
    return Problem(
        "URL_PARAM",
        "De link bevat nog meer parameters die niet te gebruiken zijn; ook daarvoor geldt de standaardwaarde.",
        "The link has more parameters that cannot be used; for those too the default is shown.",
        file="URL",
    )


def parse_state(query: dict[str, str] | str) -> tuple[ViewState, list[Problem]]:
    """A ViewState from URL parameters; every unusable parameter becomes a Problem and falls back to the default."""
    params = dict(parse_qsl(query.lstrip("?"))) if isinstance(query, str) else dict(query)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for param, raw_value in params.items():
        name = PARAMS.get(param)
        value = str(raw_value)
        if name is None:
            known = ", ".join(PARAMS)
            problems.append(
                _problem(
                    param, value, f"onbekende parameter (bekend: {known}).", f"unknown parameter (known: {known})."
                )
            )
            continue
        limit = MAX_VALUE.get(name, MAX_OTHER_VALUE)
        if len(value) > limit:
            problems.append(_problem(param, value, f"langer dan {limit} tekens.", f"longer than {limit} characters."))
            continue
        values[name] = value.strip()
    state = ViewState()
    checks: list[tuple[str, bool, str, str]] = [
        ("indicator", values.get("indicator", state.indicator) in BY_KEY, "onbekende indicator.", "unknown indicator."),
        (
            "mode",
            values.get("mode", state.mode) in MODES,
            f"kies uit {', '.join(MODES)}.",
            f"choose from {', '.join(MODES)}.",
        ),
        (
            "scheme",
            values.get("scheme", state.scheme) in SCHEMES,
            f"kies uit {', '.join(SCHEMES)}.",
            f"choose from {', '.join(SCHEMES)}.",
        ),
        ("level", values.get("level", state.level) in LEVELS, "kies buurt of wijk.", "choose buurt or wijk."),
        ("lang", values.get("lang", state.lang) in LANGS, "kies nl of en.", "choose nl or en."),
    ]
    for name, ok, nl, en in checks:
        if not ok:
            problems.append(_problem(FIELD_TO_PARAM[name], values.pop(name), nl, en))
    if "k" in values:
        raw = values.pop("k")
        # Only ASCII digits: str.isdigit() also accepts '²', which int() refuses.
        if raw.isascii() and raw.isdigit() and len(raw) <= 2 and MIN_CLASSES <= int(raw) <= MAX_CLASSES:
            values["k"] = int(raw)
        else:
            problems.append(
                _problem(
                    "klassen",
                    raw,
                    f"geef een geheel getal van {MIN_CLASSES} tot {MAX_CLASSES}.",
                    f"give a whole number from {MIN_CLASSES} to {MAX_CLASSES}.",
                )
            )
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], _too_many()]
    return replace(state, **values), problems
