// crisiscell: the little the pages need beyond htmx. No inline script anywhere (CSP).
(function () {
  "use strict";

  // The board re-renders itself every few seconds and after each change: keep the
  // "why?" panels the reader has opened open across those refreshes.
  var openBefore = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    // A session that ended sends the login page back: show it as a page, not inside a table.
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login/") !== -1) {
      evt.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    if (evt.detail.target && evt.detail.target.id === "board") {
      openBefore = [];
      evt.detail.target.querySelectorAll("details[open][id]").forEach(function (d) {
        openBefore.push(d.id);
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (openBefore && evt.detail.target && evt.detail.target.id === "board") {
      openBefore.forEach(function (id) {
        var d = document.getElementById(id);
        if (d) { d.open = true; }
      });
      openBefore = null;
    }
  });

  // The crisis log's quick form: Ctrl+Enter (or Cmd+Enter) writes the entry.
  document.addEventListener("keydown", function (evt) {
    var field = evt.target;
    if (evt.key !== "Enter" || !(evt.ctrlKey || evt.metaKey)) { return; }
    if (!field || field.tagName !== "TEXTAREA" || !field.form || field.form.id !== "entry-form") { return; }
    evt.preventDefault();
    if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
  });
})();
