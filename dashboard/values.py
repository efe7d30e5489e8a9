"""Indicator values per level, period, mode and care type, protected before anything leaves the server."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.data import LEVEL_KEYS, AtlasView
from dashboard.i18n import Lang, format_number, t
from dashboard.indicators import MODES, REGISTRY, Indicator
from dashboard.protection import protect_indicator, protection_available

PERIOD = "periode"
SOORT = "soort"
OK, MISSING, SUPPRESSED = "ok", "missing", "suppressed"


@dataclass(frozen=True)
class Selection:
    """Which slice of an indicator: the level and, where the indicator has them, period, mode and care type."""

    level: str = "buurt"
    period: str = ""
    mode: str = MODES[0]
    soort: str = "totaal"


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
    """The atlas has this indicator at this level (for any mode); protected ones only when protection works."""
    if ind.protected and not protection_available():
        return False
    df = _table(view, ind, level)
    if df is None and level == "wijk" and ind.aggregate != "none":
        df = _table(view, ind, "buurt")  # a wijk value can be aggregated from the buurten
    modes = MODES if ind.has_modes else (None,)
    return any(_column_present(df, ind.column_for(m)) for m in modes)


def available(view: AtlasView, *, level: str = "buurt") -> list[Indicator]:
    """The registry entries this atlas can show, in registry order."""
    return [ind for ind in REGISTRY if is_available(view, ind, level=level)]


def modes_for(view: AtlasView, ind: Indicator) -> list[str]:
    if not ind.has_modes:
        return []
    df = _table(view, ind, "buurt")
    return [m for m in MODES if _column_present(df, ind.column_for(m))]


def periods_for(view: AtlasView, ind: Indicator) -> list[str]:
    df = _table(view, ind, "buurt")
    if df is None or PERIOD not in df.columns:
        return []
    return sorted(df[PERIOD].dropna().astype(str).unique())


def soorten_for(view: AtlasView, ind: Indicator) -> list[str]:
    df = _table(view, ind, "buurt")
    if df is None or SOORT not in df.columns:
        return []
    values = sorted(df[SOORT].dropna().astype(str).unique())
    # totaal first: the default and the sum of the others
    return sorted(values, key=lambda s: (s != "totaal", s))


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
        out = out[out[SOORT].astype(str) == (sel.soort or ind.filters.get(SOORT, "totaal"))]
    return out


def _weights(view: AtlasView, level: str) -> pd.Series:
    code, _ = LEVEL_KEYS[level]
    frame = view.frame(level)
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


def raw_values(view: AtlasView, ind: Indicator, sel: Selection) -> pd.Series:
    """Unprotected values per code at the selected level (server side only; never send these)."""
    code, _ = LEVEL_KEYS[sel.level]
    codes = view.frame(sel.level)[code].astype(str)
    column = ind.column_for(sel.mode)
    df = _table(view, ind, sel.level) if sel.level in ("buurt", "wijk") else None
    if df is not None and column in df.columns:
        part = _slice(df, ind, sel)
        series = part.set_index(part[code].astype(str))[column]
        series = series[~series.index.duplicated()]
        return series.reindex(codes.to_numpy()).rename(column)
    if sel.level != "buurt" and ind.aggregate != "none":
        buurt_vals = raw_values(view, ind, Selection("buurt", sel.period, sel.mode, sel.soort))
        if ind.kind == "number":
            return _aggregate(pd.to_numeric(buurt_vals, errors="coerce"), ind, view, sel.level).reindex(codes.to_numpy())
    return pd.Series(np.nan, index=codes.to_numpy(), dtype="float64", name=column)


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
    """Per code: name, value (protected: NaN where suppressed), status and the text a user sees.

    This is the only way values reach a page: hover, table, legend breaks and detail panel all read it.
    """
    code, name = LEVEL_KEYS[sel.level]
    frame = view.frame(sel.level)
    raw = raw_values(view, ind, sel)
    out = pd.DataFrame({"code": frame[code].astype(str).to_numpy(), "name": frame[name].fillna("").astype(str).to_numpy()})
    if sel.level == "buurt":
        out["wijkcode"] = frame["wijkcode"].astype(str).to_numpy()
        out["wijknaam"] = frame["wijknaam"].fillna("").astype(str).to_numpy()
    raw = raw.reindex(out["code"].to_numpy())
    if ind.kind == "category":
        value = raw.astype("object").where(raw.notna(), None)
        value = value.map(lambda v: str(v) if v is not None else None)
        status = np.where(value.isna(), MISSING, OK)
        out["value"] = value.to_numpy()
        out["status"] = status
    else:
        numeric = pd.to_numeric(raw, errors="coerce")
        suppressed = pd.Series(False, index=numeric.index)
        if ind.protected:
            numeric, suppressed = protect_indicator(view, ind, sel, numeric)
        out["value"] = numeric.to_numpy(dtype="float64")
        out["status"] = np.where(suppressed.to_numpy(), SUPPRESSED, np.where(numeric.isna().to_numpy(), MISSING, OK))
    texts = []
    for v, s in zip(out["value"], out["status"], strict=True):
        if s == SUPPRESSED:
            texts.append(t("suppressed", lang))
        elif s == MISSING:
            texts.append(t("no_data", lang))
        else:
            texts.append(_display(v, ind, lang))
    out["display"] = texts
    return out


def summary_value(view: AtlasView, ind: Indicator, sel: Selection, *, level: str, code: str, lang: Lang) -> str:
    """The protected text of one unit at ``level`` (for the detail panel's comparisons)."""
    frame = indicator_frame(view, ind, Selection(level, sel.period, sel.mode, sel.soort), lang=lang)
    row = frame[frame["code"] == code]
    return str(row["display"].iloc[0]) if len(row) else t("no_data", lang)
