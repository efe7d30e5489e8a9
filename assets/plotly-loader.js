/* buurtdekking: plotly.js early, and only our partial bundle (assets/vendor, built from dashboard/plotlyjs).
 *
 * Dash's Graph loads the full plotly.min.js (4.8 MB; over a second of start-up on a modest machine) only
 * once a graph has mounted, after the layout came back. Instead:
 * - the page's <head> preloads our bundle (link#plotly-bundle), so it downloads with Dash's own scripts;
 * - the URL dcc.Graph would load plotly.js from names our bundle, so whatever loads plotly.js loads that one
 *   (assets/early/dash-internals.js: that URL is Dash's internal);
 * - the renderer's layout_pre hook starts it while the layout request is on its way, so that the server's
 *   time to render the page and plotly.js's start-up overlap. Meanwhile window.Plotly is a promise of it:
 *   Dash's Graph waits on a window.Plotly that is set, so plotly.js is never loaded twice.
 * Without the link (the bundle was not built) nothing changes and Dash loads its own plotly.min.js.
 */
(function () {
  "use strict";
  var link = document.getElementById("plotly-bundle");
  if (!link) {
    window.buurtdekkingLoadPlotly = function () {};
    return;
  }
  var url = link.href;
  window.buurtdekkingInternals.pinPlotlyURL(url);
  window.buurtdekkingLoadPlotly = function () {
    if (window.Plotly) {
      return;
    }
    window.Plotly = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.async = true;
      // The bundle's own `var Plotly` replaces this promise with the library before onload runs.
      script.onload = function () { resolve(window.Plotly); };
      script.onerror = function (err) {
        window.Plotly = undefined;
        reject(err);
      };
      document.head.appendChild(script);
    });
  };
})();
