// Runs before the first paint: a light/dark choice saved by the toggle wins over the system's.
(function () {
  try {
    var saved = localStorage.getItem("hippo-theme");
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (error) {
    // Storage may be blocked (private mode): the system preference applies.
  }
})();
