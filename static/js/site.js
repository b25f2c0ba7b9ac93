/* Small behaviours every page may use, wired by data attributes instead of inline
 * handlers (the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-submit-on-change") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
  // Filter drawers start folded on phones, so the first screen shows results, not filters.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(max-width: 900px)").matches) { return; }
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (el) { el.open = false; });
  });
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-click")) {
      el.select();
    }
  });
})();
