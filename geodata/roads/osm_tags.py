"""OpenStreetMap tags → per-mode access, direction and maxspeed, by the OSM conventions for the Netherlands.

* car: roads from motorway down to service roads; never cycleways, footways, paths, steps or tracks;
  ``access``/``vehicle``/``motor_vehicle``/``motorcar`` = no/private/agricultural/forestry close a road;
  ``oneway`` (and roundabouts, motorways) is respected.
* bike: all roads except motorways and trunk roads (*autowegen*), plus cycleways, paths and tracks;
  footways and pedestrian streets only with ``bicycle=yes/designated/permissive``; ``oneway`` applies
  unless ``oneway:bicycle=no`` or a contraflow ``cycleway=opposite*``.
* walk: everything except motorways and trunk roads; cycleways too (RVV 1990 art. 4: pedestrians use
  the cycle path where there is no footway); ``foot=no`` closes a way; oneway does not apply on foot.
* ``motorroad=yes`` (an *autoweg*, where they are not allowed) closes a road to bikes and pedestrians whatever else
  is tagged.

A more specific tag beats a general one (``motorcar`` over ``motor_vehicle`` over ``vehicle`` over
``access``); ``yes/designated/permissive/destination/customers`` open a way for that mode.
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from geodata.roads.model import MODES, Rule

# Zone and symbolic maxspeed values used in the Netherlands (km/h).
_MAXSPEED_NAMED: Mapping[str, float] = {
    "nl:urban": 50.0,
    "nl:rural": 80.0,
    "nl:motorway": 130.0,
    "nl:trunk": 100.0,
    "nl:living_street": 15.0,
    "nl:zone30": 30.0,
    "nl:zone60": 60.0,
    "nl:bicycle_road": 30.0,
    "walk": 15.0,
}

# The ordinary roads every mode may use; each mode adds the classes only it may use.
_SHARED_HIGHWAYS = frozenset(
    {
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_CAR_HIGHWAYS = _SHARED_HIGHWAYS | {"motorway", "motorway_link", "trunk", "trunk_link"}
_BIKE_HIGHWAYS = _SHARED_HIGHWAYS | {"track", "cycleway", "path"}
_WALK_HIGHWAYS = _BIKE_HIGHWAYS | {"footway", "pedestrian", "steps", "bridleway", "corridor"}
ROUTABLE_HIGHWAYS = _CAR_HIGHWAYS | _BIKE_HIGHWAYS | _WALK_HIGHWAYS
# Roads where a mode is barred by class, but an explicit tag may still open them.
_OPENABLE = {
    "bike": frozenset({"footway", "pedestrian", "steps", "bridleway", "trunk", "trunk_link"}),
    "walk": frozenset({"trunk", "trunk_link"}),
    "car": frozenset(),
}
_YES = frozenset({"yes", "designated", "permissive", "destination", "customers", "delivery", "official"})
_NO = frozenset({"no", "private", "agricultural", "forestry", "use_sidepath", "dismount", "discouraged"})
# From general to specific: the last tag present decides.
_ACCESS_KEYS = {
    "car": ("access", "vehicle", "motor_vehicle", "motorcar"),
    "bike": ("access", "vehicle", "bicycle"),
    "walk": ("access", "foot"),
}
# Tags read from OSM ways and (when present as columns or edge attributes) from line files and GraphML.
TAG_KEYS = (
    "highway",
    "maxspeed",
    "maxspeed:forward",
    "maxspeed:backward",
    "oneway",
    "oneway:bicycle",
    "oneway:foot",
    "junction",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "bicycle",
    "foot",
    "area",
    "motorroad",
)


def parse_maxspeed(value: object) -> float:
    """A maxspeed tag in km/h ('50', '30 mph', 'NL:zone30', '50;30' → the lowest), NaN when unusable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, int | float):
        return float(value) if value > 0 else math.nan
    speeds = []
    for part in str(value).replace(",", ";").split(";"):
        text = part.strip().lower()
        if not text:
            continue
        if text in _MAXSPEED_NAMED:
            speeds.append(_MAXSPEED_NAMED[text])
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", text)
        if match:
            number = float(match.group(1))
            if number > 0:
                speeds.append(number * 1.609344 if match.group(2) == "mph" else number)
    return min(speeds) if speeds else math.nan


def first_value(value: object) -> str | None:
    """One tag value from what a file holds: a string, a list, or a list written as text (osmnx)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return first_value(value[0]) if len(value) else None
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return first_value(parsed)
    return text or None


def all_values(value: object) -> str | None:
    """Every value of a (list) tag joined with ';' — an osmnx edge merging ways keeps all their maxspeeds."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            return first_value(value)
    if isinstance(value, list | tuple | np.ndarray):
        parts = [p for v in value if (p := first_value(v)) is not None]
        return ";".join(parts) or None
    return first_value(value)


def as_bool(value: object) -> bool | None:
    """yes/no in the spellings files use (1/0, true/false, ja/nee, y/n); None when blank or unknown."""
    text = first_value(value)
    if text is None:
        return None
    low = text.lower()
    if low in {"1", "1.0", "true", "yes", "ja", "y", "j", "t"}:
        return True
    if low in {"0", "0.0", "false", "no", "nee", "n", "f"}:
        return False
    return None


