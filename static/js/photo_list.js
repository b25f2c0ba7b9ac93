/* My photos: "select all on this page" and a visible count of the ticked photos. */
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  var all = document.getElementById("select-all");
  if (!form || !all) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="photos"]'));
  all.closest("label").hidden = boxes.length === 0;

  function refresh() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    boxes.forEach(function (box) {
      box.closest(".photo-card").classList.toggle("selected", box.checked);
    });
    all.checked = ticked > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    refresh();
  });
  boxes.forEach(function (box) { box.addEventListener("change", refresh); });
  refresh();
})();
