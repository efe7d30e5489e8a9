"""Deterministic synthetic street networks, origins and teams for the travel benchmark (no OSM extract is available offline)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.network import MODES, StreetNetwork, way_rules

# Street classes of the synthetic grid and their OSM tags; flags come from geodata.network's own rules.
_CLASSES: dict[str, dict[str, str]] = {
    "residential": {"highway": "residential"},
    "residential_oneway": {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"},
    "cycleway": {"highway": "cycleway"},
    "footway": {"highway": "footway"},
    "secondary": {"highway": "secondary", "maxspeed": "50"},
    "motorway": {"highway": "motorway", "oneway": "no", "maxspeed": "100"},
}


@dataclass(frozen=True)
class Layout:
    """A street grid: ``nx`` × ``ny`` junctions ``spacing`` metres apart from ``origin`` (RD New)."""

    nx: int
    ny: int
    spacing: float
    origin: tuple[float, float]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        x0, y0 = self.origin
        return (x0, y0, x0 + (self.nx - 1) * self.spacing, y0 + (self.ny - 1) * self.spacing)


def street_grid(layout: Layout, *, seed: int, drop: float = 0.08) -> StreetNetwork:
    """A jittered grid: residential streets (some one-way for cars), cycleways and footways, 50 km/h
    arterials every 12 blocks and a motorway every 60; ``drop`` of the street segments removed."""
    rng = np.random.default_rng(seed)
    nx_, ny_ = layout.nx, layout.ny
    x0, y0 = layout.origin
    gx, gy = np.meshgrid(np.arange(nx_), np.arange(ny_))
    jitter = rng.uniform(-0.25, 0.25, (2, ny_, nx_)) * layout.spacing
    x = (x0 + gx * layout.spacing + jitter[0]).ravel()
    y = (y0 + gy * layout.spacing + jitter[1]).ravel()
    idx = np.arange(nx_ * ny_).reshape(ny_, nx_)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    row_of = np.r_[np.repeat(np.arange(ny_), nx_ - 1), np.repeat(np.arange(ny_ - 1), nx_)]
    col_of = np.r_[np.tile(np.arange(nx_ - 1), ny_), np.tile(np.arange(nx_), ny_ - 1)]
    horizontal = np.r_[np.ones((nx_ - 1) * ny_, dtype=bool), np.zeros(nx_ * (ny_ - 1), dtype=bool)]
    line = np.where(horizontal, row_of, col_of)
    cls = np.full(len(u), "residential", dtype=object)
    r = rng.random(len(u))
    cls[r < 0.10] = "cycleway"
    cls[(r >= 0.10) & (r < 0.14)] = "footway"
    cls[(r >= 0.14) & (r < 0.20)] = "residential_oneway"
    cls[line % 12 == 6] = "secondary"
    cls[line % 60 == 30] = "motorway"
    keep = (rng.random(len(u)) >= drop) | (cls == "secondary") | (cls == "motorway")
    u, v, cls = u[keep], v[keep], cls[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    rules = {name: way_rules(tags) for name, tags in _CLASSES.items()}
    flags = np.array([rules[c][2] for c in cls], dtype=bool)  # type: ignore[index]
    edges = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "length_m": length,
            "highway": [rules[c][0] for c in cls],  # type: ignore[index]
            "maxspeed_kmh": np.array([rules[c][1] for c in cls], dtype="float64"),  # type: ignore[index]
        }
    )
    for i, col in enumerate(f"{m}_{d}" for m in MODES for d in ("fw", "bw")):
        edges[col] = flags[:, i]
    nodes = pd.DataFrame({"x": x, "y": y, "osm_id": np.full(len(x), -1, dtype="int64")})
    return StreetNetwork(nodes, edges, f"synthetic {nx_}×{ny_} @ {layout.spacing:g} m (seed {seed})", "edges")


def clustered_points(
    n: int, bbox: tuple[float, float, float, float], *, n_centres: int, seed: int, spread: float
) -> np.ndarray:
    """Points around ``n_centres`` town centres (Gaussian, ``spread`` m), 20 % uniform; clipped to the box."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = bbox
    centres = np.column_stack([rng.uniform(xmin, xmax, n_centres), rng.uniform(ymin, ymax, n_centres)])
    n_uniform = n // 5
    around = centres[rng.integers(0, n_centres, n - n_uniform)] + rng.normal(0, spread, (n - n_uniform, 2))
    uniform = np.column_stack([rng.uniform(xmin, xmax, n_uniform), rng.uniform(ymin, ymax, n_uniform)])
    pts = np.r_[around, uniform]
    return np.column_stack([np.clip(pts[:, 0], xmin, xmax), np.clip(pts[:, 1], ymin, ymax)])


def team_sets(n_teams: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(soort, organisatie) per team: 70 % buurtteams (Lokalis), the rest specialists split KOOS / Spoor030."""
    rng = np.random.default_rng(seed)
    n_bt = round(0.7 * n_teams)
    soort = np.array(["buurtteam"] * n_bt + ["specialistisch"] * (n_teams - n_bt), dtype=object)
    org = np.array(["Lokalis"] * n_bt + list(rng.choice(["KOOS", "Spoor030"], n_teams - n_bt)), dtype=object)
    return soort, org
