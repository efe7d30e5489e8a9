/* buurtdekking: every touch of Dash's and plotly.js's internals in the browser, in one place.
 *
 * Why they are needed, and their Python side: dashboard/dash_internals.py. Nothing here is public API of
 * Dash or plotly.js; everything else in assets/ goes through window.dash_clientside, Plotly.newPlot/react,
 * Plotly.Plots.resize and a graph's own events. Checked against Dash 4.4.1 (its dcc Graph, Dropdown,
 * RadioItems and Checklist) and plotly.js 4.1.1 (assets/vendor); tests/test_dash_internals.py fails when
 * these names are gone from the installed bundles, and when another asset uses them.
 *
 * Loaded first in every page's <head> (dashboard/app.py), before Dash and before our other scripts.
 */
(function () {
  "use strict";
  window.buurtdekkingInternals = {
    checked: { dash: "4.4.1", plotlyjs: "4.1.1" },

    /* dcc.Graph loads plotly.js from window._dashPlotlyJSURL when window.Plotly is not there yet, and sets
     * that global to Dash's full plotly.min.js when it mounts: pinned to our bundle, it loads only that. */
    pinPlotlyURL: function (url) {
      Object.defineProperty(window, "_dashPlotlyJSURL", {
        configurable: true,
        get: function () { return url; },
        set: function () {},
      });
    },

    /* The MapLibre map of a drawn figure's map subplot, null without one: plotly.js has no public way to
     * ask whether the map's tiles are loaded. */
    mapOf: function (gd) {
      var full = gd && gd._fullLayout;
      var sub = full && full.map && full.map._subplot;
      return (sub && sub.map) || null;
    },

    /* The size plotly.js last laid the figure out at, null before it was drawn. */
    drawnSize: function (gd) {
      var full = gd && gd._fullLayout;
      return full ? { width: full.width, height: full.height } : null;
    },

    /* The element Dash renders its layout into (its page template's app_entry). */
    appEntryId: "react-entry-point",

    /* Class names dcc's components render (not their props), for the repairs of assets/a11y.js. */
    dropdown: {
      wrapper: ".dash-dropdown-wrapper",
      focusTarget: ".dash-dropdown-focus-target",
      button: "button.dash-dropdown",
    },
    optionLists: [".dash-radioitems", ".dash-checklist"],
  };
})();
