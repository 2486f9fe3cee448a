// The retry banner and the one place API failures are reported: "server unreachable" goes to the
// banner (whose Retry redoes every task that failed that way), every other failure to the panel
// that asked, in its own words.

/**
 * @param {{els: object, state: object}} page
 * @param {{onNoModel: (detail: string) => void, redo: {models: () => Promise<void>, gallery: () => void,
 *   detail: (name: string) => void, input: () => void, galleryPredictions: () => void}}} hooks
 */
export function initBanner({ els, state }, { onNoModel, redo }) {
  function show(message) {
    els.bannerText.textContent = message;
    els.banner.hidden = false;
  }

  /** Report a failed request of `task`: `showMessage(text)` shows it where the task's answer would be. */
  function report(error, task, showMessage) {
    if (error.code === "unreachable") {
      state.failed.add(task);
      show("Server unreachable — Hippo did not answer. Check that it is running, then retry.");
      showMessage("Server unreachable.");
      return;
    }
    if (error.code === "no_default_model") onNoModel(error.message);
    showMessage(error.message || "Something went wrong.");
  }

  els.bannerRetry.addEventListener("click", async () => {
    els.banner.hidden = true;
    const tasks = new Set(state.failed);
    state.failed.clear();
    if (tasks.has("models")) {
      // Selecting a model reruns the input and the gallery's predictions itself.
      await redo.models();
      if (tasks.has("gallery") || state.samples.length === 0) redo.gallery();
      return;
    }
    if (tasks.has("gallery")) redo.gallery();
    if (tasks.has("detail") && state.model) redo.detail(state.model);
    if (tasks.has("input")) redo.input();
    if (tasks.has("gallery-predictions")) redo.galleryPredictions();
  });

  return { show, report };
}
