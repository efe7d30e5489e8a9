/* buurtdekking: the map page's map, drawn with plotly.js outside Dash's Graph (see dashboard/first_paint.py).
 *
 * The figure lives in a dcc.Store (#kaart-figure; the server patches it as dcc.Graph's figure would be);
 * drawMap draws it into the host element, which is first the map drawn by the page's HTML. Clicks and
 * pans reach the server as the stores #kaart-click and #kaart-view, shaped like dcc.Graph's clickData
 * and relayoutData.
 */
(function () {
  "use strict";
  var CLICK_ID = "kaart-click";
  var VIEW_ID = "kaart-view";

  function plotly() {
    if (!window.Plotly && window.buurtdekkingLoadPlotly) {
      window.buurtdekkingLoadPlotly();
    }
    return Promise.resolve(window.Plotly);
  }

  /* A click's points without plotly's internal objects (as dcc.Graph's clickData). */
  function clickData(gd, event) {
    return {
      points: event.points.map(function (full) {
        var point = {};
        Object.keys(full).forEach(function (key) {
          var value = full[key];
          if (value === null || typeof value !== "object") {
            point[key] = value;
          }
        });
        if (full.bbox) {
          point.bbox = full.bbox;
        }
        var trace = gd.data[point.curveNumber];
        if (trace && trace.customdata && point.pointNumber !== undefined) {
          point.customdata = trace.customdata[point.pointNumber];
        }
        return point;
      })
    };
  }

  function listen(gd) {
    if (gd._buurtdekkingListening) {
      return;
    }
    gd._buurtdekkingListening = true;
    gd.on("plotly_click", function (event) {
      window.dash_clientside.set_props(CLICK_ID, { data: clickData(gd, event) });
    });
    gd.on("plotly_relayout", function (event) {
      window.dash_clientside.set_props(VIEW_ID, { data: event });
    });
    var early = window.buurtdekkingFirstPaint;
    if (early && gd.dataset.firstPaint) {
      if (early.relayout) {
        window.dash_clientside.set_props(VIEW_ID, { data: early.relayout });
      }
      if (early.click) {
        window.dash_clientside.set_props(CLICK_ID, { data: clickData(gd, early.click) });
      }
      early.click = early.relayout = null;
    }
  }

  /* The first figure Dash gives the map drawn from the page's HTML: the same one, unless the atlas changed. */
  function sameAsFirstPaint(gd, spec) {
    if (!gd.dataset.firstPaint || gd._buurtdekkingDrawn) {
      return false;
    }
    gd._buurtdekkingDrawn = true;
    var first = document.getElementById("first-map-figure");
    return !!first && JSON.stringify(JSON.parse(first.textContent)) === JSON.stringify(spec);
  }

  var ns = window.dash_clientside = window.dash_clientside || {};
  ns.buurtdekking = ns.buurtdekking || {};
  ns.buurtdekking.drawMap = function (spec, hostId) {
    var host = document.getElementById(hostId);
    if (!spec || !host) {
      return window.dash_clientside.no_update;
    }
    var gd = host.querySelector(".js-plotly-plot");
    if (!gd) {
      gd = document.createElement("div");
      host.appendChild(gd);
    } else if (sameAsFirstPaint(gd, spec)) {
      // Plotly.react would update every trace (new arrays) and MapLibre would draw the same map again.
      listen(gd);
      return Date.now();
    }
    return plotly().then(function (Plotly) {
      return Plotly.react(gd, spec.data, spec.layout, spec.config);
    }).then(function () {
      listen(gd);
      var size = window.buurtdekkingInternals.drawnSize(gd);
      if (size && (size.width !== host.clientWidth || size.height !== host.clientHeight)) {
        window.Plotly.Plots.resize(gd);
      }
      return Date.now();
    });
  };
})();
