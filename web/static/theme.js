// Sets the theme before the page paints: the saved choice, else the system's preference.
(function () {
  var t = null;
  try { t = localStorage.getItem("sandrun.theme"); } catch (e) {}
  if (t !== "dark" && t !== "light") {
    t = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = t;
})();
