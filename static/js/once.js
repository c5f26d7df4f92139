// Once only: a form that writes (a POST, or an htmx request other than GET)
// takes one submission at a time. Its submit buttons are disabled while the
// request is in flight, so a double click sends one request.
//
// - htmx forms: disabled on htmx:beforeRequest, enabled again on
//   htmx:afterRequest, so a refused form can be corrected and sent again.
// - plain posts: the page navigates away; a second submit of the same form is
//   cancelled meanwhile. A page restored from the back/forward cache, or a
//   post that answers without navigating (a file download), gets its buttons
//   back (pageshow, and a fallback after RELEASE_AFTER_MS).
// Filter forms (GET) are reads and are left alone.
(function () {
  "use strict";

  var IN_FLIGHT = "onceInFlight";
  var RELEASE_AFTER_MS = 15000;
  var WRITE_VERBS = ["hx-post", "hx-put", "hx-patch", "hx-delete"];

  function submitButtons(form) {
    var inside = Array.prototype.slice.call(
      form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]")
    );
    if (form.id) {
      var outside = document.querySelectorAll(
        "button[form='" + form.id + "'], input[type=submit][form='" + form.id + "']"
      );
      inside = inside.concat(Array.prototype.slice.call(outside));
    }
    return inside;
  }

  function hold(form) {
    form.dataset[IN_FLIGHT] = "1";
    form.setAttribute("aria-busy", "true");
    submitButtons(form).forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.dataset.onceDisabled = "1";
      }
    });
  }

  function release(form) {
    delete form.dataset[IN_FLIGHT];
    form.removeAttribute("aria-busy");
    submitButtons(form).forEach(function (button) {
      if (button.dataset.onceDisabled) {
        button.disabled = false;
        delete button.dataset.onceDisabled;
      }
    });
  }

  function isHtmxWrite(form) {
    return WRITE_VERBS.some(function (verb) {
      return form.hasAttribute(verb);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || isHtmxWrite(form)) {
      return; // htmx forms are handled by the request events below
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    if (form.dataset[IN_FLIGHT]) {
      event.preventDefault();
      return;
    }
    if (event.defaultPrevented) {
      return;
    }
    form.dataset[IN_FLIGHT] = "1";
    // Disabled buttons are left out of the submitted data: disable them
    // once the browser has read the form (the clicked button's name and value
    // still go with it).
    window.setTimeout(function () {
      hold(form);
    }, 0);
    window.setTimeout(function () {
      release(form);
    }, RELEASE_AFTER_MS);
  });

  function requestForm(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest) {
      return null;
    }
    var form = elt instanceof HTMLFormElement ? elt : elt.closest("form");
    if (!form || !isHtmxWrite(form)) {
      return null;
    }
    return form;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = requestForm(event);
    if (!form) {
      return;
    }
    if (form.dataset[IN_FLIGHT]) {
      event.preventDefault(); // one request per form at a time
      return;
    }
    hold(form);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = requestForm(event);
    if (form) {
      release(form);
    }
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-once-in-flight]").forEach(release);
    }
  });
})();
