// A signed-in page restored from the browser's back/forward cache is loaded again, so Back
// after claiming a complaint (or any change) shows the queue and complaints as they are now.
// The server already marks these pages "no-store"; this covers browsers that keep them anyway.
(function () {
  "use strict";

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
