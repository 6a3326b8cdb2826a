/* Keyboard shortcuts of the agent workspace and two small composer helpers.
   Everything here is a shortcut for a link or a form that works without JavaScript. */
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-case-row]")); }

  function currentIndex(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("is-current")) return i;
    return -1;
  }

  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("is-current"); row.removeAttribute("aria-current"); });
    var row = list[index];
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector(".ref a");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    [["csrfmiddlewaretoken", csrfToken()], ["next", window.location.pathname + window.location.search]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = pair[0]; input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) { window.location.href = link.href; return true; }
    return false;
  }

  function compose(kind) {
    var radio = document.querySelector("#composer input[name=kind][value=" + kind + "]");
    var body = document.getElementById("composer-body");
    if (!radio || !body) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    body.focus();
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var list = rows();
    var index = currentIndex(list);
    switch (event.key) {
      case "j":
        if (list.length) select(list, index + 1); else follow("a[rel=next]");
        break;
      case "k":
        if (list.length) select(list, index < 0 ? 0 : index - 1); else follow("a[rel=prev]");
        break;
      case "o":
      case "Enter":
        if (index >= 0) window.location.href = list[index].dataset.url; else return;
        break;
      case "x":
        if (index < 0) return;
        var box = list[index].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        break;
      case "a":
        if (index >= 0) post(list[index].dataset.assignUrl);
        else { var button = document.getElementById("assign-me-button"); if (button) button.click(); else return; }
        break;
      case "r": compose("reply"); break;
      case "n": compose("note"); break;
      case "u": if (!follow("a[data-back]")) return; break;
      case "/":
        var search = document.getElementById("search");
        if (!search) return;
        search.focus(); search.select();
        break;
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) toggleHelp();
  });

  /* Composer: tint the box for notes, name the button, and pre-fill a canned response. */
  function syncComposer() {
    var composer = document.getElementById("composer");
    if (!composer) return;
    var note = composer.querySelector("input[name=kind][value=note]");
    var submit = document.getElementById("composer-submit");
    var isNote = note && note.checked;
    composer.closest(".composer").classList.toggle("is-note", !!isNote);
    if (submit) submit.textContent = isNote ? "Add internal note" : "Send reply";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("#composer input[name=kind]")) syncComposer();
    if (event.target.id === "macro") {
      var option = event.target.selectedOptions[0];
      var body = document.getElementById("composer-body");
      if (option && option.dataset.body && body && (!body.value.trim() || body.dataset.fromMacro === "1")) {
        body.value = option.dataset.body;
        body.dataset.fromMacro = "1";
        var kind = document.querySelector("#composer input[name=kind][value=" + (option.dataset.public === "1" ? "reply" : "note") + "]");
        if (kind) { kind.checked = true; syncComposer(); }
      }
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "composer-body") event.target.dataset.fromMacro = "0";
  });
  document.addEventListener("DOMContentLoaded", syncComposer);
  document.addEventListener("htmx:afterSettle", syncComposer);
})();
