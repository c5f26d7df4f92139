// After a submit that was refused, move the keyboard focus to what needs
// fixing, so a screen reader announces it and the next Tab starts there:
// the first field marked invalid, or else the first error message.
//
// - plain posts: the page comes back with its errors; checked on load.
// - htmx: the form is swapped in place with its errors; checked in the
//   swapped content after it settles.
(function () {
  "use strict";

  var INVALID_FIELD = "[aria-invalid='true']";
  var ERROR_MESSAGE = ".error-summary, .alert-error, .errorlist";

  function focusFirstError(root) {
    var target = root.querySelector(INVALID_FIELD) || root.querySelector(ERROR_MESSAGE);
    if (!target) {
      return;
    }
    if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) {
      // A message is not focusable by itself; -1 keeps it out of the Tab order.
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("content");
    if (main) {
      focusFirstError(main);
    }
  });

  // Only after a submit (not a GET such as polling or a filter): an outerHTML
  // swap replaces the target, so look in what now stands in its place.
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var target = event.detail.target;
    if (!config || config.verb === "get" || !target) {
      pending = null;
      return;
    }
    pending = { id: target.id, parent: target.parentElement, target: target };
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) {
      return;
    }
    var root = pending.target.isConnected
      ? pending.target
      : (pending.id && document.getElementById(pending.id)) || pending.parent;
    pending = null;
    if (root && root.isConnected) {
      focusFirstError(root);
    }
  });
})();
