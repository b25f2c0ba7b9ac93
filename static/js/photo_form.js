/*
 * Photo page: "Add a person" for the subjects formset, and keyword suggestions
 * from the keywords already on the platform (Japanese and English alike).
 * Without JavaScript the page still works: one blank person row, no suggestions.
 */
(function () {
  "use strict";

  // --- people --------------------------------------------------------------------
  var container = document.getElementById("subjects");
  var addButton = document.getElementById("add-subject");
  var template = document.getElementById("subject-template");
  var total = document.querySelector('input[name="subjects-TOTAL_FORMS"]');

  function isBlank(fieldset) {
    return Array.prototype.every.call(fieldset.querySelectorAll("input, select"), function (field) {
      if (field.type === "checkbox") {
        return !field.checked;
      }
      return field.type === "hidden" || field.value === "";
    });
  }

  if (container && addButton && template && total) {
    container.querySelectorAll("fieldset[data-extra]").forEach(function (fieldset) {
      if (isBlank(fieldset) && !fieldset.querySelector(".error")) {
        fieldset.hidden = true;
      }
    });
    // With the button, "leave blank if there is nobody else" no longer applies.
    container.querySelectorAll(".extra-help").forEach(function (help) {
      help.remove();
    });
    template.content.querySelectorAll(".extra-help").forEach(function (help) {
      help.remove();
    });
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var hidden = container.querySelector("fieldset[data-extra][hidden]");
      var fieldset = hidden;
      if (!hidden) {
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        fieldset = holder.firstElementChild;
        container.appendChild(fieldset);
        total.value = String(index + 1);
      }
      fieldset.hidden = false;
      var first = fieldset.querySelector("select, input");
      if (first) {
        first.focus();
      }
    });
  }

  // --- keyword suggestions ----------------------------------------------------------
  var box = document.querySelector(".keyword-field");
  if (!box || !window.fetch) {
    return;
  }
  var input = box.querySelector("input[data-keywords]");
  var out = box.querySelector(".suggestions");
  var url = box.getAttribute("data-suggest-url");
  var label = box.getAttribute("data-suggest-label");
  var SEPARATORS = /[,、，;；]/;
  var timer = null;
  var latest = 0;

  function lastPart(value) {
    var parts = value.split(SEPARATORS);
    return parts[parts.length - 1].trim();
  }

  function current() {
    return input.value.split(SEPARATORS).map(function (part) {
      return part.trim().toLowerCase();
    });
  }

  function choose(name) {
    var parts = input.value.split(SEPARATORS);
    parts[parts.length - 1] = " " + name;
    input.value = parts.map(function (part) { return part.trim(); }).filter(Boolean).join(", ") + ", ";
    out.textContent = "";
    input.focus();
  }

  function show(names) {
    out.textContent = "";
    var taken = current();
    names = names.filter(function (name) { return taken.indexOf(name) === -1; });
    if (!names.length) {
      return;
    }
    var caption = document.createElement("span");
    caption.className = "muted";
    caption.textContent = label + " ";
    out.appendChild(caption);
    names.forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chip";
      button.textContent = name;
      button.addEventListener("click", function () { choose(name); });
      out.appendChild(button);
    });
  }

  // "Your usual keywords": a click adds the keyword unless it is already there.
  box.querySelectorAll("[data-keyword]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-keyword");
      if (current().indexOf(name.toLowerCase()) !== -1) {
        return;
      }
      var parts = input.value.split(SEPARATORS).map(function (part) { return part.trim(); }).filter(Boolean);
      parts.push(name);
      input.value = parts.join(", ") + ", ";
      input.focus();
    });
  });

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var query = lastPart(input.value);
    if (!query) {
      out.textContent = "";
      return;
    }
    timer = window.setTimeout(function () {
      var request = ++latest;
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { tags: [] }; })
        .then(function (data) {
          if (request === latest) {
            show(data.tags || []);
          }
        })
        .catch(function () { out.textContent = ""; });
    }, 150);
  });
})();
