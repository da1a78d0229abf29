/* The notice composer's map (and its emergency tick): a click (or the latitude and longitude typed beside it) sets
   the centre of the audience's circle, the radius chooser its size. The circle is drawn on
   the map and the form is told it changed, so htmx counts the audience again. No inline
   scripts (the Content-Security-Policy forbids them); the page works without this file:
   the coordinates can be typed. */
(function () {
  "use strict";

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text || "";
    return div.innerHTML;
  }

  function changed(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function drawAudienceMap(element) {
    var L = window.L;
    if (!L || element.dataset.ready) return;
    element.dataset.ready = "1";
    var form = element.closest("form");
    var lat = form.querySelector("#lat");
    var lon = form.querySelector("#lon");
    var radius = form.querySelector("#radius_m");
    var choice = form.querySelector("#audience-radius");
    var centre = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    var map = L.map(element).setView(centre, parseInt(element.dataset.zoom, 10) || 12);
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: escapeText(element.dataset.attribution),
    }).addTo(map);
    var circle = null;

    function draw() {
      var la = parseFloat(lat.value), lo = parseFloat(lon.value);
      if (isNaN(la) || isNaN(lo)) return;
      var metres = parseInt(radius.value, 10) || 1000;
      if (circle) {
        circle.setLatLng([la, lo]).setRadius(metres);
      } else {
        circle = L.circle([la, lo], { radius: metres, interactive: false }).addTo(map);
      }
      element.dataset.circle = la.toFixed(5) + "," + lo.toFixed(5) + "," + metres;
    }

    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      choice.checked = true;
      draw();
      changed(lat);
    });
    [lat, lon, radius].forEach(function (input) {
      input.addEventListener("change", draw);
    });
    draw();
  }

  /* A topic urgent by default (emergencies) ticks "emergency" when chosen, as in the chat. */
  function urgentByTopic(root) {
    var topic = root.querySelector("#topic");
    var urgent = root.querySelector("#urgent");
    if (!topic || !urgent || topic.dataset.ready) return;
    topic.dataset.ready = "1";
    topic.addEventListener("change", function () {
      urgent.checked = topic.selectedOptions[0].hasAttribute("data-urgent");
    });
  }

  function init(root) {
    root.querySelectorAll("[data-audience-map]").forEach(drawAudienceMap);
    urgentByTopic(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
