// Keyboard shortcuts for the agent console. Plain JavaScript, no framework; every shortcut
// has a mouse or keyboard equivalent on the page, so nothing depends on this file.
(function () {
  "use strict";

  var current = null; // the reference of the queue row chosen with j/k

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-results tbody tr[data-reference]"));
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function choose(row) {
    rows().forEach(function (other) {
      other.classList.remove("is-current");
      other.removeAttribute("aria-current");
    });
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    current = row.getAttribute("data-reference");
    var link = row.querySelector("a.row-link");
    if (link) link.focus();
  }

  function currentRow() {
    return rows().filter(function (row) {
      return row.getAttribute("data-reference") === current;
    })[0] || null;
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(currentRow());
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(index + step, 0), list.length - 1);
    choose(list[next]);
  }

  function open() {
    var row = currentRow();
    var link = row && row.querySelector("a.row-link");
    if (link) window.location.assign(link.href);
  }

  function toggleSelected() {
    var row = currentRow();
    var box = row && row.querySelector("input[name=complaints]");
    if (box) box.checked = !box.checked;
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var folded = field.closest("details");
    if (folded) folded.open = true;
    field.focus();
    return true;
  }

  function claim() {
    var form = document.querySelector('form[action$="/claim/"]');
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  var opener = null;

  function showHelp() {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog || dialog.open || typeof dialog.showModal !== "function") return;
    opener = document.activeElement;
    dialog.showModal();
  }

  var keys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    o: open,
    x: toggleSelected,
    r: function () { focusField("id_reply_body"); },
    n: function () { focusField("id_note_body"); },
    a: claim,
    "?": showHelp,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    if (event.key === "Enter" && current && event.target === document.body) {
      event.preventDefault();
      open();
      return;
    }
    var action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) showHelp();
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    rows().forEach(function (row) {
      var box = row.querySelector("input[name=complaints]");
      if (box) box.checked = event.target.checked;
    });
  });

  function reveal() {
    document.querySelectorAll("[data-shortcuts-open], #select-all").forEach(function (element) {
      element.hidden = false;
    });
    var dialog = document.getElementById("shortcuts-help");
    if (dialog && !dialog.dataset.bound) {
      dialog.dataset.bound = "1";
      dialog.addEventListener("close", function () {
        if (opener && opener.focus) opener.focus();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", reveal);
  // The queue refreshes itself: keep the chosen row chosen after a swap.
  document.addEventListener("htmx:afterSwap", function () {
    reveal();
    var row = currentRow();
    if (row) {
      row.classList.add("is-current");
      row.setAttribute("aria-current", "true");
      var link = row.querySelector("a.row-link");
      if (link && document.activeElement === document.body) link.focus();
    }
  });
})();
