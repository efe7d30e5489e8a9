"""Indicator values per level, period, mode and care type, protected before anything leaves the server."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from etl.numbers import format_number
from etl.protect import SECONDARY_LABEL, suppressed_label
from etl.quality import QUALITY_ESTIMATE, QUALITY_FAR_SNAP, QUALITY_NETWORK, QUALITY_UNREACHABLE
from etl.rules.columns import TOTAL
from etl.sensitive import MISSING, OK, SUPPRESSED
from views.data import LEVEL_KEYS, AtlasView
from views.i18n import Lang, t
from views.indicators import BY_KEY, MODES, REGISTRY, Indicator
from views.protection import served_threshold, suppression

PERIOD = "periode"
SOORT = "soort"
# How sure a travel figure is (the atlas values of etl.quality), worst last; their labels in views.i18n.
QUALITY_KEYS = {
    QUALITY_NETWORK: "quality_network",
    QUALITY_ESTIMATE: "quality_estimate",
    QUALITY_FAR_SNAP: "quality_far_snap",
    QUALITY_UNREACHABLE: "quality_unreachable",
}
_QUALITY_RANK = {QUALITY_NETWORK: 1, QUALITY_ESTIMATE: 1, QUALITY_FAR_SNAP: 2, QUALITY_UNREACHABLE: 3}
T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """Which slice of an indicator: the level and, where the indicator has them, period, mode and care type."""

    level: str = "buurt"
    period: str = ""
    mode: str = MODES[0]
    soort: str = TOTAL


def _kept(view: AtlasView, what: str, ind: Indicator, key: Hashable, compute: Callable[[], T], *, cost: int = 1) -> T:
    """``compute()`` once per view, ``what`` and key (views.data.Memo); for an indicator outside the registry
    (made on the fly, so its key may not say what it is) every time."""
    if BY_KEY.get(ind.key) is not ind:
        return compute()
    return view.memo.get((what, ind.key, key), compute, cost=cost)


def _table(view: AtlasView, ind: Indicator, level: str) -> pd.DataFrame | None:
    name = ind.table(level)
    if name == "buurten":
        return view.buurten
    if name == "wijken":
        return view.wijken
    return view.tables.get(name)


def _column_present(df: pd.DataFrame | None, column: str) -> bool:
    return df is not None and column in df.columns and bool(df[column].notna().any())


def is_available(view: AtlasView, ind: Indicator, *, level: str = "buurt") -> bool:
    """The atlas has this indicator at this level (for any mode); protected tables are only there once protected."""
    return _kept(view, "available", ind, level, lambda: _is_available(view, ind, level=level))


def _is_available(view: AtlasView, ind: Indicator, *, level: str) -> bool:
    df = _table(view, ind, level)
    if df is None and level == "wijk" and ind.aggregate != "none":
        df = _table(view, ind, "buurt")  # a wijk value can be aggregated from the buurten
    modes = MODES if ind.has_modes else (None,)
    return any(_column_present(df, ind.column_for(m)) for m in modes)


def available(view: AtlasView, *, level: str = "buurt") -> list[Indicator]:
    """The registry entries this atlas can show, in registry order."""
    return [ind for ind in REGISTRY if is_available(view, ind, level=level)]


def modes_for(view: AtlasView, ind: Indicator) -> list[str]:
    return list(_kept(view, "modes", ind, "", lambda: _modes_for(view, ind)))


def _modes_for(view: AtlasView, ind: Indicator) -> list[str]:
    if not ind.has_modes:
        return []
    df = _table(view, ind, "buurt")
    return [m for m in MODES if _column_present(df, ind.column_for(m))]


def periods_for(view: AtlasView, ind: Indicator) -> list[str]:
    return list(_kept(view, "periods", ind, "", lambda: _periods_for(view, ind)))


def _periods_for(view: AtlasView, ind: Indicator) -> list[str]:
    df = _table(view, ind, "buurt")
    if df is None or PERIOD not in df.columns:
        return []
    return sorted(df[PERIOD].dropna().astype(str).unique())


def soorten_for(view: AtlasView, ind: Indicator) -> list[str]:
    return list(_kept(view, "soorten", ind, "", lambda: _soorten_for(view, ind)))


def _soorten_for(view: AtlasView, ind: Indicator) -> list[str]:
    df = _table(view, ind, "buurt")
    if df is None or SOORT not in df.columns:
        return []
    values = sorted(df[SOORT].dropna().astype(str).unique())
    # totaal first: the default and the sum of the others
    return sorted(values, key=lambda s: (s != TOTAL, s))


def resolve(view: AtlasView, ind: Indicator, sel: Selection) -> Selection:
    """The selection with period, mode and care type replaced by valid ones for this indicator (latest period)."""
    periods = periods_for(view, ind)
    modes = modes_for(view, ind)
    soorten = soorten_for(view, ind)
    return Selection(
        level=sel.level,
        period=sel.period if sel.period in periods else (periods[-1] if periods else ""),
        mode=sel.mode if not modes or sel.mode in modes else modes[0],
        soort=sel.soort if not soorten or sel.soort in soorten else (soorten[0] if soorten else sel.soort),
    )


def _slice(df: pd.DataFrame, ind: Indicator, sel: Selection) -> pd.DataFrame:
    out = df
    if PERIOD in out.columns and sel.period:
        out = out[out[PERIOD].astype(str) == sel.period]
    if SOORT in out.columns:
        out = out[out[SOORT].astype(str) == (sel.soort or ind.filters.get(SOORT, TOTAL))]
    return out


def _weights(view: AtlasView, level: str) -> pd.Series:
    code, _ = LEVEL_KEYS[level]
    frame = view.frame(level)
    if level == "gemeente":
        youth = (
            pd.to_numeric(view.buurten["youth_population"], errors="coerce")
            if "youth_population" in view.buurten
            else None
        )
        if youth is not None:
            return youth.groupby(view.buurten["gemeentecode"].astype(str)).sum()
    if "youth_population" not in frame:
        return pd.Series(1.0, index=frame[code])
    return pd.Series(pd.to_numeric(frame["youth_population"], errors="coerce").fillna(0).to_numpy(), index=frame[code])


def _aggregate(raw: pd.Series, ind: Indicator, view: AtlasView, level: str) -> pd.Series:
    """Buurt values combined to a coarser level (sum, or a youth-weighted mean for rates and times)."""
    code, _ = LEVEL_KEYS[level]
    parents = view.buurten.set_index("buurtcode")[code]
    frame = pd.DataFrame({"v": raw, "parent": parents.reindex(raw.index)})
    if ind.aggregate == "sum":
        return frame.groupby("parent")["v"].sum(min_count=1)
    w = _weights(view, "buurt").reindex(raw.index).fillna(0)
    frame["w"] = w.where(frame["v"].notna(), 0)
    frame["wv"] = frame["v"].fillna(0) * frame["w"]
    grouped = frame.groupby("parent")[["wv", "w"]].sum()
    return (grouped["wv"] / grouped["w"].replace(0, np.nan)).astype("float64")


def level_values(view: AtlasView, ind: Indicator, sel: Selection) -> pd.DataFrame:
    """Per code at the selected level: value, suppressed and secondary marks (from the published tables).

    Protected indicators come only from their published table of that level; they are never summed up from
    a finer level (a sum of published values would be wrong, and the protection covers the level's own table).
    """
    code, _ = LEVEL_KEYS[sel.level]
    codes = view.frame(sel.level)[code].astype(str).to_numpy()
    column = ind.column_for(sel.mode)
    empty = pd.DataFrame({"value": np.nan, "suppressed": False, "secondary": False}, index=codes)
    df = _table(view, ind, sel.level)
    if df is not None and ind.count_column in df.columns and code in df.columns and not _column_present(df, column):
        # A published table without the rate (e.g. the gemeente total): the rate of a shown count and the
        # public youth population, so it can reveal nothing the count does not already show.
        youth = _weights(view, sel.level)
        df = df.assign(**{column: df[ind.count_column] / df[code].astype(str).map(youth).where(lambda y: y > 0) * 1000})
        df = df.assign(**{column + "__onderdrukt": df.get(ind.count_column + "__onderdrukt", False)})
    if df is not None and column in df.columns and code in df.columns:
        part = _slice(df, ind, sel)
        marked, secondary = suppression(part, column, ind.count_column or None)
        out = pd.DataFrame(
            {"value": part[column].to_numpy(), "suppressed": marked.to_numpy(), "secondary": secondary.to_numpy()},
            index=part[code].astype(str).to_numpy(),
        )
        out = out[~out.index.duplicated()]
        out = out.reindex(codes)
        out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
        out["secondary"] = out["secondary"].fillna(False).astype(bool)
        if ind.protected:
            out["value"] = out["value"].where(~out["suppressed"])
        return out
    if sel.level != "buurt" and ind.aggregate != "none" and not ind.protected and ind.kind == "number":
        buurt = level_values(view, ind, Selection("buurt", sel.period, sel.mode, sel.soort))
        agg = _aggregate(pd.to_numeric(buurt["value"], errors="coerce"), ind, view, sel.level).reindex(codes)
        empty["value"] = agg.to_numpy()
    return empty


def _worst(values: pd.Series) -> object:
    known = [v for v in values.dropna().astype(str) if v in _QUALITY_RANK]
    return max(known, key=lambda v: _QUALITY_RANK[v]) if known else None


def quality_values(view: AtlasView, ind: Indicator, sel: Selection) -> pd.Series | None:
    """Per code at the selected level, how sure the indicator's figure is (an etl.quality value), or None when
    the indicator is no travel figure or the atlas has no quality column for it.

    A level without its own column takes the worst of its buurten (the figure is made of theirs)."""
    column = ind.quality_for(sel.mode)
    if not column:
        return None
    code, _ = LEVEL_KEYS[sel.level]
    codes = view.frame(sel.level)[code].astype(str)
    own = view.buurten if sel.level == "buurt" else view.wijken if sel.level == "wijk" else None
    if own is not None and column in own.columns:
        return pd.Series(
            own[column].astype("object").where(own[column].notna(), None).to_numpy(), index=own[code].astype(str)
        ).reindex(codes)
    if column not in view.buurten.columns:
        return None
    parents = view.buurten[code].astype(str)
    worst = view.buurten[column].groupby(parents).agg(_worst)
    return worst.reindex(codes)


def quality_text(value: object, lang: Lang) -> str:
    """The label of a quality value ('' when none)."""
    key = (
        QUALITY_KEYS.get(str(value))
        if value is not None and not (isinstance(value, float) and np.isnan(value))
        else None
    )
    return t(key, lang) if key else ""


def _display(value: object, ind: Indicator, lang: Lang) -> str:
    if ind.kind == "category":
        for cat in ind.categories:
            if str(value) == cat.value:
                return cat.label(lang)
        return str(value)
    number = float(value) * ind.scale  # type: ignore[arg-type]
    text = format_number(number, decimals=ind.decimals, lang=lang)
    unit = ind.unit(lang)
    return f"{text} {unit}" if unit and unit != "%" else (f"{text}%" if unit == "%" else text)


def indicator_frame(view: AtlasView, ind: Indicator, sel: Selection, *, lang: Lang) -> pd.DataFrame:
    """Per code: name, value (NaN where suppressed), status and the text a user sees; for a travel figure also
    ``quality`` (how sure it is, an etl.quality value) and ``quality_text`` (its label), empty where no value.

    This is the only way values reach a page: hover, table, legend breaks and detail panel all read it. Made
    once per view and slice, then shared by every request (a copy each, which the caller may change).
    """
    rows = len(view.frame(sel.level))
    return _kept(view, "frame", ind, (sel, lang), lambda: _indicator_frame(view, ind, sel, lang=lang), cost=rows).copy()


def _indicator_frame(view: AtlasView, ind: Indicator, sel: Selection, *, lang: Lang) -> pd.DataFrame:
    code, name = LEVEL_KEYS[sel.level]
    frame = view.frame(sel.level)
    vals = level_values(view, ind, sel)
    out = pd.DataFrame(
        {"code": frame[code].astype(str).to_numpy(), "name": frame[name].fillna("").astype(str).to_numpy()}
    )
    if sel.level == "buurt":
        out["wijkcode"] = frame["wijkcode"].astype(str).to_numpy()
        out["wijknaam"] = frame["wijknaam"].fillna("").astype(str).to_numpy()
    vals = vals.reindex(out["code"].to_numpy())
    suppressed = vals["suppressed"].fillna(False).astype(bool).to_numpy()
    secondary = vals["secondary"].fillna(False).astype(bool).to_numpy()
    if ind.kind == "category":
        raw = vals["value"]
        value = [None if (v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v)) else str(v) for v in raw]
        out["value"] = pd.Series(value, dtype="object").to_numpy()
        missing = np.array([v is None for v in value])
    else:
        numeric = pd.to_numeric(vals["value"], errors="coerce").to_numpy(dtype="float64")
        numeric = np.where(suppressed & ind.protected, np.nan, numeric)
        out["value"] = numeric
        missing = np.isnan(numeric)
    out["status"] = np.where(suppressed & ind.protected, SUPPRESSED, np.where(missing, MISSING, OK))
    texts = []
    primary = suppressed_label(served_threshold(view.manifest))
    for v, s, sec in zip(out["value"], out["status"], secondary, strict=True):
        if s == SUPPRESSED:
            texts.append(SECONDARY_LABEL if sec else primary)
        elif s == MISSING:
            texts.append(t("no_data", lang))
        else:
            texts.append(_display(v, ind, lang))
    out["display"] = texts
    quality = quality_values(view, ind, sel)
    if quality is not None:
        q = quality.reindex(out["code"].to_numpy()).to_numpy(dtype=object)
        shown = out["status"].to_numpy() == OK
        out["quality"] = np.where(shown, q, None)
        out["quality_text"] = [quality_text(v, lang) if ok else "" for v, ok in zip(q, shown, strict=True)]
    return out


def summary_value(view: AtlasView, ind: Indicator, sel: Selection, *, level: str, code: str, lang: Lang) -> str:
    """The protected text of one unit at ``level`` (for the detail panel's comparisons)."""
    frame = indicator_frame(view, ind, Selection(level, sel.period, sel.mode, sel.soort), lang=lang)
    row = frame[frame["code"] == code]
    return str(row["display"].iloc[0]) if len(row) else t("no_data", lang)
