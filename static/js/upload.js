/*
 * Contributor upload page: many files, each sent on its own to POST /api/v1/photos/.
 *
 * XMLHttpRequest, not fetch: only XHR reports upload progress. At most
 * `config.parallel` uploads run at once; a refused or failed file never stops the
 * others. After an upload is accepted the photo is polled until its thumbnail is
 * ready or processing failed. Every word shown comes from the page
 * (json_script "uploader-config"), so it is translated by Django.
 *
 * Without JavaScript the same form posts all files to the page itself.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("uploader-config");
  var form = document.getElementById("upload-form");
  if (!configElement || !form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var S = config.strings;
  var input = form.querySelector('input[type="file"]');
  var dropzone = document.getElementById("dropzone");
  var section = document.getElementById("upload-progress");
  var list = document.getElementById("upload-list");
  var overallText = document.getElementById("upload-overall-text");
  var overallBar = document.getElementById("upload-overall-bar");
  var countsText = document.getElementById("upload-counts");
  var doneActions = document.getElementById("upload-done");
  var template = document.getElementById("upload-item-template");

  // Terminal states: nothing more happens to the item unless the contributor retries.
  var FINISHED = { ready: true, refused: true, failed: true, "processing-failed": true, stalled: true };

  var items = [];
  var queue = [];
  var active = 0;

  form.classList.add("js-enhanced");
  input.removeAttribute("required");

  function format(text, params) {
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : match;
    });
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1);
  }

  function parseJSON(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return null;
    }
  }

  function urlFor(pattern, id) {
    return pattern.replace(config.placeholder, id);
  }

  function setBar(bar, percent) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    bar.firstElementChild.style.width = value + "%";
    bar.setAttribute("aria-valuenow", String(value));
  }

  // --- one file -------------------------------------------------------------------

  function createItem(file) {
    var element = template.content.firstElementChild.cloneNode(true);
    element.querySelector(".upload-name").textContent = file.name;
    var extension = (file.name.split(".").pop() || "").slice(0, 4).toUpperCase();
    element.querySelector(".thumb-placeholder").textContent = extension;
    element.querySelector(".progress").setAttribute("aria-label", file.name);
    list.appendChild(element);
    return {
      file: file,
      element: element,
      bar: element.querySelector(".progress"),
      message: element.querySelector(".upload-message"),
      actions: element.querySelector(".upload-actions"),
      state: "queued",
      loaded: 0,
      photo: null,
    };
  }

  function setState(item, state, message) {
    item.state = state;
    item.element.setAttribute("data-state", state);
    item.message.textContent = message || "";
    item.message.className = "upload-message" + (state === "refused" || state === "failed" || state === "processing-failed" ? " bad" : "");
    item.actions.textContent = "";
    update();
  }

  function addLink(item, href, text, testid) {
    var link = document.createElement("a");
    link.href = href;
    link.textContent = text;
    if (testid) {
      link.setAttribute("data-testid", testid);
    }
    item.message.appendChild(document.createTextNode(" "));
    item.message.appendChild(link);
  }

  function refuse(item, message, duplicateOf) {
    setState(item, "refused", "");
    var badge = document.createElement("span");
    badge.className = "badge bad";
    badge.textContent = S.refused;
    item.message.appendChild(badge);
    item.message.appendChild(document.createTextNode(" " + message));
    if (duplicateOf) {
      addLink(item, duplicateOf, S.duplicateLink, "duplicate-link");
    }
  }

  function fail(item, message) {
    item.loaded = 0;
    setBar(item.bar, 0);
    setState(item, "failed", "");
    var badge = document.createElement("span");
    badge.className = "badge bad";
    badge.textContent = S.failed;
    item.message.appendChild(badge);
    item.message.appendChild(document.createTextNode(" " + message));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small secondary";
    button.textContent = S.retry;
    button.setAttribute("data-testid", "retry");
    button.addEventListener("click", function () {
      enqueue(item);
      pump();
    });
    item.actions.appendChild(button);
  }

  function showPhoto(item, photo) {
    item.photo = photo;
    var page = urlFor(config.photoPage, photo.id);
    if (photo.processing === "ready") {
      setState(item, "ready", S.ready + ".");
      if (photo.thumbnail_url) {
        var image = document.createElement("img");
        image.src = photo.thumbnail_url;
        image.alt = item.file.name;
        image.setAttribute("data-testid", "upload-thumbnail");
        var holder = item.element.querySelector(".upload-thumb");
        holder.textContent = "";
        holder.appendChild(image);
      }
      addLink(item, page, S.describe, "describe-link");
    } else if (photo.processing === "failed") {
      setState(item, "processing-failed", S.processingFailed + ": " + (photo.processing_error || ""));
      addLink(item, page, S.describe, "describe-link");
    } else if (photo.processing === "retrying") {
      setState(item, "processing", S.retrying);
    } else {
      setState(item, "processing", S.processing);
    }
  }

  function poll(item) {
    var started = Date.now();
    var url = urlFor(config.detailEndpoint, item.photo.id);

    function again(delay) {
      var elapsed = Date.now() - started;
      if (elapsed > config.pollGiveUpMs) {
        setState(item, "stalled", S.stillProcessing);
        addLink(item, urlFor(config.photoPage, item.photo.id), S.describe, "describe-link");
        return;
      }
      // Every second at first; a photo still queued after 30 s is asked about less often,
      // so fifty waiting photos do not keep the server busy answering "not yet".
      window.setTimeout(tick, elapsed > 30000 ? delay * 3 : delay);
    }

    function tick() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        var data = xhr.status === 200 ? parseJSON(xhr.responseText) : null;
        if (data) {
          showPhoto(item, data);
        }
        if (!FINISHED[item.state]) {
          again(config.pollMs);
        }
      };
      xhr.onerror = function () {
        again(config.pollMs * 3);
      };
      xhr.send();
    }

    again(config.pollMs);
  }

  function upload(item) {
    active += 1;
    item.loaded = 0;
    setBar(item.bar, 0);
    setState(item, "uploading", S.uploading);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", config.endpoint);
    xhr.setRequestHeader("X-CSRFToken", config.csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable && event.total > 0) {
        item.loaded = Math.min(item.file.size, (event.loaded / event.total) * item.file.size);
        setBar(item.bar, (event.loaded / event.total) * 100);
        update();
      }
    };
    xhr.onload = function () {
      active -= 1;
      handleResponse(item, xhr.status, parseJSON(xhr.responseText));
      pump();
    };
    xhr.onerror = function () {
      active -= 1;
      fail(item, S.networkError);
      pump();
    };
    var body = new FormData();
    body.append("file", item.file, item.file.name);
    xhr.send(body);
  }

  function handleResponse(item, status, data) {
    var error = data && data.error;
    if (status === 201 && data && data.id) {
      item.loaded = item.file.size;
      setBar(item.bar, 100);
      showPhoto(item, data);
      if (!FINISHED[item.state]) {
        poll(item);
      }
    } else if (status === 401 || status === 403) {
      fail(item, S.sessionExpired);
    } else if (status === 413 && !error) {
      item.loaded = item.file.size;
      refuse(item, format(S.tooLarge, { size: megabytes(item.file.size), max: megabytes(config.maxBytes) }));
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429 && error && error.message) {
      item.loaded = item.file.size;
      setBar(item.bar, 100);
      refuse(item, error.message, error.duplicate_of);
    } else {
      fail(item, format(S.serverError, { status: status }));
    }
  }

  // --- the queue ------------------------------------------------------------------

  function enqueue(item) {
    setState(item, "queued", S.queued);
    queue.push(item);
  }

  function pump() {
    while (active < config.parallel && queue.length) {
      upload(queue.shift());
    }
    update();
  }

  function addFiles(files) {
    if (!files.length) {
      return;
    }
    section.hidden = false;
    doneActions.hidden = true;
    files.forEach(function (file) {
      var item = createItem(file);
      items.push(item);
      if (file.size > config.maxBytes) {
        // Refused here, without sending 50+ MB only to hear the same from the server.
        item.loaded = file.size;
        refuse(item, format(S.tooLarge, { size: megabytes(file.size), max: megabytes(config.maxBytes) }));
      } else {
        enqueue(item);
      }
    });
    pump();
  }

  function update() {
    var total = 0;
    var done = 0;
    var finished = 0;
    var uploaded = 0;
    var refused = 0;
    var failed = 0;
    var settled = 0;
    items.forEach(function (item) {
      var size = Math.max(item.file.size, 1);
      total += size;
      // A failed upload is not done: the bar stays short of 100 % until it is retried.
      if (item.state !== "failed") {
        done += FINISHED[item.state] || item.photo ? size : Math.min(item.loaded, size);
      }
      if (FINISHED[item.state]) {
        settled += 1;
        if (item.state !== "failed") {
          finished += 1;
        }
      }
      if (item.photo) {
        uploaded += 1;
      } else if (item.state === "refused") {
        refused += 1;
      } else if (item.state === "failed") {
        failed += 1;
      }
    });
    if (!items.length) {
      return;
    }
    setBar(overallBar, finished === items.length ? 100 : Math.min(99, (done / total) * 100));
    overallText.textContent = format(S.overall, { finished: finished, total: items.length });
    countsText.textContent = format(S.summary, { ok: uploaded, refused: refused, failed: failed });
    var allDone = settled === items.length && active === 0 && queue.length === 0;
    section.setAttribute("data-complete", allDone ? "true" : "false");
    doneActions.hidden = !(allDone && uploaded > 0);
  }

  // --- picking and dropping -------------------------------------------------------

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    addFiles(files);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });

  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      dropzone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      if (event.target === dropzone) {
        dropzone.classList.remove("dragging");
      }
    });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    addFiles(Array.prototype.slice.call(event.dataTransfer.files || []));
  });
  // A photo dropped just beside the drop zone must not replace the page with the image.
  window.addEventListener("dragover", function (event) {
    event.preventDefault();
  });
  window.addEventListener("drop", function (event) {
    event.preventDefault();
  });

  window.addEventListener("beforeunload", function (event) {
    if (active > 0 || queue.length > 0) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Listeners are attached: a file picked from now on is uploaded (tests wait for this).
  document.documentElement.setAttribute("data-upload", "ready");
})();
