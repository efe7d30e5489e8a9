"""Travel speeds per mode, and the car speed of each edge (maxspeed, else the class default, capped)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodata.errors import InputError

# Default car speeds (km/h) where a road has no usable maxspeed tag. Within the built-up area Utrecht
# applies 30 km/h as the norm; these are the exceptions by road class.
CAR_HIGHWAY_KMH: Mapping[str, float] = {
    "motorway": 100.0,  # NL daytime limit on motorways since 2020
    "motorway_link": 50.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "living_street": 15.0,  # erf: walking pace, in practice about 15 km/h
    "service": 15.0,
}


@dataclass(frozen=True)
class Speeds:
    """Travel speeds per mode in km/h; car speeds come from ``maxspeed`` where tagged.

    ``car_default_kmh`` is used for roads without a usable maxspeed (the urban norm), except the road
    classes in ``car_highway_kmh``; ``car_max_kmh`` caps every car speed (maxspeed tags hold the legal
    maximum, which for motorways is higher than the daytime limit).
    """

    walk_kmh: float = 5.0
    bike_kmh: float = 15.0
    car_default_kmh: float = 30.0
    car_max_kmh: float = 100.0
    car_highway_kmh: Mapping[str, float] = field(default_factory=lambda: dict(CAR_HIGHWAY_KMH))

    def __post_init__(self) -> None:
        for name in ("walk_kmh", "bike_kmh", "car_default_kmh", "car_max_kmh"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError.single(
                    "SPEED_INVALID",
                    f"Snelheid {name} = {value!r} moet een positief getal zijn (km/u).",
                    f"Speed {name} = {value!r} must be a positive number (km/h).",
                    column=name,
                )

    def base_kmh(self, mode: str) -> float:
        """The mode's speed off the network (walk, bike) or on an unknown road (car)."""
        return {"walk": self.walk_kmh, "bike": self.bike_kmh, "car": self.car_default_kmh}[mode]

    def to_dict(self) -> dict[str, object]:
        return {
            "walk_kmh": self.walk_kmh,
            "bike_kmh": self.bike_kmh,
            "car_default_kmh": self.car_default_kmh,
            "car_max_kmh": self.car_max_kmh,
            "car_highway_kmh": dict(self.car_highway_kmh),
        }


def car_speed_kmh(edges: pd.DataFrame, speeds: Speeds) -> np.ndarray:
    """Car speed per edge: maxspeed where known, else the class default or the urban default; capped."""
    default = edges["highway"].map(lambda h: speeds.car_highway_kmh.get(str(h), speeds.car_default_kmh))
    kmh = edges["maxspeed_kmh"].astype("float64").fillna(default.astype("float64")).to_numpy(dtype="float64")
    return np.asarray(np.minimum(kmh, speeds.car_max_kmh), dtype="float64")
