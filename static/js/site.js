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
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-click")) {
      el.select();
    }
  });
})();
