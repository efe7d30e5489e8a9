"""The care stage in the build and the `validate` command: files, demo, all-or-nothing, and the default Utrecht atlas."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from conftest import REPO, grid_buurten

from cli.main import main
from etl.atlas import read_atlas
from etl.protect import DEFAULT_THRESHOLD, protect_caseloads

EXAMPLES = REPO / "examples"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.fixture
def grid_gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "grid_2024.gpkg"
    pyogrio.write_dataframe(grid_buurten(), path, layer="buurten")
    return path


def test_bad_care_file_leaves_the_previous_atlas_untouched(
    grid_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "teams.csv"
    good.write_text(
        "team_id;naam;organisatie;soort;buurtcode;capaciteit_fte\nT1;Team;Lokalis;buurtteam;BU99990202;10\n",
        encoding="utf-8",
    )
    out = tmp_path / "atlas"
    base = [
        "build",
        "--boundaries",
        str(grid_gpkg),
        "--gemeente",
        "GM9999",
        "--no-statistics",
        "--out",
        str(out),
        "--quiet",
    ]
    code, _, err = run([*base, "--teams", str(good)], capsys)
    assert code == 0, err
    before = _digest(out)
    assert read_atlas(out, layers=["teams"])["teams"]["buurtcode"].tolist() == ["BU99990202"]

    bad_teams = tmp_path / "teams_bad.csv"
    bad_teams.write_text(
        "team_id;naam;organisatie;soort;buurtcode;capaciteit_fte\nT1;Team;Lokalis;buurtteam;BU99990202;10\n"
        "T2;Team 2;Lokalis;buurtteam;BU99999999;10\n",
        encoding="utf-8",
    )
    bad_caseloads = tmp_path / "caseloads_bad.csv"
    bad_caseloads.write_text("buurtcode;periode;totaal\nBU99990101;2024;-3\n", encoding="utf-8")
    code, _, err = run([*base, "--teams", str(bad_teams), "--caseloads", str(bad_caseloads)], capsys)
    assert code == 1
    assert "CODE_UNKNOWN" in err
    assert "teams_bad.csv" in err
    assert "rij/row 3" in err
    assert "COUNT_NEGATIVE" in err
    assert "caseloads_bad.csv" in err
    assert _digest(out) == before  # not a byte changed, no stray temporary files


def test_build_with_files_and_without_demo(grid_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    caseloads = tmp_path / "c.csv"
    caseloads.write_text(
        "buurtcode;periode;totaal;buurtteam\n"
        + "".join(f"BU9999{r:02d}{c:02d};2024;{r * c};{r * c}\n" for r in (1, 2, 3) for c in (1, 2, 3)),
        encoding="utf-8",
    )
    providers = tmp_path / "p.csv"
    providers.write_text("wijkcode;aanbieder\nWK999901;KOOS\nWK999902;Spoor030\nWK999903;Zorg Oost\n", encoding="utf-8")
    out = tmp_path / "atlas"
    code, _, err = run(
        [
            "build",
            "--boundaries",
            str(grid_gpkg),
            "--gemeente",
            "GM9999",
            "--no-statistics",
            "--out",
            str(out),
            "--quiet",
            "--caseloads",
            str(caseloads),
            "--providers",
            str(providers),
            "--known-provider",
            "Zorg Oost",
            "--no-demo",
        ],
        capsys,
    )
    assert code == 0, err
    atlas = read_atlas(out)
    assert "teams" not in atlas.layers
    b = atlas["caseloads_buurt"]
    assert b["aantal"].sum() == 2 * sum(r * c for r in (1, 2, 3) for c in (1, 2, 3))  # totaal and buurtteam
    assert atlas["wijken"]["provider"].tolist() == ["KOOS", "Spoor030", "Zorg Oost"]
    care = atlas.manifest["care"]
    assert care["caseloads"]["is_demo"] is False
    assert care["threshold"] == DEFAULT_THRESHOLD
    assert atlas.manifest["demo"] is False
    kinds = {i["kind"]: i for i in atlas.manifest["inputs"]}
    assert kinds["caseloads"]["sha256"] == hashlib.sha256(caseloads.read_bytes()).hexdigest()
    assert kinds["providers"]["name"] == "p.csv"


def test_threshold_flag_is_recorded(grid_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "atlas"
    code, _, err = run(
        [
            "build",
            "--boundaries",
            str(grid_gpkg),
            "--gemeente",
            "GM9999",
            "--no-statistics",
            "--out",
            str(out),
            "--quiet",
            "--threshold",
            "10",
        ],
        capsys,
    )
    assert code == 0, err
    assert read_atlas(out, layers=["buurten"]).manifest["care"]["threshold"] == 10
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--threshold", "1", "--out", str(out)])
    assert exit_.value.code == 2
    assert "≥ 2" in capsys.readouterr().err


# ---------------------------------------------------------------- validate command


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("teams", "teams.csv"),
        ("teams", "teams_postcode.csv"),
        ("providers", "providers.csv"),
        ("caseloads", "caseloads_wide.csv"),
        ("caseloads", "caseloads_long.tsv"),
    ],
)
def test_examples_are_valid(kind: str, name: str, default_atlas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", kind, str(EXAMPLES / name), "--atlas", str(default_atlas)], capsys)
    assert code == 0, out + err
    assert "geldig / valid" in out


def test_validate_reports_each_problem_once_per_line_and_as_json(
    default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "caseloads.csv"
    bad.write_text("buurtcode;periode;totaal\nBU03440111;2024;3,5\nLombok;2024;<5\n", encoding="utf-8")
    code, out, _ = run(["validate", "caseloads", str(bad), "--atlas", str(default_atlas)], capsys)
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{bad}, rij/row 2, kolom/column totaal: [COUNT_NOT_INTEGER]")
    assert "Lombok-Oost" in out  # the suggestion for a name that is not one buurt
    code, out, _ = run(["validate", "caseloads", str(bad), "--atlas", str(default_atlas), "--json"], capsys)
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    assert report["reference"]["year"] == 2024
    assert [p["code"] for p in report["problems"]] == ["COUNT_NOT_INTEGER", "CODE_INVALID", "COUNT_SUPPRESSED"]
    assert {"file", "row", "column", "code", "nl", "en"} <= set(report["problems"][0])


def test_validate_without_an_atlas_uses_the_default_boundaries_and_says_so(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUURTDEKKING_ATLAS", raising=False)
    code, out, err = run(
        ["validate", "providers", str(EXAMPLES / "providers.csv"), "--data-dir", str(data_dir)], capsys
    )
    assert code == 0, out + err
    assert "standaardgrenzen 2024" in err
    assert "default boundaries 2024" in err
    code, _, err = run(
        ["validate", "providers", str(EXAMPLES / "providers.csv"), "--atlas", str(tmp_path / "none")], capsys
    )
    assert code == 1
    assert "ATLAS_MISSING" in err


# ---------------------------------------------------------------- the default Utrecht atlas (real boundaries, demo care)


@pytest.mark.integration
def test_default_atlas_provider_matches_the_contract_in_all_10_wijken(default_atlas: Path, data_dir: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["buurten", "wijken"])
    facts = pd.read_csv(data_dir / "facts" / "utrecht_wijk_provider_2020.csv", dtype=str)
    wijken = atlas["wijken"].set_index("wijkcode")
    matches = sum(wijken.at[w, "provider"] == p for w, p in zip(facts["wijkcode"], facts["provider"], strict=True))
    assert matches == len(facts) == 10
    buurten = atlas["buurten"]
    inhabited = buurten["aantal_inwoners"].fillna(1) > 0
    assert buurten.loc[inhabited, "provider"].notna().all()
    assert (buurten["provider"] == buurten["wijkcode"].map(wijken["provider"])).all()
    assert buurten["provider_bron"].str.startswith("wijk: contract 2020").all()


@pytest.mark.integration
def test_default_atlas_has_the_demo_teams_and_says_they_are_fictitious(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["teams", "wijken"])
    teams = atlas["teams"]
    assert teams.crs.to_epsg() == 28992
    assert set(teams.geom_type) == {"Point"}
    assert teams["is_demo"].all()
    assert (teams["locatie_bron"] == "buurtcode").all()
    assert teams.groupby(["organisatie", "soort"]).size().to_dict() == {
        ("KOOS", "specialistisch"): 4,
        ("Lokalis", "buurtteam"): 18,
        ("Spoor030", "specialistisch"): 6,
    }
    provider = atlas["wijken"].set_index("wijkcode")["provider"]
    spec = teams[teams["soort"] == "specialistisch"]
    assert (spec["wijkcode"].map(provider) == spec["organisatie"]).all()  # each consortium in its own wijken
    assert spec["wijkcode"].nunique() == 10
    assert teams["team_id"].is_unique
    assert (teams["capaciteit_fte"] > 0).all()
    assert atlas.manifest["demo"] is True
    assert atlas.manifest["care"]["demo"]["fictitious"] is True
    assert atlas.manifest["care"]["teams"]["is_demo"] is True


@pytest.mark.integration
def test_default_atlas_caseloads_are_12_percent_of_youth_with_visible_suppression(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["caseloads_buurt", "caseloads_wijk"])
    b, w = atlas["caseloads_buurt"], atlas["caseloads_wijk"]
    assert sorted(b["periode"].unique()) == ["2023", "2024"]
    assert set(b["soort"]) == {"buurtteam", "specialistisch", "verblijf", "jeugdbescherming", "totaal"}
    assert len(b) == 111 * 2 * 5
    total = b[(b["soort"] == "totaal") & (b["periode"] == "2024")]
    share = total["aantal"].sum() / total["youth_population"].sum()
    assert 0.11 < share < 0.13
    assert ((b["aantal"] >= 1) & (b["aantal"] <= 4)).sum() > 50  # small counts exist, so suppression shows
    sums = (
        b.assign(wijkcode=b["buurtcode"].str.replace("BU", "WK").str[:8])
        .groupby(["wijkcode", "periode", "soort"])["aantal"]
        .sum()
    )
    assert (w.set_index(["wijkcode", "periode", "soort"])["aantal"] == sums).all()
    protected = protect_caseloads(b, w)
    for table in (protected.buurt, protected.wijk, protected.gemeente):
        shown = table["aantal"].dropna()
        assert not ((shown >= 1) & (shown <= 4)).any()
    reasons = protected.buurt["aantal__reden"].value_counts().to_dict()
    assert reasons.get("primair", 0) > 50
    assert reasons.get("secundair", 0) > 0
