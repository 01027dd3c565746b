// Step 4: share the phone's location with a report, only when the resident taps the button.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-geo]");
  if (!box || !("geolocation" in navigator)) return;
  box.hidden = false;
  const button = box.querySelector("[data-geo-button]");
  const status = box.querySelector("[data-geo-status]");
  button.addEventListener("click", () => {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        document.getElementById("latitude").value = pos.coords.latitude.toFixed(4);
        document.getElementById("longitude").value = pos.coords.longitude.toFixed(4);
        status.textContent = box.dataset.done || "✓";
      },
      () => { status.textContent = box.dataset.failed || "✗"; },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });
});
