"""The naive baseline of the dashboard benchmark: plotly express `choropleth_map` on the unsimplified atlas geometry.

What a first Dash app does: the whole GeoJSON (full precision, every vertex) inside the figure, the figure
rebuilt by every indicator switch, the Flask server without compression. Served by gunicorn like ours:
``BUURTDEKKING_ATLAS=… gunicorn bench.dashboard_naive:server``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import geopandas as gpd
import plotly.express as px
from dash import Dash, Input, Output, dcc, html

from etl.atlas import read_atlas

INDICATORS = ("youth_population", "aantal_inwoners")


def _frame() -> gpd.GeoDataFrame:
    atlas = read_atlas(os.environ["BUURTDEKKING_ATLAS"], layers=["buurten"])
    gdf = atlas["buurten"]
    assert isinstance(gdf, gpd.GeoDataFrame)
    return gdf.to_crs("EPSG:4326")


def figure(gdf: gpd.GeoDataFrame, column: str) -> Any:
    geojson = json.loads(gdf[["buurtcode", "geometry"]].to_json())
    bounds = gdf.total_bounds
    return px.choropleth_map(
        gdf,
        geojson=geojson,
        locations="buurtcode",
        featureidkey="properties.buurtcode",
        color=column,
        hover_name="buurtnaam",
        map_style="white-bg",
        zoom=10.5,
        center={"lon": (bounds[0] + bounds[2]) / 2, "lat": (bounds[1] + bounds[3]) / 2},
    )


def create_app() -> Dash:
    gdf = _frame()
    columns = [c for c in INDICATORS if c in gdf.columns]
    app = Dash(__name__, serve_locally=True)
    app.layout = html.Div(
        [
            dcc.Dropdown(id="indicator", options=columns, value=columns[0], clearable=False),
            dcc.Graph(id="map", figure=figure(gdf, columns[0]), style={"height": "80vh"}),
        ]
    )

    @app.callback(Output("map", "figure"), Input("indicator", "value"), prevent_initial_call=True)
    def switch(column: str) -> Any:
        return figure(gdf, column)

    return app


server = create_app().server if "BUURTDEKKING_ATLAS" in os.environ else None
