"""Referral routes: tables, shares and their protection on the tiny grid, with answers derived by hand
and a naive integer-programming audit of everything published (test_protect.milp_ranges)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from care_fixtures import reference, text_frame, utrecht_grid, utrecht_grid_wijken
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_protect import milp_ranges

from etl.care import assign_providers, caseload_tables
from etl.protect import PRIMARY, SECONDARY, ProtectedCaseloads, protect_caseloads
from etl.protect_referrals import ProtectedReferrals, protect_referrals
from etl.referrals import TIE, ReferralTables, dominant_route, referral_tables, referral_views
from etl.rules import validate
from etl.rules.columns import REFERRALS

T = 5
CARE = ("buurtteam", "specialistisch", "verblijf", "jeugdbescherming")
# Wijk 01 and 02 are KOOS, 03 Spoor030 — and buurt r2c2 is Spoor030 too, so providers do not nest in wijken.
PROVIDERS = pd.DataFrame(
    {
        "niveau": ["wijk", "wijk", "wijk", "buurt"],
        "wijkcode": ["WK034401", "WK034402", "WK034403", None],
        "buurtcode": [None, None, None, "BU03440202"],
        "aanbieder": ["KOOS", "KOOS", "Spoor030", "Spoor030"],
    }
)


def grid() -> tuple[pd.DataFrame, pd.DataFrame]:
    buurten, wijken = utrecht_grid(), utrecht_grid_wijken()
    return assign_providers(buurten, wijken, PROVIDERS, source="test")


def build(text: str) -> tuple[ReferralTables, pd.DataFrame, pd.DataFrame]:
    """A caseload text through validation into the raw route and caseload tables."""
    buurten, wijken = grid()
    frame = validate("caseloads", text_frame(text), name="c.csv", reference=reference()).frame
    df_b, df_w = caseload_tables(frame, buurten, wijken)
    return referral_tables(frame, buurten, wijken), df_b, df_w


def protect(
    tables: ReferralTables, df_b: pd.DataFrame, df_w: pd.DataFrame
) -> tuple[ProtectedCaseloads, ProtectedReferrals]:
    caseloads = protect_caseloads(df_b, df_w)
    routes = protect_referrals(
        tables.buurt,
        tables.wijk,
        tables.provider,
        caseloads_buurt=df_b,
        caseloads_wijk=df_w,
        published_caseloads=caseloads,
    )
    return caseloads, routes


INHABITED = [f"BU0344{r:02d}{c:02d}" for r in (1, 2, 3) for c in (1, 2, 3)][:8]  # r3c3: nobody lives there


def routes_text(per_buurt: dict[str, dict[str, int]], *, periode: str = "2024", header: bool = True) -> str:
    """Route rows per buurt; a buurt not given has no specialist care (a row without verwijzer, 0)."""
    lines = ["buurtcode;periode;verwijzer;specialistisch"] if header else []
    for code in INHABITED:
        routes = per_buurt.get(code, {})
        lines += [f"{code};{periode};{route};{n}" for route, n in routes.items()] or [f"{code};{periode};;0"]
    return "\n".join(lines)


HAND = {
    "BU03440101": {"buurtteam": 6, "huisarts": 3, "save": 1},
    "BU03440102": {"buurtteam": 10, "huisarts": 5},
    "BU03440103": {"buurtteam": 2, "huisarts": 7},
    "BU03440201": {"buurtteam": 8},
    "BU03440202": {"buurtteam": 9, "jeugdarts": 2},
    "BU03440203": {"huisarts": 12},
    "BU03440301": {"buurtteam": 20, "overig": 4},
    "BU03440302": {"buurtteam": 5},
}  # BU03440303: nobody lives there


# ---------------------------------------------------------------- the raw tables, by hand


def test_route_tables_by_hand() -> None:
    tables, df_b, _ = build(routes_text(HAND))
    b = tables.buurt.set_index(["buurtcode", "verwijzer"])
    assert len(tables.buurt) == 9 * 6  # every buurt × route, one period, one care type
    assert b.loc[("BU03440101", "buurtteam"), "aantal"] == 6
    assert b.loc[("BU03440101", "jeugdarts"), "aantal"] == 0  # not named where others are: 0
    assert b.loc[("BU03440101", "huisarts"), "totaal"] == 10
    assert b.loc[("BU03440101", "huisarts"), "aandeel"] == pytest.approx(0.3)
    assert (b.loc["BU03440303", "aantal"] == 0).all()  # nobody lives there
    assert math.isnan(b.loc[("BU03440303", "buurtteam"), "aandeel"])  # no share of nothing
    assert b.loc[("BU03440202", "buurtteam"), "provider"] == "Spoor030"
    w = tables.wijk.set_index(["wijkcode", "verwijzer"])["aantal"]
    assert [w[("WK034401", r)] for r in REFERRALS] == [18, 15, 0, 1, 0, 0]
    assert [w[("WK034402", r)] for r in REFERRALS] == [17, 12, 2, 0, 0, 0]
    assert [w[("WK034403", r)] for r in REFERRALS] == [25, 0, 0, 0, 0, 4]
    assert tables.wijk.set_index(["wijkcode", "verwijzer"]).loc[("WK034401", "buurtteam"), "aandeel"] == pytest.approx(
        18 / 34
    )
    # KOOS = wijk 01 + wijk 02 without r2c2; Spoor030 = wijk 03 + r2c2.
    p = tables.provider.set_index(["provider", "verwijzer"])["aantal"]
    assert [p[("KOOS", r)] for r in REFERRALS] == [26, 27, 0, 1, 0, 0]
    assert [p[("Spoor030", r)] for r in REFERRALS] == [34, 0, 2, 0, 0, 4]
    assert tables.provider.set_index(["provider", "verwijzer"]).loc[("KOOS", "buurtteam"), "totaal"] == 54
    # The routes are the count of specialistisch in the caseload table.
    spec = df_b[df_b["soort"] == "specialistisch"].set_index("buurtcode")["aantal"]
    assert spec.to_dict() == {**{c: sum(r.values()) for c, r in HAND.items()}, "BU03440303": 0}


def test_a_buurt_without_route_rows_has_unknown_routes_and_so_has_its_wijk() -> None:
    text = "buurtcode;periode;verwijzer;specialistisch\nBU03440101;2024;GP;3\nBU03440102;2024;;7\nBU03440201;2024;;0"
    tables, _, _ = build(text)
    b = tables.buurt.set_index(["buurtcode", "verwijzer"])
    assert b.loc[("BU03440101", "huisarts"), "aantal"] == 3
    assert pd.isna(b.loc[("BU03440102", "huisarts"), "aantal"])  # a count but no routes: unknown
    assert b.loc[("BU03440102", "huisarts"), "totaal"] == 7
    assert b.loc[("BU03440201", "huisarts"), "aantal"] == 0  # no specialist care: every route 0
    assert pd.isna(b.loc[("BU03440103", "buurtteam"), "aantal"])  # not mentioned at all: unknown
    w = tables.wijk.set_index(["wijkcode", "verwijzer"])["aantal"]
    assert pd.isna(w[("WK034401", "huisarts")])


def test_no_routes_no_tables() -> None:
    tables, _, _ = build("buurtcode;periode;specialistisch\nBU03440101;2024;3")
    assert tables.buurt.empty
    assert tables.wijk.empty
    assert tables.provider.empty


# ---------------------------------------------------------------- the naive audit of everything published


def audit(
    tables: ReferralTables,
    df_b: pd.DataFrame,
    df_w: pd.DataFrame,
    caseloads: ProtectedCaseloads,
    routes: ProtectedReferrals,
) -> list[str]:
    """Every '<5' of either table whose value follows from everything published, by integer programming.

    Built from scratch: the raw tables give the true values, the published marks what an attacker sees; the
    relations are every sum there is (areas, providers, routes = care-type count) and type ≤ totaal.
    """
    names: list[str] = []
    values: list[float] = []
    reasons: list[str] = []
    table_of: list[str] = []
    where: dict[tuple[str, ...], int] = {}

    def add(key: tuple[str, ...], value: float, reason: str, table: str) -> None:
        where[key] = len(values)
        names.append("/".join(key))
        values.append(float(value))
        reasons.append(reason)
        table_of.append(table)

    gm_rows = df_w.groupby(["periode", "soort"], as_index=False)["aantal"].sum()
    for frame, published, key in (
        (df_b, caseloads.buurt, "buurtcode"),
        (df_w, caseloads.wijk, "wijkcode"),
        (gm_rows.assign(gemeentecode="GM0344"), caseloads.gemeente, "gemeentecode"),
    ):
        reason = published.set_index([key, "periode", "soort"])["aantal__reden"]
        for code, periode, soort, n in zip(frame[key], frame["periode"], frame["soort"], frame["aantal"], strict=True):
            add(("cl", code, periode, soort), n, reason[(code, periode, soort)], f"cl/{periode}/{soort}")
    raw = {
        "buurt": tables.buurt,
        "wijk": tables.wijk,
        "provider": tables.provider,
        "gemeente": tables.wijk.groupby(["periode", "soort", "verwijzer"], as_index=False)["aantal"]
        .sum()
        .assign(gemeentecode="GM0344"),
    }
    keys = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode", "provider": "provider"}
    for level, frame in raw.items():
        key = keys[level]
        published = getattr(routes, level).set_index([key, "periode", "soort", "verwijzer"])
        for code, periode, soort, route, n in zip(
            frame[key], frame["periode"], frame["soort"], frame["verwijzer"], frame["aantal"], strict=True
        ):
            add(
                ("rt", code, periode, soort, route),
                n,
                published.loc[(code, periode, soort, route), "aantal__reden"],
                f"rt/{periode}/{soort}/{route}",
            )
        if level == "provider":
            for (code, periode, soort), part in frame.groupby(["provider", "periode", "soort"]):
                mark = published.loc[(code, periode, soort, "buurtteam"), "totaal__reden"]
                add(("pt", code, periode, soort), part["aantal"].sum(), mark, "provider totals")
    eq: list[tuple[int, list[int]]] = []
    ineq: list[tuple[list[int], list[int]]] = []
    buurten, _ = grid()
    provider_of = dict(zip(buurten["buurtcode"], buurten["provider"], strict=True))
    for (kind, code, periode, soort, *rest), i in list(where.items()):
        route = rest[0] if rest else None
        tail = (periode, soort, route) if route else (periode, soort)
        if code.startswith("WK"):
            eq.append((i, [where[(kind, b, *tail)] for b in buurten.loc[buurten["wijkcode"] == code, "buurtcode"]]))
        if code == "GM0344":
            eq.append((i, [where[(kind, w, *tail)] for w in ("WK034401", "WK034402", "WK034403")]))
        if kind == "rt" and code in ("KOOS", "Spoor030"):
            eq.append((i, [where[(kind, b, *tail)] for b, p in provider_of.items() if p == code]))
        if kind in ("cl", "pt") and ("rt", code, periode, soort, REFERRALS[0]) in where:
            eq.append((i, [where[("rt", code, periode, soort, r)] for r in REFERRALS]))
        if kind == "cl" and soort == "totaal":
            types = [where[("cl", code, periode, s)] for s in CARE if ("cl", code, periode, s) in where]
            ineq += [([t], [i]) for t in types]
            if len(types) == len(CARE):
                ineq.append(([i], types))
    hidden_zero = {t for t, v, r in zip(table_of, values, reasons, strict=True) if v == 0 and r == PRIMARY}
    ranges = milp_ranges(values, reasons, eq, ineq, may_be_zero=[t in hidden_zero for t in table_of])
    return [names[i] for i, (lo, hi) in ranges.items() if reasons[i] == PRIMARY and hi <= lo]


def no_small_count_published(routes: ProtectedReferrals) -> None:
    for level in ("buurt", "wijk", "gemeente", "provider"):
        table = getattr(routes, level)
        for column in ("aantal", "totaal"):
            shown = table[column].dropna()
            assert not ((shown >= 1) & (shown < T)).any(), (level, column)


# ---------------------------------------------------------------- protection, by hand


def test_a_lone_small_route_hides_its_smallest_sibling_at_every_level() -> None:
    # Only r1c1 has specialist care: 12 = buurtteam 8 + huisarts 4. Its wijk, the city and KOOS show the same
    # counts, so at every level huisarts 4 would follow from 12 − 8: buurtteam is hidden with it (•).
    tables, df_b, df_w = build(routes_text({"BU03440101": {"buurtteam": 8, "huisarts": 4}}))
    caseloads, routes = protect(tables, df_b, df_w)
    for level, code in (("buurt", "BU03440101"), ("wijk", "WK034401"), ("gemeente", "GM0344"), ("provider", "KOOS")):
        key = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode", "provider": "provider"}[level]
        t = getattr(routes, level)
        t = t[t[key] == code].set_index("verwijzer")
        assert t.loc["huisarts", "aantal__reden"] == PRIMARY, level
        assert t.loc["buurtteam", "aantal__reden"] == SECONDARY, level
        assert (t.loc[["jeugdarts", "save", "medisch_specialist", "overig"], "aantal"] == 0).all(), level
        assert t["totaal"].iloc[0] == 12, level  # the caseload count stays as the caseload table shows it
        assert t.loc[["buurtteam", "huisarts"], "aandeel"].isna().all(), level
        assert (t.loc[["jeugdarts", "save"], "aandeel"] == 0).all(), level
    assert audit(tables, df_b, df_w, caseloads, routes) == []


def test_shares_are_hidden_with_their_count_or_their_total() -> None:
    # Wijk 01: 10 + 3 + 10, all via the buurtteam. r1c2's caseload count 3 is <5, so its shares are hidden;
    # the caseload table hides r1c1's 10 too (• — else 23 − 10 − 10 gives the 3), so r1c1's shares are hidden
    # although its route counts are not small. r2c1: 7, all via the buurtteam, nothing small: 100%.
    tables, df_b, df_w = build(
        routes_text(
            {
                "BU03440101": {"buurtteam": 10},
                "BU03440102": {"buurtteam": 3},
                "BU03440103": {"buurtteam": 10},
                "BU03440201": {"buurtteam": 7},
                "BU03440301": {"buurtteam": 9},
            }
        )
    )
    caseloads, routes = protect(tables, df_b, df_w)
    b = routes.buurt.set_index(["buurtcode", "verwijzer"])
    assert b.loc[("BU03440102", "buurtteam"), "aantal__reden"] == PRIMARY
    assert b.loc[("BU03440102", "huisarts"), "totaal__reden"] == PRIMARY
    assert b.loc["BU03440102", "aandeel"].isna().all()
    assert b.loc["BU03440102", "aandeel__onderdrukt"].all()
    spec = caseloads.buurt[caseloads.buurt["soort"] == "specialistisch"].set_index("buurtcode")["aantal__reden"]
    assert spec["BU03440101"] == SECONDARY  # the smallest sibling, ties by code
    assert b.loc[("BU03440101", "huisarts"), "totaal__reden"] == SECONDARY
    assert b.loc["BU03440101", "aandeel"].isna().all()
    # r1c1's routes would add up to its hidden count: its 10 is hidden with it.
    assert b.loc[("BU03440101", "buurtteam"), "aantal__reden"] == SECONDARY
    assert b.loc[("BU03440201", "buurtteam"), "aandeel"] == 1.0
    assert b.loc[("BU03440201", "huisarts"), "aandeel"] == 0.0
    assert not b.loc["BU03440201", "aandeel__onderdrukt"].any()
    assert audit(tables, df_b, df_w, caseloads, routes) == []


def test_a_small_route_is_kept_from_its_wijk_total_by_a_second_buurt() -> None:
    # huisarts in wijk 01: 3 + 6 + 9 = 18. Shown next to 18, r1c2 and r1c3 would give r1c1's 3 away.
    text = routes_text(
        {
            "BU03440101": {"buurtteam": 20, "huisarts": 3, "overig": 2},
            "BU03440102": {"buurtteam": 20, "huisarts": 6},
            "BU03440103": {"buurtteam": 20, "huisarts": 9},
            "BU03440201": {"buurtteam": 30},
            "BU03440202": {"buurtteam": 30},
            "BU03440203": {"buurtteam": 30},
            "BU03440301": {"buurtteam": 30},
            "BU03440302": {"buurtteam": 30},
        }
    )
    tables, df_b, df_w = build(text)
    caseloads, routes = protect(tables, df_b, df_w)
    ha = routes.buurt[routes.buurt["verwijzer"] == "huisarts"].set_index("buurtcode")["aantal__reden"]
    assert ha["BU03440101"] == PRIMARY
    assert ha["BU03440102"] == SECONDARY  # the smallest sibling that helps
    assert ha["BU03440103"] == ""
    own = routes.buurt[routes.buurt["buurtcode"] == "BU03440101"].set_index("verwijzer")["aantal__reden"]
    assert own["overig"] == PRIMARY
    assert audit(tables, df_b, df_w, caseloads, routes) == []


def test_the_caseload_publication_is_not_changed() -> None:
    tables, df_b, df_w = build(routes_text(HAND))
    caseloads, routes = protect(tables, df_b, df_w)
    alone = protect_caseloads(df_b, df_w)
    for level in ("buurt", "wijk", "gemeente"):
        pd.testing.assert_frame_equal(getattr(caseloads, level), getattr(alone, level))
        published = getattr(routes, level)
        key = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode"}[level]
        spec = getattr(alone, level)
        spec = spec[spec["soort"] == "specialistisch"].set_index([key, "periode"])
        for code, periode, hidden in zip(
            published[key], published["periode"], published["totaal__onderdrukt"], strict=True
        ):
            assert bool(hidden) == bool(spec.loc[(code, periode), "aantal__onderdrukt"])
    assert audit(tables, df_b, df_w, caseloads, routes) == []
    no_small_count_published(routes)


# ---------------------------------------------------------------- property: nothing small is ever recoverable


@st.composite
def grid_routes(draw: st.DrawFn) -> dict[str, dict[str, int]]:
    out = {}
    for code in INHABITED:
        counts = [draw(st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 40))) for _ in REFERRALS]
        out[code] = {r: n for r, n in zip(REFERRALS, counts, strict=True) if n}
    return out


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(per_buurt=grid_routes())
def test_property_no_small_count_of_either_table_is_recoverable(per_buurt: dict[str, dict[str, int]]) -> None:
    assume(any(per_buurt.values()))
    tables, df_b, df_w = build(routes_text(per_buurt))
    caseloads, routes = protect(tables, df_b, df_w)
    no_small_count_published(routes)
    for level in ("buurt", "wijk", "gemeente", "provider"):
        t = getattr(routes, level)
        assert (t["aandeel__onderdrukt"] >= (t["aantal__onderdrukt"] | t["totaal__onderdrukt"])).all()
        assert t.loc[t["aandeel__onderdrukt"], "aandeel"].isna().all()
    assert audit(tables, df_b, df_w, caseloads, routes) == [], per_buurt


# ---------------------------------------------------------------- the dashboard's views


@pytest.mark.parametrize(
    ("counts", "hidden", "total", "expected"),
    [
        ({"buurtteam": 20, "huisarts": 8}, {}, 28, ("buurtteam", "")),
        ({"buurtteam": 8, "huisarts": 8}, {}, 16, (TIE, "")),
        ({"buurtteam": 6, "huisarts": np.nan}, {"huisarts": PRIMARY}, math.nan, ("buurtteam", "")),  # <5 cannot beat 6
        ({"buurtteam": 0, "huisarts": np.nan}, {"huisarts": PRIMARY}, math.nan, (None, PRIMARY)),
        ({"buurtteam": 6, "huisarts": np.nan}, {"huisarts": SECONDARY}, math.nan, (None, SECONDARY)),
        ({"buurtteam": 30, "huisarts": np.nan}, {"huisarts": SECONDARY}, 40, ("buurtteam", "")),  # • ≤ 40 − 30
        ({"buurtteam": 10, "huisarts": np.nan}, {"huisarts": SECONDARY}, 20, (None, SECONDARY)),  # • could be 10
        ({"buurtteam": 0, "huisarts": 0}, {}, 0, (None, "")),
    ],
)
def test_dominant_route_only_where_the_published_numbers_decide(
    counts: dict[str, float], hidden: dict[str, str], total: float, expected: tuple[str | None, str]
) -> None:
    assert dominant_route(counts, hidden, threshold=T, total=total) == expected


def test_summary_and_change_views_read_only_published_values() -> None:
    text = (
        routes_text(HAND, periode="2023")
        + "\n"
        + routes_text({**HAND, "BU03440102": {"buurtteam": 12, "huisarts": 3}}, periode="2024", header=False)
    )
    tables, df_b, df_w = build(text)
    _, routes = protect(tables, df_b, df_w)
    published = {f"referrals_{lv}": getattr(routes, lv) for lv in ("buurt", "wijk", "gemeente", "provider")}
    views = referral_views(published, threshold=T)
    assert set(views) == {
        f"referral_{kind}_{lv}" for kind in ("summary", "change") for lv in ("buurt", "wijk", "gemeente", "provider")
    }
    summary = views["referral_summary_buurt"].set_index(["buurtcode", "periode"])
    b = routes.buurt[routes.buurt["verwijzer"] == "buurtteam"].set_index(["buurtcode", "periode"])
    for key, row in summary.iterrows():
        assert (math.isnan(row["share_buurtteam"]) and math.isnan(b.loc[key, "aandeel"])) or row[
            "share_buurtteam"
        ] == b.loc[key, "aandeel"]
        assert bool(row["share_buurtteam__onderdrukt"]) == bool(b.loc[key, "aandeel__onderdrukt"])
    change = views["referral_change_buurt"].set_index("buurtcode")
    assert (change["periode_van"] == "2023").all()
    assert (change["periode_tot"] == "2024").all()
    for code, row in change.iterrows():
        van, tot = summary.loc[(code, "2023"), "share_buurtteam"], summary.loc[(code, "2024"), "share_buurtteam"]
        if row["change__onderdrukt"]:
            assert math.isnan(row["change"])
            assert (
                summary.loc[(code, "2023"), "share_buurtteam__onderdrukt"]
                or summary.loc[(code, "2024"), "share_buurtteam__onderdrukt"]
            )
        elif not math.isnan(van) and not math.isnan(tot):
            assert row["change"] == pytest.approx(tot - van)
    # r1c1 in 2023: buurtteam 6 shown, huisarts 3 and save 1 hidden (<5): together 10 − 6 = 4, so neither can
    # beat the 6 — buurtteam is the dominant route, though two routes are hidden.
    assert summary.loc[("BU03440101", "2023"), "dominant"] == "buurtteam"
    assert summary.loc[("BU03440101", "2023"), "share_buurtteam"] == pytest.approx(0.6)
    # r1c2 in 2024: buurtteam 12, huisarts 3: the 12 is hidden (•), else 15 − 12 gives the 3 away; then nothing
    # published says which route is larger, and the share via the buurtteam is hidden in 2024, so is its change.
    assert pd.isna(summary.loc[("BU03440102", "2024"), "dominant"])
    assert summary.loc[("BU03440102", "2024"), "dominant__reden"] == SECONDARY
    assert summary.loc[("BU03440302", "2024"), "dominant"] == "buurtteam"  # 5 of 5
    assert summary.loc[("BU03440302", "2024"), "share_buurtteam"] == 1.0
    assert change.loc["BU03440102", "change__onderdrukt"]


# ---------------------------------------------------------------- uploads: a user's own caseloads with routes


def _view_with(tables: dict[str, pd.DataFrame]) -> object:
    from views.data import AtlasView

    buurten, wijken = grid()
    return AtlasView(
        atlas_dir="",
        token="t",
        buurten=buurten,
        wijken=wijken,
        gemeenten=wijken.iloc[:0],
        tables=tables,
        teams=pd.DataFrame(),
        manifest={},
        layers={},
        center={},
        zoom=0.0,
    )


def test_an_upload_with_routes_replaces_the_atlas_routes_for_that_session_only() -> None:
    from dashboard.uploads import _caseloads_on
    from etl.care import validate_caseloads_frame

    buurten, wijken = grid()
    atlas_tables = {
        "referrals_buurt": pd.DataFrame({"buurtcode": ["BU03440101"], "aantal": [99.0]}),
        "referral_summary_buurt": pd.DataFrame({"buurtcode": ["BU03440101"]}),
        "coverage": pd.DataFrame(),
    }
    view = _view_with(atlas_tables)
    frame = validate_caseloads_frame(
        text_frame(routes_text(HAND)), name="mine.csv", gdf_buurten=buurten, gdf_wijken=wijken
    )
    assert set(frame.loc[frame["verwijzer"].notna(), "niveau"]) == {"buurt", "wijk", "provider"}
    mine = _caseloads_on(view, frame)  # type: ignore[arg-type]
    assert "coverage" in mine.tables
    for level in ("buurt", "wijk", "gemeente", "provider"):
        published = mine.tables[f"referrals_{level}"]
        assert "aantal__onderdrukt" in published.columns  # published, not raw
        shown = published["aantal"].dropna()
        assert not ((shown >= 1) & (shown < T)).any()
    assert 99.0 not in set(mine.tables["referrals_buurt"]["aantal"].dropna())
    assert {"referral_summary_buurt", "referral_change_buurt"} & set(mine.tables) == {"referral_summary_buurt"}
    caseloads = mine.tables["caseloads_buurt"]
    assert set(caseloads["soort"]) == {"specialistisch"}
    assert "verwijzer" not in caseloads.columns
    assert view.tables is atlas_tables  # the shared view is unchanged
    assert "aantal__onderdrukt" not in atlas_tables["referrals_buurt"]
    # An upload without routes: the atlas's routes do not belong to it, so none are shown.
    plain = validate_caseloads_frame(
        text_frame("buurtcode;periode;specialistisch\n" + "\n".join(f"{c};2024;7" for c in INHABITED)),
        name="plain.csv",
        gdf_buurten=buurten,
        gdf_wijken=wijken,
    )
    assert not any(k.startswith("referral") for k in _caseloads_on(view, plain).tables)  # type: ignore[arg-type]


def test_wijk_level_input_gives_wijk_city_and_provider_routes() -> None:
    text = (
        "wijkcode;periode;verwijzer;specialistisch\nWK034401;2024;buurtteam;30\nWK034401;2024;huisarts;3\n"
        "WK034402;2024;buurtteam;20\nWK034402;2024;GP;12\nWK034403;2024;overig;2\nWK034403;2024;buurtteam;8"
    )
    tables, df_b, df_w = build(text)
    assert tables.buurt.empty
    assert tables.wijk.set_index(["wijkcode", "verwijzer"]).loc[("WK034401", "huisarts"), "aandeel"] == pytest.approx(
        3 / 33
    )
    _, routes = protect(tables, df_b, df_w)
    assert routes.buurt.empty
    no_small_count_published(routes)
    w = routes.wijk.set_index(["wijkcode", "verwijzer"])
    assert w.loc[("WK034401", "huisarts"), "aantal__reden"] == PRIMARY
    assert w.loc[("WK034401", "buurtteam"), "aantal__reden"] == SECONDARY  # 33 − 30 would give the 3 away
    assert routes.gemeente["verwijzer"].tolist() == list(REFERRALS)
    views = referral_views(
        {f"referrals_{lv}": getattr(routes, lv) for lv in ("wijk", "gemeente", "provider")}, threshold=T
    )
    assert {"referral_summary_wijk", "referral_summary_gemeente", "referral_summary_provider"} <= set(views)
