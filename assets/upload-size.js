/* Own-data page: dcc.Upload drops a file over its max_size without a word. Report the name and size of every
   picked file to the page's store, so the server can tell the user which file was too large and by how much. */
(function () {
  "use strict";
  var DROP = "#upload-drop";
  var STORE = "upload-picked";

  function report(files) {
    if (!files || !files.length || !window.dash_clientside || !window.dash_clientside.set_props) {
      return;
    }
    var list = Array.prototype.map.call(files, function (f) {
      return { name: String(f.name || ""), size: Number(f.size || 0) };
    });
    window.dash_clientside.set_props(STORE, { data: { files: list, at: Date.now() } });
  }

  // Capture phase: we only read the file list, before the upload component handles the same event.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches(DROP + " input[type=file]")) {
      report(target.files);
    }
  }, true);
  document.addEventListener("drop", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest(DROP) && event.dataTransfer) {
      report(event.dataTransfer.files);
    }
  }, true);
})();
