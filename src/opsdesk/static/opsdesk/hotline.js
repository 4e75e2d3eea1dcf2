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

/* "Apply this solution" in the knowledge suggestions: the article's number goes into the form (the incident
 * is logged with the article's solution) and its solution is shown above the buttons; "Remove" undoes it. */
(function () {
  "use strict";
  var form = document.getElementById("incident-form");
  var box = document.getElementById("applied-article");
  if (!form || !box) return;
  var field = form.querySelector("input[name='applied_article']");
  function show(number, solution) {
    field.value = number;
    box.querySelector("[data-applied-number]").textContent = number;
    box.querySelector("[data-applied-solution]").textContent = solution || "";
    box.classList.toggle("d-none", !number);
  }
  document.addEventListener("click", function (event) {
    var apply = event.target.closest("[data-apply-article]");
    if (apply) {
      show(apply.getAttribute("data-apply-article"), apply.getAttribute("data-solution"));
      box.querySelector("[data-unapply-article]").focus();
      return;
    }
    if (event.target.closest("[data-unapply-article]")) show("", "");
  });
})();
