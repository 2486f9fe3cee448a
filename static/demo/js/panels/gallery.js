// The MNIST samples card: random samples, the selected model's mistakes, or the images of one
// confusion-matrix cell, each tile with the model's answer; picking one loads it into the
// prediction. On arrival the first sample is shown, so the network view is never empty.

import { isAbort } from "../api.js";
import { prefersReducedMotion } from "../flow.js";
import { datasetName, renderGallery } from "../gallery.js";
import { modelLabel } from "../state.js";

function mnistMissingMessage() {
  const code = (text) => Object.assign(document.createElement("code"), { textContent: text });
  const message = document.createElement("span");
  message.append(
    "MNIST is missing on the server, so there are no samples to show. Point ",
    code("HIPPO_MNIST_DIR"),
    " at a folder holding the four MNIST IDX files, or run ",
    code("python manage.py fetch_mnist"),
    ", then reload this page.",
  );
  return message;
}

/** Grey placeholder tiles while the first samples load, so the layout does not jump. */
function skeleton(count) {
  return Array.from({ length: count }, () => {
    const li = document.createElement("li");
    li.className = "sample-skeleton";
    li.setAttribute("aria-hidden", "true");
    return li;
  });
}

/**
 * @param {{els: object, api: object, latest: import("../api.js").Latest, state: object,
 *   pad: import("../sketchpad.js").Sketchpad, report: Function}} page
 * @param {{onPick: (sample: object, dataset: string, options: {scroll?: boolean, auto?: boolean}) => void,
 *   onNothingToShow: () => void}} hooks `onNothingToShow`: no sample to show on arrival.
 */
