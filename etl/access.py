"""Capacity-aware access to care: the enhanced two-step floating catchment area (E2SFCA), as PySAL `access` defines it.

Step 1, per team j: ``R_j = S_j / Σ_i D_i · W(t_ij)`` — its capacity (FTE) over the youth in its catchment,
each child weighted by the decay of their travel time to it. Step 2, per origin i:
``A_i = Σ_j R_j · W(t_ij)`` — the capacity per child within reach, summed over the teams in reach.
This is PySAL's ``Access.enhanced_two_stage_fca`` (Luo & Qi 2009, with McGrail's weights) computed as two
matrix products on the origin×team travel times, so that a what-if can recompute it in milliseconds;
``tests/test_access.py`` checks it against PySAL `access` on the same inputs. Decay functions mirror
``access.weights`` (``step_fn``, ``gaussian``): a step function returns the weight of the first step whose
upper bound is ≥ t, and 0 beyond the last.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geodata.errors import InputError

DEFAULT_DECAY = "step:10=1,20=0.68,30=0.22"
PER = 1000.0  # access is reported as capacity (FTE) per 1,000 youth


@dataclass(frozen=True)
class Decay:
    """A distance-decay weight over travel time (minutes); zero beyond ``max_cost``."""

    kind: str
    steps: tuple[tuple[float, float], ...] = ()
    sigma: float = math.nan
    max_cost: float = math.inf

    def weights(self, time_min: np.ndarray) -> np.ndarray:
        """Weight per travel time; unreachable (inf/NaN) and beyond ``max_cost`` weigh 0."""
        t = np.asarray(time_min, dtype="float64")
        finite = np.isfinite(t)
        tt = np.where(finite, t, np.inf)
        # travel times are float32 minutes: compare with bounds at that precision (10 min is 10 min)
        if self.kind == "step":
            bounds = np.array([b for b, _ in self.steps], dtype="float32").astype("float64")
            values = np.array([w for _, w in self.steps] + [0.0])
            w = values[np.searchsorted(bounds, tt, side="left")]
        else:
            w = np.exp(-(np.where(finite, t, 0.0) ** 2) / (2.0 * self.sigma**2))
        return np.where(finite & (tt <= float(np.float32(self.max_cost))), w, 0.0)

    def pysal_weight_fn(self) -> Callable[[float], float]:
        """The same decay as a PySAL ``access.weights`` function (for checking against PySAL)."""
        # late import: access is a dev tool (the dev extra), never installed in the runtime image
        from access import weights

        if self.kind == "step":
            fn: Callable[[float], float] = weights.step_fn(dict(self.steps))
            return fn
        gauss: Callable[[float], float] = weights.gaussian(self.sigma)
        return gauss

    def describe(self) -> str:
        if self.kind == "step":
            return "step:" + ",".join(f"{b:g}={w:g}" for b, w in self.steps)
        return f"gaussian:sigma={self.sigma:g},max={self.max_cost:g}"


def _bad_decay(spec: str) -> InputError:
    return InputError.single(
        "DECAY_INVALID",
        f"Afstandsverval '{spec}' is ongeldig. Voorbeelden: 'step:10=1,20=0.68,30=0.22' (minuten=gewicht) of "
        "'gaussian:sigma=10,max=30'.",
        f"Distance decay '{spec}' is invalid. Examples: 'step:10=1,20=0.68,30=0.22' (minutes=weight) or "
        "'gaussian:sigma=10,max=30'.",
        column="decay",
    )


def parse_decay(spec: str) -> Decay:
    """'step:10=1,20=0.68,30=0.22' or 'gaussian:sigma=10,max=30' → Decay (max is required for a Gaussian)."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip().lower()
    pairs: list[tuple[str, str]] = []
    for part in rest.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise _bad_decay(spec)
        pairs.append((key.strip().lower(), value.strip()))
    try:
        if kind == "step":
            steps = tuple(sorted((float(k), float(v)) for k, v in pairs))
            if not steps or any(w < 0 or b <= 0 or not math.isfinite(b) for b, w in steps):
                raise _bad_decay(spec)
            return Decay("step", steps=steps, max_cost=steps[-1][0])
        if kind == "gaussian":
            params = {k: float(v) for k, v in pairs}
            sigma, max_cost = params.get("sigma", math.nan), params.get("max", math.nan)
            if not (sigma > 0 and max_cost > 0 and math.isfinite(max_cost)):
                raise _bad_decay(spec)
            return Decay("gaussian", sigma=sigma, max_cost=max_cost)
    except ValueError as exc:
        raise _bad_decay(spec) from exc
    raise _bad_decay(spec)


@dataclass(frozen=True)
class E2SFCA:
    """Access per origin (supply per demand unit), and per team its ratio R_j and weighted catchment demand."""

    access: np.ndarray
    ratio: np.ndarray
    catchment_demand: np.ndarray


def e2sfca(
    *,
    time_min: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    decay: Decay,
    allowed: np.ndarray | None = None,
) -> E2SFCA:
    """E2SFCA on an origin×team time matrix; ``allowed`` (same shape, bool) excludes pairs (e.g. another provider's teams).

    A team that no weighted demand reaches serves nobody: its ratio is 0 (PySAL leaves it undefined).
    An origin with no team in reach has access 0 (PySAL leaves it out).
    """
    weights = decay.weights(time_min)
    if allowed is not None:
        weights = np.where(allowed, weights, 0.0)
    d = np.nan_to_num(np.asarray(demand, dtype="float64"))
    s = np.nan_to_num(np.asarray(supply, dtype="float64"))
    catchment = d @ weights
    ratio = np.divide(s, catchment, out=np.zeros_like(s), where=catchment > 0)
    return E2SFCA(access=weights @ ratio, ratio=ratio, catchment_demand=catchment)


def relative_to_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Values divided by their weighted (youth) mean: 1 = the city average, 0.5 = half of it."""
    v = np.asarray(values, dtype="float64")
    w = np.nan_to_num(np.asarray(weights, dtype="float64"))
    ok = np.isfinite(v)
    total = w[ok].sum()
    mean = (v[ok] * w[ok]).sum() / total if total > 0 else (v[ok].mean() if ok.any() else math.nan)
    if not (mean > 0):
        return np.full(len(v), math.nan)
    return v / mean
