/* Keyboard shortcuts for the review queue: one keystroke per decision.
 *
 * Item page:  A approve · R reject (opens the reason) · Ctrl/⌘+Enter confirm the rejection
 *             J next · K previous · Esc close the rejection · Q back to the queue
 * Queue page: J/K move · X select · Enter open
 *
 * Everything also works without JavaScript: these keys only press the page's own buttons and links.
 */
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function submitOnce(form, button) {
    if (!form || form.dataset.sent) return;
    form.dataset.sent = "1";
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link && link.href) window.location.assign(link.href);
  }

  // Tests (and curious people) can tell the shortcuts are live.
  document.documentElement.setAttribute("data-review-keys", "on");

  // --- One item ------------------------------------------------------------------------
  var approveForm = document.getElementById("approve-form");
  var rejectPanel = document.getElementById("reject-panel");
  var rejectForm = document.getElementById("reject-form");

  function openReject() {
    if (!rejectPanel) return;
    rejectPanel.open = true;
    var reason = rejectForm && rejectForm.querySelector("select[name=reason]");
    if (reason) reason.focus();
  }

  if (rejectForm) {
    rejectForm.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitOnce(rejectForm);
      }
    });
  }
  if (approveForm) {
    approveForm.addEventListener("submit", function () { approveForm.dataset.sent = "1"; });
  }
  if (rejectPanel && rejectPanel.open) openReject();

  // --- The queue -----------------------------------------------------------------------
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  var current = -1;

  function highlight(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }

  var selectAll = document.querySelector("[data-select-all]");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        if (box) box.checked = selectAll.checked;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (rejectPanel && rejectPanel.open) {
        rejectPanel.open = false;
        if (document.activeElement) document.activeElement.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();

    if (rows.length) {
      if (key === "j") { event.preventDefault(); highlight(current + 1); return; }
      if (key === "k") { event.preventDefault(); highlight(current - 1); return; }
      if (key === "x" && current >= 0) {
        event.preventDefault();
        var box = rows[current].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        return;
      }
      if ((key === "enter" || key === "o") && current >= 0) {
        event.preventDefault();
        window.location.assign(rows[current].dataset.url);
        return;
      }
      return;
    }

    if (key === "a" && approveForm) {
      event.preventDefault();
      submitOnce(approveForm);
    } else if (key === "r" && rejectPanel) {
      event.preventDefault();
      openReject();
    } else if (key === "j") {
      event.preventDefault();
      follow("a[data-key=j]");
    } else if (key === "k") {
      event.preventDefault();
      follow("a[data-key=k]");
    } else if (key === "q") {
      event.preventDefault();
      follow("[data-testid=back-to-queue]");
    }
  });

  // Hovering (or focusing) a person in a group photo marks their release on the right.
  document.querySelectorAll("[data-person-release]").forEach(function (row) {
    var panel = document.querySelector('[data-testid="release-' + row.getAttribute("data-person-release") + '"]');
    if (!panel) return;
    function on() { row.classList.add("linked"); panel.classList.add("linked"); }
    function off() { row.classList.remove("linked"); panel.classList.remove("linked"); }
    row.addEventListener("mouseenter", on);
    row.addEventListener("focus", on);
    row.addEventListener("mouseleave", off);
    row.addEventListener("blur", off);
  });
})();