export function initGallery({ els, api, latest, state, pad, report }, { onPick, onNothingToShow }) {
  let arrived = false;

  /** @param {string|Node} message */
  function status(message, kind = "info") {
    els.galleryStatus.replaceChildren(message);
    els.galleryStatus.dataset.kind = kind;
  }

  function draw() {
    const input = state.input;
    const current = input.kind === "sample" && input.dataset === state.sampleDataset ? input.sample.index : null;
    renderGallery(els.gallery, state.samples, state.galleryPredictions, state.sampleDataset, pick, current);
  }

  function pick(sample, _prediction, options = {}) {
    onPick(sample, state.sampleDataset, options);
  }

  /** Drawing replaces the loaded sample, so no gallery tile is "current" any more. */
  function clearCurrent() {
    for (const tile of els.gallery.querySelectorAll("[aria-current]")) tile.removeAttribute("aria-current");
  }

  /** The model is gone: its answers under the tiles go too. */
  function forgetPredictions() {
    if (state.galleryPredictions === null && state.samples.length === 0) return;
    state.galleryPredictions = null;
    draw();
  }

  /** Fetch the gallery's images: random samples, the model's mistakes, or one confusion cell. */
  async function fetchImages(dataset, count, signal) {
    const mode = state.galleryMode;
    if (mode.kind === "random") {
      const payload = await api.samples(dataset, count, signal);
      return { samples: payload.samples, dataset: payload.dataset, predictions: null };
    }
    const params = { dataset, count: String(count) };
    if (mode.kind === "mistakes") {
      params.mistakes = "true";
      // A different page of mistakes on every refresh, once we know how many there are.
      if (mode.total > count) params.offset = String(Math.floor(Math.random() * (mode.total - count)));
    } else {
      params.true = String(mode.truth);
      params.predicted = String(mode.predicted);
    }
    const payload = await api.examples(state.model, params, signal);
    mode.total = payload.total;
    mode.model = payload.model;
    const samples = payload.examples.map(({ index, label, pixels }) => ({ index, label, pixels }));
    const predictions = payload.examples.map((e) => ({ predicted_digit: e.predicted, confidence: e.confidence }));
    return { samples, dataset: payload.dataset, predictions };
  }

  async function load() {
    const dataset = els.galleryDataset.value;
    const count = Number(els.galleryCount.value);
    const signal = latest.begin("gallery");
    latest.cancel("gallery-predictions");
    status(`Loading ${count} ${datasetName(dataset).toLowerCase()} samples…`);
    els.gallery.setAttribute("aria-busy", "true");
    if (state.samples.length === 0) els.gallery.replaceChildren(...skeleton(Math.min(count, 20)));
    if (state.galleryMode.kind !== "random" && !state.model) {
      status("Choosing images by what a model predicts needs a model.", "error");
      return;
    }
    try {
      const fetched = await fetchImages(dataset, count, signal);
      if (!latest.isCurrent("gallery", signal)) return;
      state.samples = fetched.samples;
      state.sampleDataset = fetched.dataset;
      state.galleryPredictions = fetched.predictions;
      draw();
      if (fetched.predictions) summarise();
      else await predict();
      showFirstSample();
    } catch (error) {
      if (isAbort(error)) return;
      if (error.code === "mnist_unavailable") {
        state.samples = [];
        els.gallery.replaceChildren();
        status(mnistMissingMessage(), "error");
        showFirstSample();
        return;
      }
      // A failed refresh keeps the tiles already shown: they are still valid samples.
      if (state.samples.length === 0) els.gallery.replaceChildren();
      const keep = state.samples.length > 0 ? " The samples below are the previous ones." : "";
      report(error, "gallery", (message) => status(`Samples could not be loaded: ${message}${keep}`, "error"));
    } finally {
      if (latest.isCurrent("gallery", signal)) els.gallery.setAttribute("aria-busy", "false");
    }
  }

  function summarise() {
    const mode = state.galleryMode;
    const name = modelLabel(state, state.model);
    const set = datasetName(state.sampleDataset).toLowerCase();
    const shown = state.samples.length;
    if (mode.kind === "mistakes") {
      status(`${shown} of the ${mode.total} ${set} images ${name} gets wrong.`, mode.total ? "warn" : "ok");
      return;
    }
    if (mode.kind === "cell") {
      const right = mode.truth === mode.predicted;
      const what = right ? `${mode.truth}s it reads correctly` : `${mode.truth}s it reads as ${mode.predicted}`;
      status(`${shown} of the ${mode.total} ${set} ${what} (${name}).`, right ? "ok" : "warn");
      return;
    }
    const where = `${shown} random ${set} samples`;
    const predictions = state.galleryPredictions;
    if (!predictions) {
      status(state.model ? `${where}.` : `${where}. Predictions appear once a model exists.`);
      return;
    }
    const wrong = predictions.filter((p, i) => p.predicted_digit !== state.samples[i].label).length;
    status(`${where}: ${name} got ${predictions.length - wrong} right and ${wrong} wrong.`, wrong ? "warn" : "ok");
  }

  /** The selected model's answers for the samples shown. */
  async function predict() {
    if (state.samples.length === 0) return;
    if (!state.model) {
      summarise();
      return;
    }
    const signal = latest.begin("gallery-predictions");
    try {
      const payload = await api.predictBatch(
        state.samples.map((s) => s.pixels),
        state.model,
        signal,
      );
      state.galleryPredictions = payload.predictions;
      draw();
      summarise();
    } catch (error) {
      if (isAbort(error)) return;
      report(error, "gallery-predictions", (message) =>
        status(`The samples loaded, but predicting them failed: ${message}`, "error"),
      );
    }
  }

  /** Another model was selected: random samples get its answers, chosen images are chosen anew. */
  function modelChanged() {
    if (state.galleryMode.kind === "random") predict();
    else load();
  }

  /** The images of one confusion-matrix cell (true digit `truth`, predicted `predicted`). */
  function showCell(truth, predicted) {
    state.galleryMode = { kind: "cell", truth, predicted };
    els.galleryMistakes.checked = false;
    els.galleryDataset.value = "test";
    load();
    const reduce = prefersReducedMotion();
    els.galleryTitle.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
  }

  /** A sample on arrival, so the network view is never empty (a drawn 7 when MNIST is missing). */
  function showFirstSample() {
    if (arrived || !state.model || state.input.kind !== "empty" || !pad.isEmpty) return;
    if (state.samples.length > 0) {
      arrived = true;
      els.gallery.querySelector(".sample")?.setAttribute("aria-current", "true");
      pick(state.samples[0], null, { scroll: false, auto: true });
    } else if (els.galleryStatus.dataset.kind === "error") {
      arrived = true;
      onNothingToShow();
    }
  }

  els.galleryControls.addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.galleryMode.kind === "cell") state.galleryMode = { kind: "random" };
    load();
  });
  els.galleryDataset.addEventListener("change", () => load());
  els.galleryCount.addEventListener("change", () => load());
  els.galleryMistakes.addEventListener("change", (event) => {
    state.galleryMode = event.target.checked ? { kind: "mistakes" } : { kind: "random" };
    load();
  });

  return { load, predict, modelChanged, forgetPredictions, clearCurrent, showCell, showFirstSample };
}
