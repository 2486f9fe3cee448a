// The light/dark toggle in the header. Without a saved choice the page follows
// `prefers-color-scheme`; the toggle saves an explicit choice (and the CSS reads data-theme).

const KEY = "hippo-theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

/** The theme in effect: the saved choice, else the system's. */
export function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "light" || chosen === "dark") return chosen;
  return media.matches ? "dark" : "light";
}

function sync(button) {
  const dark = currentTheme() === "dark";
  button.setAttribute("aria-pressed", String(dark));
  document.dispatchEvent(new CustomEvent("hippo:theme", { detail: { theme: currentTheme() } }));
}

const button = document.getElementById("theme-toggle");
if (button) {
  button.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Not saved (storage blocked): the choice lasts for this page only.
    }
    sync(button);
  });
  media.addEventListener("change", () => sync(button));
  sync(button);
}
