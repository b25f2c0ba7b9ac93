/* Dataset page: open a sample in a dialog, larger, with the annotated edition's boxes drawn over it.
 * ← / → move between samples, Esc closes (the dialog's own). Boxes come in the photo's pixels and are
 * placed in percent of the image, so they follow any displayed size. Without JavaScript a sample's
 * link opens the preview itself.
 */
(function () {
  "use strict";
  var dataNode = document.getElementById("sample-viewer-data");
  var dialog = document.querySelector("[data-testid=sample-viewer]");
  if (!dataNode || !dialog || typeof dialog.showModal !== "function") return;
  var samples = JSON.parse(dataNode.textContent);
  var stage = dialog.querySelector(".sample-viewer-stage");
  var img = stage.querySelector("img");
  var nameEl = dialog.querySelector("[data-testid=viewer-name]");
  var positionEl = dialog.querySelector("[data-testid=viewer-position]");
  var current = 0;

  function show(index) {
    current = (index + samples.length) % samples.length;
    var s = samples[current];
    Array.prototype.forEach.call(stage.querySelectorAll(".vbox"), function (el) { el.remove(); });
    img.src = s.src;
    img.alt = s.name;
    nameEl.textContent = s.name;
    positionEl.textContent = (current + 1) + " / " + samples.length;
    dialog.dataset.index = String(current);
    s.boxes.forEach(function (b) {
      var el = document.createElement("div");
      el.className = "vbox label-" + b.label;
      el.setAttribute("data-testid", "viewer-box");
      el.setAttribute("data-label", b.label);
      el.style.left = (100 * b.x / s.width) + "%";
      el.style.top = (100 * b.y / s.height) + "%";
      el.style.width = (100 * b.w / s.width) + "%";
      el.style.height = (100 * b.h / s.height) + "%";
      stage.appendChild(el);
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.sample-open");
    if (link) {
      event.preventDefault();
      show(Number(link.dataset.index));
      dialog.showModal();
      return;
    }
    var button = event.target.closest(".sample-viewer [data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "next") show(current + 1);
    else if (action === "prev") show(current - 1);
    else if (action === "close") dialog.close();
  });

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
})();
