"""The table page's 'Download CSV' is the export path: the same bytes as `buurtdekking export --format csv`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from care_grid import care_grid_atlas
from conftest import page_module

from cli.main import main
from geodata.errors import InputError
from reports.tables import read_back_csv
from views.data import AtlasView, build_view
from views.state import ViewState

FORMULA_NAME = '=HYPERLINK("http://evil.example";"klik")'


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return care_grid_atlas(
        tmp_path_factory.mktemp("grid") / "atlas", threshold=None, names={"BU99990101": FORMULA_NAME}
    )


@pytest.fixture
def view(grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AtlasView:
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    return build_view(grid, cache_dir=tmp_path / "cache")


def _table_csv(view: AtlasView, state: ViewState) -> tuple[str, bytes]:
    # The page module registers itself with Dash Pages: import it only once an app exists.
    from dashboard.app import create_app

    create_app(view.atlas_dir)
    tabel = page_module("tabel")
    return tabel.table_csv(view, state, area=tabel.table_area(view, None))  # type: ignore[no-any-return]


def test_download_equals_the_export_command(
    view: AtlasView, grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    name, data = _table_csv(view, ViewState(indicator="caseload"))
    out = tmp_path / "cli"
    assert (
        main(
            [
                "export",
                "--atlas",
                str(grid),
                "--area",
                "GM9999",
                "--indicator",
                "caseload",
                "--format",
                "csv",
                "--out",
                f"{out}/",
            ]
        )
        == 0
    )
    written = Path(capsys.readouterr().out.strip())
    assert name == written.name
    assert data == written.read_bytes()
    assert name == f"buurtdekking_GM9999_caseload_2024_{dt.datetime.now(dt.UTC).date().isoformat()}.csv"


def test_download_is_protected_dutch_excel_and_injection_safe(
    view: AtlasView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    for indicator in ("caseload", "caseload_rate"):
        name, data = _table_csv(view, ViewState(indicator=indicator))
        assert re.fullmatch(
            rf"buurtdekking_GM9999_{indicator.replace('_', '-')}_2024_\d{{4}}-\d{{2}}-\d{{2}}\.csv", name
        )
        assert data.startswith(b"\xef\xbb\xbf")  # BOM: Dutch Excel reads UTF-8
        text = data.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("Buurtcode;Buurtnaam;Wijkcode;Wijknaam;")
        table = read_back_csv(data).set_index("Buurtcode")
        values = table.iloc[:, 6]
        # Counts 3 and 2 are hidden (<5), their wijk partners too (•); nothing from 1 to 4 is left.
        assert values["BU99990102"] == "<5"
        assert values["BU99990203"] == "<5"
        assert not [v for v in values if re.fullmatch(r"[1-4]([.,]0*)?", v)]
        assert "beschermd" in table.loc["BU99990102", "Toelichting"]
        # The formula in a buurt name is neutralised with a leading apostrophe.
        assert table.loc["BU99990101", "Buurtnaam"] == "'" + FORMULA_NAME
    _, rates = _table_csv(view, ViewState(indicator="caseload_rate"))
    assert re.search(r";\d+,\d;", rates.decode("utf-8-sig"))  # decimal comma


def test_a_bad_period_is_a_message_not_a_file(view: AtlasView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    with pytest.raises(InputError) as err:
        _table_csv(view, ViewState(indicator="caseload", period="1999"))
    assert err.value.problems[0].code == "EXPORT_PERIOD"
