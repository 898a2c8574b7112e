// Live power: progressive enhancement of the dashboard's "Power now" panel.
// Without JavaScript the panel shows the figures of the page load and a
// Refresh link; with it, the figures are fetched from the panel's
// data-live-url every second.
(function () {
  var panel = document.querySelector("[data-live-url]");
  if (!panel) return;
  var url = panel.getAttribute("data-live-url");
  var hint = panel.querySelector(".js-only");
  if (hint) hint.hidden = false;
  function set(name, text) {
    var els = document.querySelectorAll('[data-live="' + name + '"]');
    for (var i = 0; i < els.length; i++) els[i].textContent = text;
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        set("pD", d.powerDelivered);
        set("pR", d.powerReturned);
        set("at", d.lastReading);
        panel.classList.toggle("stale", d.status !== "live");
        if (d.status !== "live") {
          var st = document.getElementById("conn-state");
          // Only when the page was rendered live: a revoked page already says so.
          if (st && d.statusText && !st.querySelector(".badge-revoked")) {
            st.textContent = d.statusText;
            var h = document.getElementById("live-h");
            if (h) h.textContent = "Last power reading";
            if (hint) hint.textContent = "No new data. ";
          }
        }
        return d;
      })
      .then(function (d) { return d.status === "live"; }, function () { panel.classList.add("stale"); return true; })
      .then(function (again) { if (again) setTimeout(tick, 1000); });
  }
  setTimeout(tick, 1000);
})();
