// After an htmx action on a complaint page, its confirmation or refusal (#feedback, a status
// region) moves beside the form that acted and takes the focus, so it is seen and read out
// where the person is working. Without this file the message shows at the top of the region.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function () {
    var feedback = document.getElementById("feedback");
    if (!feedback || !feedback.hasAttribute("data-acted")) return;
    var acted = feedback.getAttribute("data-acted");
    feedback.removeAttribute("data-acted");
    if (!feedback.textContent.trim()) return;
    var form = null;
    document.querySelectorAll("form[action]").forEach(function (candidate) {
      if (!form && candidate.getAttribute("action") === acted) form = candidate;
    });
    // A fold whose form is fetched when opened names its action itself.
    document.querySelectorAll("details[data-action]").forEach(function (candidate) {
      if (!form && candidate.getAttribute("data-action") === acted) form = candidate;
    });
    if (form) {
      var folded = form.closest("details");
      var anchor = folded && !folded.open ? folded : form;
      anchor.insertAdjacentElement("afterend", feedback);
    }
    feedback.focus({ preventScroll: true });
    feedback.scrollIntoView({ block: "nearest" });
  });

  // A fold whose form could not be fetched says so (and keeps its link to the form's page).
  function foldFailed(event, text) {
    var fold = event.detail && event.detail.elt;
    if (!fold || !fold.matches || !fold.matches("details[data-action]")) return;
    var body = fold.querySelector(".fold");
    if (!body) return;
    var note = body.querySelector(".fold-error") || document.createElement("p");
    note.className = "error fold-error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    body.insertBefore(note, body.firstChild);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    foldFailed(
      event,
      status === 404
        ? "This complaint is no longer in your queues. Reload the page to see where it is."
        : status === 403
          ? "You may not take this action on this complaint."
          : "The form could not be loaded. Reload the page and try again."
    );
  });
  document.addEventListener("htmx:sendError", function (event) {
    foldFailed(event, "The form could not be loaded: check your connection, then reload the page.");
  });
})();
