// Progressive enhancement for the staff console: while a bundle is compiled, show its
// progress without reloading; reload once it is ready or failed. Everything else works
// without this script.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var text = box.querySelector("[data-progress-text]");
  var bar = box.querySelector("[data-progress-bar]");
  var en = document.documentElement.lang === "en";
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (!b) { return; }
        if (b.status === "ready" || b.status === "failed" || b.status === "expired") {
          window.location.reload();
          return;
        }
        if (bar) { bar.max = Math.max(b.tables_total, 1); bar.value = b.tables_done; }
        if (text) {
          text.textContent = (en ? "Being compiled: " : "Wordt samengesteld: ") +
            b.tables_done + "/" + b.tables_total + (en ? " tables, " : " tabellen, ") +
            b.rows + (en ? " rows" : " rijen");
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
// The same for a plan being carried out: rows done, reload when it is done or failed.
(function () {
  "use strict";
  var box = document.querySelector("[data-exec-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-exec-progress-url");
  var text = box.querySelector("[data-exec-progress-text]");
  var en = document.documentElement.lang === "en";
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        if (p.state !== "approved" && p.state !== "running") {
          window.location.reload();
          return;
        }
        if (text) {
          text.textContent = (en ? "Being carried out: " : "Wordt uitgevoerd: ") +
            p.rows_done + (en ? " rows done" : " rijen verwerkt");
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
