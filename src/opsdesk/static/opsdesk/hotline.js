/* The agent's call notes on the "New incident" page: kept in this tab's sessionStorage while typing, so a
 * reload or a look-up without htmx does not lose them; cleared when the form is sent. A file, not inline:
 * the Content-Security-Policy forbids inline scripts. */
(function () {
  "use strict";
  var KEY = "opsdesk.callNotes";
  var notes = document.querySelector("[data-call-notes]");
  if (!notes || !window.sessionStorage) return;
  if (!notes.value) {
    var saved = window.sessionStorage.getItem(KEY);
    if (saved) notes.value = saved;
  }
  notes.addEventListener("input", function () {
    window.sessionStorage.setItem(KEY, notes.value);
  });
  if (notes.form) {
    notes.form.addEventListener("submit", function () {
      window.sessionStorage.removeItem(KEY);
    });
  }
})();
