/* Box editor: draw, move, resize, relabel and delete face/mask boxes over a photo's preview.
 *
 * Boxes are kept in the photo's displayed pixel coordinates (photo.width × photo.height);
 * the preview is smaller, so every screen position is divided by the current scale.
 * Saving PUTs the whole list to the staff API, which confirms every box for this user.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("box-editor-data");
  var root = document.querySelector("[data-testid=box-editor]");
  if (!dataNode || !root) return;
  var data = JSON.parse(dataNode.textContent);
  var text = data.text || {};
  var photo = data.photo;
  var boxes = data.boxes.map(function (b) { return Object.assign({}, b); });
  var viewport = root.querySelector(".box-viewport");
  var stage = root.querySelector(".box-stage");
  var img = stage.querySelector("img");
  var statusLine = root.querySelector(".box-status");
  var leftCount = root.querySelector("[data-testid=unconfirmed-left] [data-count]");
  var incompleteCount = root.querySelector("[data-testid=incomplete-left] [data-count]");
  var completeBadge = root.querySelector("[data-testid=photo-complete]");
  var unconfirmedLeft = data.unconfirmed_left;
  var incompleteLeft = data.incomplete_left;
  var complete = data.complete;
  var selected = -1;
  var zoom = 1;
  var scale = 1;
  var dirty = false;
  var warnedFor = "";
  var drag = null;
  var MIN_SCREEN = 4;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function say(message, kind) {
    statusLine.textContent = message;
    statusLine.className = "box-status" + (kind ? " " + kind : "");
  }

  function setDirty(value) {
    dirty = value;
    warnedFor = "";
    root.classList.toggle("is-dirty", dirty);
  }

  function baseWidth() {
    var available = viewport.clientWidth || 960;
    return Math.min(available, 960);
  }

  function layout() {
    var width = baseWidth() * zoom;
    scale = width / photo.width;
    img.style.width = width + "px";
    img.style.height = photo.height * scale + "px";
    stage.style.width = width + "px";
    stage.style.height = photo.height * scale + "px";
    render();
  }

  function render() {
    Array.prototype.forEach.call(stage.querySelectorAll(".box"), function (el) { el.remove(); });
    // Larger boxes first, so a mask inside a face lies on top and can be picked, whichever was drawn first.
    var order = boxes.map(function (b, i) { return i; });
    order.sort(function (a, c) { return boxes[c].w * boxes[c].h - boxes[a].w * boxes[a].h || a - c; });
    order.forEach(function (i) {
      var b = boxes[i];
      var el = document.createElement("div");
      // Only the detector's unchecked proposals are dashed; a box drawn here is the person's own.
      var proposal = !b.confirmed && b.source === "detector";
      el.className = "box label-" + b.label + (proposal ? " unconfirmed" : "") + (i === selected ? " selected" : "");
      el.dataset.index = String(i);
      el.setAttribute("data-testid", "box");
      el.setAttribute("data-label", b.label);
      el.setAttribute("data-confirmed", b.confirmed ? "true" : "false");
      el.setAttribute("data-source", b.source || "human");
      el.style.left = b.x * scale + "px";
      el.style.top = b.y * scale + "px";
      el.style.width = b.w * scale + "px";
      el.style.height = b.h * scale + "px";
      var tag = document.createElement("span");
      tag.className = "box-label";
      tag.textContent = text[b.label] || b.label;
      el.appendChild(tag);
      ["nw", "ne", "sw", "se"].forEach(function (corner) {
        var h = document.createElement("span");
        h.className = "box-handle " + corner;
        h.dataset.handle = corner;
        h.setAttribute("data-testid", "handle-" + corner);
        el.appendChild(h);
      });
      stage.appendChild(el);
    });
    if (leftCount) leftCount.textContent = String(Math.max(0, unconfirmedLeft));
    if (incompleteCount) incompleteCount.textContent = String(Math.max(0, incompleteLeft));
    if (completeBadge) {
      completeBadge.dataset.complete = complete ? "true" : "false";
      completeBadge.classList.toggle("ok", complete);
      if (!complete) completeBadge.textContent = text.not_complete || "";
      else if (completeBadge.textContent === (text.not_complete || "")) completeBadge.textContent = text.is_complete || "";
    }
  }

  // The face box that holds a point, if any: a box drawn inside a face is a mask.
  function insideFace(b) {
    return boxes.some(function (f) {
      return f !== b && f.label === "face" && b.x >= f.x && b.y >= f.y && b.x + b.w <= f.x + f.w && b.y + b.h <= f.y + f.h;
    });
  }

  function point(event) {
    var rect = stage.getBoundingClientRect();
    return {
      x: clamp((event.clientX - rect.left) / scale, 0, photo.width),
      y: clamp((event.clientY - rect.top) / scale, 0, photo.height),
    };
  }

  function rounded(b) {
    var x = clamp(Math.round(b.x), 0, photo.width - 1);
    var y = clamp(Math.round(b.y), 0, photo.height - 1);
    b.w = clamp(Math.round(b.w), 1, photo.width - x);
    b.h = clamp(Math.round(b.h), 1, photo.height - y);
    b.x = x;
    b.y = y;
  }

  stage.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    event.preventDefault();
    stage.focus();
    var p = point(event);
    var handle = event.target.closest("[data-handle]");
    var boxEl = event.shiftKey ? null : event.target.closest(".box");
    if (boxEl) {
      selected = Number(boxEl.dataset.index);
      var b = boxes[selected];
      if (handle) {
        var c = handle.dataset.handle;
        // The anchor is the corner opposite the one being dragged.
        drag = { mode: "resize", anchor: { x: c.indexOf("w") >= 0 ? b.x + b.w : b.x, y: c.indexOf("n") >= 0 ? b.y + b.h : b.y } };
      } else {
        drag = { mode: "move", start: p, origin: { x: b.x, y: b.y } };
      }
    } else {
      boxes.push({ label: "face", x: p.x, y: p.y, w: 0, h: 0, source: "human", confirmed: false, id: null });
      selected = boxes.length - 1;
      drag = { mode: "draw", anchor: p };
    }
    drag.changed = false;
    stage.setPointerCapture(event.pointerId);
    render();
  });

  stage.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var p = point(event);
    var b = boxes[selected];
    if (drag.mode === "move") {
      b.x = clamp(drag.origin.x + p.x - drag.start.x, 0, photo.width - b.w);
      b.y = clamp(drag.origin.y + p.y - drag.start.y, 0, photo.height - b.h);
    } else {
      b.x = Math.min(drag.anchor.x, p.x);
      b.y = Math.min(drag.anchor.y, p.y);
      b.w = Math.abs(p.x - drag.anchor.x);
      b.h = Math.abs(p.y - drag.anchor.y);
    }
    drag.changed = true;
    render();
  });

  function endDrag(event) {
    if (!drag) return;
    var b = boxes[selected];
    if (drag.mode === "draw" && (b.w * scale < MIN_SCREEN || b.h * scale < MIN_SCREEN)) {
      boxes.splice(selected, 1);
      selected = -1;
    } else if (drag.changed) {
      rounded(b);
      if (drag.mode === "draw" && insideFace(b)) b.label = "mask";
      setDirty(true);
    }
    drag = null;
    if (event && stage.hasPointerCapture(event.pointerId)) stage.releasePointerCapture(event.pointerId);
    render();
  }
  stage.addEventListener("pointerup", endDrag);
  stage.addEventListener("pointercancel", endDrag);

  function setZoom(value) {
    zoom = clamp(value, 0.5, 4);
    layout();
  }

  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    setZoom(zoom * (event.deltaY < 0 ? 1.15 : 1 / 1.15));
  }, { passive: false });

  function unconfirmedHere() {
    return data.boxes.filter(function (b) { return !b.confirmed; }).length;
  }

  function adopt(saved) {
    boxes = saved.map(function (b) { return Object.assign({}, b); });
    data.boxes = saved;
    selected = -1;
  }

  function save(markComplete) {
    var before = unconfirmedHere();
    var wasComplete = complete;
    say(text.saving || "…");
    var body = {
      complete: !!markComplete,
      boxes: boxes.map(function (b) {
        rounded(b);
        return { id: b.id || null, label: b.label, x: b.x, y: b.y, w: b.w, h: b.h, source: b.source || "human" };
      }),
    };
    return fetch(data.api, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) {
          var message = (json.error && json.error.message) || response.statusText;
          say((text.failed || "") + " " + message, "bad");
          root.dataset.saveState = "failed";
          return;
        }
        adopt(json.boxes);
        unconfirmedLeft = unconfirmedLeft - before + json.unconfirmed;
        complete = json.complete;
        incompleteLeft += (wasComplete ? 1 : 0) - (complete ? 1 : 0);
        setDirty(false);
        render();
        say((markComplete ? text.completed : text.saved) || "", "ok");
        root.dataset.saveState = "saved";
      });
    }).catch(function (error) {
      say((text.failed || "") + " " + error, "bad");
    });
  }

  function propose() {
    var before = unconfirmedHere();
    fetch(data.propose_api, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (r) { return r.json(); }).then(function (json) {
      if (json.error) { say((text.failed || "") + " " + json.error.message, "bad"); return; }
      if (!dirty) adopt(json.boxes);
      unconfirmedLeft = unconfirmedLeft - before + json.unconfirmed;
      incompleteLeft += (complete ? 1 : 0) - (json.complete ? 1 : 0);
      complete = json.complete;
      render();
      say((text.proposed || "") + " " + json.proposed);
    });
  }

  function go(which) {
    var url = data[which];
    if (!url) return;
    if (dirty && warnedFor !== which) {
      warnedFor = which;
      say(text.unsaved || "", "warn");
      return;
    }
    window.location.href = url;
  }

  function removeSelected() {
    if (selected < 0) return;
    boxes.splice(selected, 1);
    selected = -1;
    setDirty(true);
    render();
  }

  function relabel(label) {
    if (selected < 0 || boxes[selected].label === label) return;
    boxes[selected].label = label;
    setDirty(true);
    render();
  }

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var handled = true;
    switch (event.key) {
      case "Delete": case "Backspace": removeSelected(); break;
      case "f": case "F": relabel("face"); break;
      case "m": case "M": relabel("mask"); break;
      case "+": case "=": setZoom(zoom * 1.25); break;
      case "-": case "_": setZoom(zoom / 1.25); break;
      case "n": case "N": case "ArrowRight": go("next"); break;
      case "p": case "P": case "ArrowLeft": go("prev"); break;
      case "Enter": save(false); break;
      case "c": case "C": save(true); break;
      case "Escape": selected = -1; render(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "save") save(false);
    else if (action === "complete") save(true);
    else if (action === "propose") propose();
    else if (action === "zoom-in") setZoom(zoom * 1.25);
    else if (action === "zoom-out") setZoom(zoom / 1.25);
    else if (action === "next" || action === "prev") go(action);
  });
  root.querySelector("[data-action=prev]").disabled = !data.prev;
  root.querySelector("[data-action=next]").disabled = !data.next;

  window.addEventListener("resize", layout);
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !warnedFor) { event.preventDefault(); }
  });

  function ready() {
    layout();
    document.documentElement.dataset.boxEditor = "ready";
  }
  if (img.complete) ready(); else img.addEventListener("load", ready);
})();
