"""The map style: a complete offline MapLibre style whose glyph URL and font stacks point at committed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import mapstyle
from views import glyphs
from views import mapstyle as pure_mapstyle

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def test_white_style_has_no_sources_and_local_glyphs() -> None:
    style = mapstyle.map_style(glyphs="/assets/glyphs/{fontstack}/{range}.pbf")
    assert style["version"] == 8
    assert style["sources"] == {}
    assert style["layers"] == [{"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}}]
    assert style["glyphs"] == "/assets/glyphs/{fontstack}/{range}.pbf"
    assert "http" not in repr(style)  # nothing in the style points off-site


def test_tile_url_adds_a_raster_basemap_under_the_data() -> None:
    url = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    style = mapstyle.map_style(tile_url=url, tile_attribution="© voorbeeld", glyphs="/g/{fontstack}/{range}.pbf")
    assert style["sources"] == {
        "basemap": {"type": "raster", "tiles": [url], "tileSize": 256, "attribution": "© voorbeeld"}
    }
    assert [layer["id"] for layer in style["layers"]] == ["background", "basemap"]
    assert style["layers"][1]["source"] == "basemap"


def test_glyph_url_follows_the_apps_path_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    import dash._get_paths
    import dash._pages
    from dash import Dash

    # Dash keeps the last app's config in module globals: restore them after this test.
    monkeypatch.setattr(dash._get_paths, "CONFIG", dash._get_paths.CONFIG)
    monkeypatch.setattr(dash._pages, "CONFIG", dash._pages.CONFIG)
    Dash(__name__, url_base_pathname="/planner/")
    assert mapstyle.glyphs_url() == "/planner/assets/glyphs/{fontstack}/{range}.pbf"
    assert mapstyle.map_style()["glyphs"] == "/planner/assets/glyphs/{fontstack}/{range}.pbf"
    Dash(__name__)
    assert mapstyle.glyphs_url() == "/assets/glyphs/{fontstack}/{range}.pbf"


def test_glyph_url_without_a_dash_app_is_the_default_assets_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import dash._get_paths
    from dash._utils import AttributeDict

    monkeypatch.setattr(dash._get_paths, "CONFIG", AttributeDict())
    assert mapstyle.glyphs_url() == "/assets/glyphs/{fontstack}/{range}.pbf"


@pytest.mark.parametrize("bold", [False, True])
def test_text_font_names_a_committed_font_stack(bold: bool) -> None:
    font = mapstyle.text_font(size=13, bold=bold)
    assert font["size"] == 13
    folder = ASSETS / mapstyle.GLYPHS_PATH.split("/")[0] / font["family"]
    for start in glyphs.DEFAULT_RANGES:
        assert (folder / f"{start}-{start + 255}.pbf").is_file()


def test_the_dash_free_style_falls_back_to_dashs_default_assets_path() -> None:
    assert pure_mapstyle.map_style()["glyphs"] == "/assets/glyphs/{fontstack}/{range}.pbf"
    assert mapstyle.map_style(glyphs="/x/{fontstack}/{range}.pbf") == pure_mapstyle.map_style(
        glyphs="/x/{fontstack}/{range}.pbf"
    )