def direction(value: str | None) -> int | None:
    """oneway value → 1 (forward only), -1 (backward only), 0 (both), None (not said)."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in {"yes", "true", "1"}:
        return 1
    if text in {"-1", "reverse"}:
        return -1
    if text in {"no", "false", "0"}:
        return 0
    return None


def _allowed(mode: str, highway: str, tags: Mapping[str, str]) -> bool:
    """Whether a mode may use a way at all, from its class and the most specific access tag."""
    if mode != "car" and str(tags.get("motorroad", "")).strip().lower() == "yes":
        return False
    if mode == "car":
        by_class = highway in _CAR_HIGHWAYS
    elif mode == "bike":
        by_class = highway in _BIKE_HIGHWAYS
    else:
        by_class = highway in _WALK_HIGHWAYS
    decided: bool | None = None
    for key in _ACCESS_KEYS[mode]:
        value = tags.get(key)
        if value is None:
            continue
        value = value.split(";")[0].strip().lower()
        if value in _YES:
            decided = True
        elif value in _NO:
            decided = False
    if decided is None:
        return by_class
    if decided and not by_class:
        return highway in _OPENABLE[mode]
    return decided


def _oneway(mode: str, highway: str, tags: Mapping[str, str]) -> int:
    if mode == "walk":
        return direction(tags.get("oneway:foot")) or 0
    general = direction(tags.get("oneway"))
    if general is None:
        implied = highway in {"motorway", "motorway_link"} or tags.get("junction") in {"roundabout", "circular"}
        general = 1 if implied else 0
    if mode == "bike":
        own = direction(tags.get("oneway:bicycle"))
        if own is not None:
            return own
        contraflow = any(
            str(tags.get(k, "")).startswith("opposite")
            for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
        )
        return 0 if contraflow else general
    return general


def way_rules(tags: Mapping[str, str]) -> Rule | None:
    """(highway, maxspeed km/h, (walk_fw, walk_bw, bike_fw, bike_bw, car_fw, car_bw)) for one way.

    None when no mode may use it (not a street, an area, under construction, closed to all).
    """
    highway = (tags.get("highway") or "").strip().lower()
    if highway not in ROUTABLE_HIGHWAYS or tags.get("area") == "yes":
        return None
    flags: list[bool] = []
    for mode in MODES:
        if not _allowed(mode, highway, tags):
            flags += [False, False]
            continue
        way = _oneway(mode, highway, tags)
        flags += [way >= 0, way <= 0]
    if not any(flags):
        return None
    maxspeed = parse_maxspeed(tags.get("maxspeed"))
    if math.isnan(maxspeed):
        directional = [parse_maxspeed(tags.get(k)) for k in ("maxspeed:forward", "maxspeed:backward")]
        known = [s for s in directional if not math.isnan(s)]
        maxspeed = min(known) if known else math.nan
    return highway, maxspeed, tuple(flags)


def tag_values(value: object) -> list[str]:
    """Every value of a tag as a file holds it: one, a list, or a list written as text (osmnx)."""
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(value.strip())
    if isinstance(value, list | tuple | np.ndarray):
        return [p for v in value if (p := first_value(v)) is not None]
    one = first_value(value)
    return [] if one is None else [one]


def _normalise(tags: dict[str, str]) -> dict[str, str]:
    if "oneway" in tags:  # osmnx writes oneway as a bool, OSM as yes/no/-1
        low = tags["oneway"].lower()
        tags["oneway"] = {"true": "yes", "false": "no"}.get(low, low)
    return tags


def file_tags(row: Mapping[str, object]) -> dict[str, str]:
    """OSM tags from one row of a line file or one GraphML edge (first value of a list; maxspeed: all of them)."""
    tags = {k: v[0] for k in TAG_KEYS if (v := tag_values(row.get(k)))}
    if (speeds := all_values(row.get("maxspeed"))) is not None:
        tags["maxspeed"] = speeds  # the lowest of them counts
    return _normalise(tags)


def file_rules(row: Mapping[str, object]) -> Rule | None:
    """The rule of a row whose tags may be lists — an osmnx edge that merged several ways.

    A mode may use such an edge, in a direction, only where every merged way lets it (each listed value is
    tried in turn); the maxspeed is the lowest listed; the class shown is the first.
    """
    base = file_tags(row)
    variants = [base]
    for key in TAG_KEYS:
        if key == "maxspeed":
            continue
        for value in tag_values(row.get(key))[1:]:
            variants.append(_normalise({**base, key: value}))
    rules = [way_rules(t) for t in variants]
    first = rules[0]
    if first is None or any(r is None for r in rules):
        return None
    flags = tuple(all(r[2][i] for r in rules if r is not None) for i in range(len(first[2])))
    return (first[0], first[1], flags) if any(flags) else None


def rules_per_row(frame: pd.DataFrame, rule_of: Callable[[dict[str, object]], Rule | None]) -> list[Rule | None]:
    """``rule_of`` applied to every row, worked out once per distinct combination of values (they repeat a lot)."""
    if frame.shape[1] == 0:
        return [rule_of({})] * len(frame)
    # rows with the same text in every column are the same combination (64-bit hashes of it, vectorised)
    hashes = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    records = frame.iloc[first].to_dict("records")
    distinct = [rule_of({str(k): v for k, v in r.items()}) for r in records]
    return [distinct[i] for i in inverse.reshape(-1)]
