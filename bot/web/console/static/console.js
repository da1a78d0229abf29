/* The staff console's own script: "select all" in the queue, and the maps. No inline
   scripts anywhere (the Content-Security-Policy forbids them); everything hangs on data-*
   attributes the server rendered. */
(function () {
  "use strict";

  function selectAll(root) {
    var all = root.querySelector("#select-all");
    if (!all) return;
    all.addEventListener("change", function () {
      root.querySelectorAll("table.queue input[name=id]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text || "";
    return div.innerHTML;
  }

  function markerIcon(status) {
    return window.L.divIcon({
      className: "marker status-" + status,
      iconSize: [18, 18],
      iconAnchor: [9, 9],
    });
  }

  function link(publicId, statusLabel) {
    var a = document.createElement("a");
    a.href = "/console/reports/" + encodeURIComponent(publicId);
    a.textContent = publicId + (statusLabel ? " — " + statusLabel : "");
    return a;
  }

  function drawMap(element) {
    var L = window.L;
    if (!L || element.dataset.ready) return;
    element.dataset.ready = "1";
    var centre = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    var map = L.map(element).setView(centre, parseInt(element.dataset.zoom, 10) || 12);
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: escapeText(element.dataset.attribution),
    }).addTo(map);
    if (!element.dataset.markers) {
      L.marker(centre, { icon: markerIcon(element.dataset.status), title: element.dataset.label, keyboard: false }).addTo(map);
      return;
    }
    fetch(element.dataset.markers, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var cluster = L.markerClusterGroup({ chunkedLoading: true });
        var bounds = [];
        data.markers.forEach(function (m) {
          var marker = L.marker([m[0], m[1]], { icon: markerIcon(m[3]), title: m[2] + " — " + m[4] });
          marker.bindPopup(function () { return link(m[2], m[4]); });
          cluster.addLayer(marker);
          bounds.push([m[0], m[1]]);
        });
        map.addLayer(cluster);
        if (bounds.length) map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] });
        element.dataset.loaded = String(data.markers.length);
      });
  }

  /* A note template chosen: its words (in the member's language) into the form's note, to
     send as they are or adapt. A note written by hand is not overwritten. */
  function noteTemplates(root) {
    root.querySelectorAll("select[data-note-template]").forEach(function (select) {
      if (select.dataset.ready) return;
      select.dataset.ready = "1";
      var note = select.form && select.form.querySelector("textarea[name=note]");
      if (!note) return;
      var filled = "";
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var text = (option && option.dataset.text) || "";
        if (note.value.trim() === "" || note.value === filled) {
          note.value = text;
          filled = text;
        }
      });
    });
  }

  function init(root) {
    selectAll(root);
    noteTemplates(root);
    root.querySelectorAll("[data-map]").forEach(drawMap);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
