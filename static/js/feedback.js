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
})();
