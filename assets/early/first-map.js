/* buurtdekking: the map page's first map, drawn before Dash starts (see dashboard/first_paint.py).
 *
 * The page's HTML holds the page as static HTML (div#first-paint), the map's figure as JSON and Dash's
 * scripts made inert (type "buurtdekking/deferred"). This script draws the map into the static page, then
 * loads and runs Dash's scripts in their order: on one main thread (and two cores), Dash starting or even
 * downloading while MapLibre draws would hold up both. When Dash has rendered the page, the drawn map
 * moves into Dash's map host (#kaart-graph) and the static copy goes, in one step before the next paint.
 */
(function () {
  "use strict";
  var DEFERRED = "buurtdekking/deferred";
  var MAX_WAIT_MS = 4000; // the controls never wait longer than this on a slow map
  var started = false;
  // When the map was drawn and when Dash's scripts started (ms after navigation), for tests and the benchmark.
  var stamps = window.buurtdekkingFirstPaint = { drawn: null, dash: null };

  function runDash() {
    if (started) {
      return;
    }
    if (document.readyState === "loading") {
      // Dash's scripts come after this one in the page: wait until the parser has reached them.
      document.addEventListener("DOMContentLoaded", runDash);
      return;
    }
    started = true;
    stamps.dash = performance.now();
    var scripts = Array.prototype.slice.call(document.querySelectorAll('script[type="' + DEFERRED + '"]'));
    function revive(inert) {
      var script = document.createElement("script");
      if (inert.id) {
        script.id = inert.id;
        inert.removeAttribute("id");
      }
      if (inert.hasAttribute("src")) {
        script.src = inert.src;
        script.async = false; // downloaded together, run in the order inserted
      } else {
        script.textContent = inert.textContent; // runs on insertion: only after the files before it
      }
      inert.parentNode.replaceChild(script, inert);
      return script;
    }
    (function next(i) {
      var last = null;
      while (i < scripts.length && scripts[i].hasAttribute("src")) {
        last = revive(scripts[i++]);
      }
      if (last) {
        last.onload = last.onerror = function () { next(i); };
        return;
      }
      if (i < scripts.length) {
        revive(scripts[i]);
        next(i + 1);
      }
    })(0);
  }

  /* Once Dash has rendered its page: the drawn map into Dash's host, the static page out. */
  function handOver(gd) {
    var entry = document.getElementById(window.buurtdekkingInternals.appEntryId);
    var skeleton = document.getElementById("first-paint");
    if (!entry || !skeleton) {
      return;
    }
    var observer = new MutationObserver(function () {
      if (!entry.querySelector(".site-header")) {
        return;
      }
      observer.disconnect();
      var host = document.getElementById("kaart-graph");
      if (host && gd && !host.firstChild) {
        host.appendChild(gd);
        gd.setAttribute("data-first-paint", "true");
      }
      skeleton.parentNode.removeChild(skeleton);
    });
    observer.observe(entry, { childList: true, subtree: true });
  }

  var data = document.getElementById("first-map-figure");
  var host = document.getElementById("first-map-host");
  if (!data || !host || !window.Plotly || !window.Plotly.newPlot) {
    handOver(null);
    runDash();
    return;
  }
  window.setTimeout(runDash, MAX_WAIT_MS);
  var gd = document.createElement("div");
  host.appendChild(gd);
  handOver(gd);
  try {
    var spec = JSON.parse(data.textContent);
    window.Plotly.newPlot(gd, spec.data, spec.layout, spec.config).then(function () {
      // A click or pan before Dash is ready is kept for assets/map.js, which passes it on once it listens.
      gd.on("plotly_click", function (event) { stamps.click = event; });
      gd.on("plotly_relayout", function (event) { stamps.relayout = event; });
      var map = window.buurtdekkingInternals.mapOf(gd);
      var drawn = function () {
        stamps.drawn = performance.now();
        runDash();
      };
      if (!map || (map.loaded() && map.areTilesLoaded())) {
        drawn();
      } else {
        map.once("idle", drawn);
      }
    }, runDash);
  } catch (err) {
    runDash();
    throw err;
  }
})();
