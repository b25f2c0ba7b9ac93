/* Signature pads for the release signing page.
 *
 * Each <canvas data-signature-for="FIELD"> is drawn on with a finger, pen or mouse (pointer
 * events); after each stroke the drawing is written, as a PNG data URL, into the hidden input
 * named FIELD, which the server decodes and checks (a blank pad is refused there too).
 * A button with data-signature-clear="FIELD" empties the pad.
 */
(function () {
  "use strict";

  function pad(canvas) {
    var field = document.querySelector('input[name="' + canvas.dataset.signatureFor + '"]');
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var last = null;
    var inked = false;

    function fit() {
      // Draw at the device's pixel density, so a phone's signature is not blurred.
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      inked = false;
      if (field) field.value = "";
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    function save() {
      if (field && inked) field.value = canvas.toDataURL("image/png");
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
      inked = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      inked = true;
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    var clear = document.querySelector('[data-signature-clear="' + canvas.dataset.signatureFor + '"]');
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        fit();
      });
    }
    fit();
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-signature-for]"), pad);
  // Tests (and curious people) can tell the pads are live.
  document.documentElement.setAttribute("data-signature-pads", "on");
})();
