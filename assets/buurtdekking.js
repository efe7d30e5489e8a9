/* buurtdekking: clientside helpers. The view state lives in the URL query string (the shareable link). */
(function () {
  "use strict";
  var URL_ID = "app-url";

  function currentParams() {
    return new URLSearchParams(window.location.search);
  }

  function pushSearch(params) {
    var text = params.toString();
    var search = text ? "?" + text : "";
    if (search !== window.location.search) {
      // The Location component pushes a history entry (refresh=False), so back/forward step through views.
      window.dash_clientside.set_props(URL_ID, { search: search });
    }
  }

  var existing = (window.dash_clientside || {}).buurtdekking;  // assets/map.js adds the map's own
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    buurtdekking: Object.assign({}, existing, {
      /* Controls → URL. ``spec`` = {params: [...], defaults: {...}} from the page's sink store;
         the remaining arguments are the control values in the order of spec.params. */
      writeUrl: function () {
        var args = Array.prototype.slice.call(arguments);
        var spec = args.pop();
        if (!spec || !spec.params) {
          return window.dash_clientside.no_update;
        }
        var params = currentParams();
        spec.params.forEach(function (name, i) {
          var value = args[i];
          if (Array.isArray(value)) {
            value = value.join(",");
          }
          var isDefault = value === undefined || value === null || value === "" ||
            String(value) === String(spec.defaults[name]);
          if (isDefault) {
            params.delete(name);
          } else {
            params.set(name, String(value));
          }
        });
        pushSearch(params);
        return window.dash_clientside.no_update;
      },

      /* The language toggle: flip ?taal= and let the router re-render the page in the other language. */
      toggleLang: function (nClicks) {
        if (!nClicks) {
          return window.dash_clientside.no_update;
        }
        var params = currentParams();
        if (params.get("taal") === "en") {
          params.delete("taal");
        } else {
          params.set("taal", "en");
        }
        pushSearch(params);
        return window.dash_clientside.no_update;
      },

      /* Keep the nav links carrying the current view, so Kaart → Tabel shows the same indicator. */
      navHrefs: function (search, ids) {
        return ids.map(function (id) {
          return id.path + (search || "");
        });
      },

      /* Document title and <html lang> follow the rendered page. */
      pageMeta: function (route) {
        if (route) {
          document.title = route.title || document.title;
          document.documentElement.setAttribute("lang", route.lang || "nl");
          // dcc.Link takes no aria attributes: mark the current page's link here (WCAG 2.4.8).
          window.requestAnimationFrame(function () {
            document.querySelectorAll(".nav-link").forEach(function (a) {
              if (a.classList.contains("current")) {
                a.setAttribute("aria-current", "page");
              } else {
                a.removeAttribute("aria-current");
              }
            });
          });
        }
        return window.dash_clientside.no_update;
      },

      /* Map click → the buurt picker (the detail panel listens to the picker). */
      clickToBuurt: function (clickData) {
        if (!clickData || !clickData.points || !clickData.points.length) {
          return window.dash_clientside.no_update;
        }
        var loc = clickData.points[0].location;
        return loc ? String(loc) : window.dash_clientside.no_update;
      }
    })
  });
})();
