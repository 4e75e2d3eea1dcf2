/* Keyboard shortcuts for OpsDesk pages. Loaded as a file because the Content-Security-Policy forbids inline
 * scripts. Every page works without it; it only saves keystrokes.
 *   /            focus the search field of the page (when not typing)
 *   Ctrl+Enter   in a text box: submit its form (Enter already submits from one-line fields)
 *   ArrowDown    in the caller search: move to the first person found
 */
(function () {
  "use strict";

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function submit(form) {
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(target)) {
      var search = document.querySelector("[data-shortcut='search']");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.tagName === "TEXTAREA") {
      event.preventDefault();
      submit(target.form);
      return;
    }
    if (event.key === "ArrowDown" && target && target.hasAttribute && target.hasAttribute("data-caller-search")) {
      var first = document.querySelector("#caller-results input[type='radio']:checked") ||
        document.querySelector("#caller-results input[type='radio']");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // The caller's organisation decides the contract when the agent serves it on one contract; a contract the
  // agent picked by hand is never overridden.
  function suggestContract(radio) {
    var select = document.getElementById("id_contract");
    if (!select || !radio || !radio.checked || !radio.dataset.contract || select.dataset.touched) return;
    select.value = radio.dataset.contract;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "id_contract") target.dataset.touched = "1";
    if (target && target.name === "requester" && target.type === "radio") suggestContract(target);
  });
  document.addEventListener("htmx:afterSwap", function () {
    suggestContract(document.querySelector("#caller-results input[name='requester']:checked"));
  });
})();
