// placematch pages: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // "Why not this household?": answer in place, announced by the live region.
  function whyNot(form) {
    var target = document.getElementById(form.getAttribute("data-target"));
    if (!target || !window.fetch) return;
    form.addEventListener("submit", function (event) {
      if (!form.checkValidity()) return;
      event.preventDefault();
      var params = new URLSearchParams(new FormData(form));
      params.set("fragment", "1");
      target.textContent = "Looking…";
      fetch(form.action + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected && response.url.indexOf("/login") >= 0) { window.location = response.url; return ""; }
          return response.text();
        })
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { target.textContent = "The service did not answer. Try again."; });
    });
  }

  // Live progress of a simulation run; the page reloads to its results when the run ends.
  function progress(section) {
    var url = section.getAttribute("data-progress-url");
    var bar = section.querySelector("progress");
    var text = section.querySelector("#progress-text");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (state.total) { bar.max = state.total; }
          bar.value = state.done;
          bar.textContent = Math.round(100 * state.done / (state.total || 1)) + "%";
          text.textContent = state.done + " of " + state.total + " replications done (" + state.stage + ").";
          if (state.status === "done" || state.status === "failed") { window.location.reload(); return; }
          window.setTimeout(tick, 500);
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    }
    window.setTimeout(tick, 300);
  }

  // A decision form is sent once: its buttons are disabled while it is on its way.
  function sendOnce(form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-target]").forEach(whyNot);
    document.querySelectorAll("[data-progress-url]").forEach(progress);
    document.querySelectorAll("form[data-decision]").forEach(sendOnce);
  });
})();
