// Gongjian's own script. Pages work without it; it only adds small conveniences.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Print buttons (A4 notices, invite slips) without inline handlers, which CSP forbids.
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.hidden = false;
    el.addEventListener("click", () => window.print());
  });
});
