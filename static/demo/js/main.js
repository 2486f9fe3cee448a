// The demo page: wires the sketchpad, the model selector, the layer heatmaps, the gallery and the
// training charts to the public API. State lives in one object; every request that can go stale
// (a prediction while the user keeps drawing, samples while the user changes the dataset) is
// cancelled with an AbortController when a newer one starts.

import { createApi, isAbort } from "./api.js";
import { renderConfusion, renderCurves } from "./charts.js";
import { DIVERGING_GRADIENT, SEQUENTIAL_GRADIENT, diverging, ink, paintPixels } from "./colors.js";
import { datasetName, renderGallery } from "./gallery.js";
import { LayerView, formatValue, layerTitle } from "./layers.js";
import { Sketchpad } from "./sketchpad.js";

const DEBOUNCE_MS = 150;
const $ = (id) => document.getElementById(id);

const app = $("app");
const api = createApi(app.dataset.apiBase ?? "");
const pad = new Sketchpad($("pad"));
const state = {
  models: [],
  model: null,
  input: { kind: "empty" },
  samples: [],
  sampleDataset: "test",
  galleryPredictions: null,
  weights: new Map(),
  failed: new Set(),
  inspecting: null,
};
const controllers = new Map();
let drawTimer = 0;

/** Start a request of this kind, cancelling the previous one of the same kind. */
function begin(kind) {
  controllers.get(kind)?.abort();
  const controller = new AbortController();
  controllers.set(kind, controller);
  return controller.signal;
}

function isCurrent(kind, signal) {
  return controllers.get(kind)?.signal === signal;
}

function cancel(kind) {
  controllers.get(kind)?.abort();
  controllers.delete(kind);
}

// ---------------------------------------------------------------- errors and the banner

function showBanner(message) {
  $("banner-text").textContent = message;
  $("banner").hidden = false;
}

/** Report an API failure: "unreachable" goes to the retry banner, the rest to `show`. */
function report(error, task, show) {
  if (error.code === "unreachable") {
    state.failed.add(task);
    showBanner("Server unreachable — Hippo did not answer. Check that it is running, then retry.");
    show("Server unreachable.");
    return;
  }
  if (error.code === "no_default_model") {
    showNoModel(error.message);
  }
  show(error.message || "Something went wrong.");
}

$("banner-retry").addEventListener("click", async () => {
  $("banner").hidden = true;
  const tasks = new Set(state.failed);
  state.failed.clear();
  if (tasks.has("models")) {
    await loadModels();
    if (tasks.has("gallery") || state.samples.length === 0) loadGallery();
    return;
  }
  if (tasks.has("gallery")) loadGallery();
  if (tasks.has("detail") && state.model) loadDetail(state.model);
  if (tasks.has("input")) rerunInput();
  if (tasks.has("gallery-predictions")) predictGallery();
});

// ---------------------------------------------------------------- models

function modelByName(name) {
  return state.models.find((m) => m.name === name) ?? null;
}

function formatAccuracy(value) {
  return Number.isFinite(value) ? `${value.toFixed(1)}%` : "not measured";
}

function showNoModel(detail = "") {
  app.dataset.state = "no-model";
  $("no-model").hidden = false;
  $("no-model-detail").textContent = detail;
  state.model = null;
  pad.setEnabled(false);
  $("pad-wrap").classList.add("pad--disabled");
  $("pad-hint").textContent = "Drawing is disabled until a model exists";
  updatePadButtons();
  const select = $("model-select");
  select.replaceChildren(new Option("No models available"));
  select.disabled = true;
  for (const id of ["model-architecture", "model-activation", "model-accuracy", "model-source"]) {
    $(id).textContent = "–";
  }
  $("prediction-text").textContent = "No model to predict with yet.";
  $("training-hint").textContent = "Train a model to see its learning curves and confusion matrix here.";
  $("curves").replaceChildren();
  $("training-facts").replaceChildren();
  $("confusion").replaceChildren();
  if (state.galleryPredictions !== null || state.samples.length > 0) {
    state.galleryPredictions = null;
    drawGallery();
  }
}

function hideNoModel() {
  $("no-model").hidden = true;
  pad.setEnabled(true);
  $("pad-wrap").classList.remove("pad--disabled");
  $("pad-hint").textContent = "Draw a digit here";
}

async function loadModels() {
  app.dataset.state = "loading";
  let payload;
  try {
    payload = await api.listModels(begin("models"));
  } catch (error) {
    if (isAbort(error)) return;
    report(error, "models", (message) => {
      app.dataset.state = "error";
      $("model-select").replaceChildren(new Option("Models could not be loaded"));
      $("prediction-text").textContent = "No predictions: the model list could not be loaded.";
      pad.setEnabled(false);
      $("pad-wrap").classList.add("pad--disabled");
      $("pad-hint").textContent = "Drawing resumes once the server answers";
      updatePadButtons();
      $("training-hint").textContent = "Shown once the model list has loaded.";
      $("curves").replaceChildren();
      $("training-facts").replaceChildren();
      if (error.code !== "unreachable") showBanner(`The model list could not be loaded: ${message}`);
    });
    if (error.code !== "unreachable") state.failed.add("models");
    return;
  }
  state.models = Array.isArray(payload.models) ? payload.models : [];
  const usable = state.models.filter((m) => (m.status ?? "available") === "available");
  if (usable.length === 0) {
    showNoModel(
      state.models.length > 0
        ? "Models are registered, but none is available right now (see the admin's status column)."
        : "",
    );
    return;
  }
  hideNoModel();
  const preferred = usable.find((m) => m.name === payload.default) ?? usable.find((m) => m.is_default);
  const select = $("model-select");
  select.replaceChildren(
    ...state.models.map((m) => {
      const available = (m.status ?? "available") === "available";
      const parts = [m.display_name || m.name, formatAccuracy(m.accuracy)];
      const text = parts.join(" · ") + (m.is_default ? " (default)" : "") + (available ? "" : ` (${m.status})`);
      const option = new Option(text, m.name);
      option.disabled = !available;
      return option;
    }),
  );
  select.disabled = false;
  select.value = (preferred ?? usable[0]).name;
  app.dataset.state = "ready";
  await selectModel(select.value);
}

function showModelFacts(model) {
  $("model-architecture").textContent = model.sizes?.join(" → ") ?? "–";
  $("model-activation").textContent = [model.activation, model.output].filter(Boolean).join(" / ") || "–";
  $("model-accuracy").textContent = formatAccuracy(model.accuracy);
  const hub = model.hub;
  const source = $("model-source");
  if (hub?.repo) {
    const revision = hub.revision ? ` @ ${String(hub.revision).slice(0, 7)}` : "";
    // A local store's repo is a folder path: too long to show, so it goes in the tooltip.
    source.textContent = hub.store === "hub" ? `Hub: ${hub.repo}${revision}` : `local${revision}`;
    source.title = [hub.repo, hub.filename, hub.revision].filter(Boolean).join(" · ");
  } else {
    source.textContent = "–";
  }
}

function resetInspector() {
  state.inspecting = null;
  $("weights").hidden = true;
  $("inspector-text").textContent = "Point at a neuron to see its value.";
}

async function selectModel(name) {
  // The inspected neuron belonged to the previous model (whose layers may differ).
  if (state.model !== name) resetInspector();
  state.model = name;
  const model = modelByName(name);
  if (model) showModelFacts(model);
  app.dataset.model = name;
  loadDetail(name);
  rerunInput();
  predictGallery();
}

$("model-select").addEventListener("change", (event) => selectModel(event.target.value));

async function loadDetail(name) {
  const signal = begin("detail");
  const model = modelByName(name);
  $("training-hint").textContent = `Learning curves and test-set confusion matrix of ${model?.display_name || name}.`;
  try {
    const detail = await api.getModel(name, signal);
    if (!isCurrent("detail", signal)) return;
    renderCurves($("curves"), percentHistory(detail.history));
    renderTrainingFacts($("training-facts"), detail);
    renderConfusion($("confusion"), detail.metrics?.confusion_matrix, detail.metrics?.per_class_accuracy);
  } catch (error) {
    if (isAbort(error)) return;
    report(error, "detail", (message) => {
      const p = document.createElement("p");
      p.className = "inline-error";
      p.textContent = `The training record could not be loaded: ${message}`;
      $("curves").replaceChildren(p);
      $("training-facts").replaceChildren();
      $("confusion").replaceChildren();
    });
  }
}

/** Key facts of the training run, from whatever the model's record holds (absent ones are left out). */
function renderTrainingFacts(container, detail) {
  const training = detail.training ?? {};
  // Training runs record their settings under `config`; older records kept them at the top level.
  const config = { ...training, ...(training.config ?? {}) };
  const history = Array.isArray(detail.history) ? detail.history : [];
  const seconds =
    training.duration_seconds ?? (history.length ? history.reduce((t, h) => t + (h.seconds ?? 0), 0) : null);
  const facts = [
    ["Epochs", config.epochs ?? (history.length || null)],
    ["Batch size", config.mini_batch_size],
    ["Learning rate", config.learning_rate],
    ["Optimizer", config.optimizer],
    ["Test loss", Number.isFinite(detail.metrics?.test_loss) ? detail.metrics.test_loss.toFixed(3) : null],
    ["Training time", Number.isFinite(seconds) && seconds > 0 ? formatDuration(seconds) : null],
    ["Weights file", Number.isFinite(detail.size_bytes) ? formatBytes(detail.size_bytes) : null],
  ].filter(([, value]) => value !== null && value !== undefined && value !== "");
  container.replaceChildren(
    ...facts.map(([name, value]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = name;
      dd.textContent = String(value);
      div.append(dt, dd);
      return div;
    }),
  );
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function formatDuration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** Accuracies are percentages by contract; older records stored fractions, so scale those. */
function percentHistory(history) {
  if (!Array.isArray(history)) return [];
  const values = history.map((h) => h.validation_accuracy).filter(Number.isFinite);
  if (values.length === 0 || Math.max(...values) > 1) return history;
  return history.map((h) => ({ ...h, validation_accuracy: h.validation_accuracy * 100 }));
}

// ---------------------------------------------------------------- the prediction panel

const probabilities = $("probabilities");
const probabilityRows = Array.from({ length: 10 }, (_, digit) => {
  const li = document.createElement("li");
  li.className = "probs__row";
  li.innerHTML =
    `<span class="probs__digit">${digit}</span>` +
    '<span class="probs__track"><span class="probs__bar"></span></span>' +
    '<span class="probs__value">–</span>';
  probabilities.append(li);
  return li;
});

function showProbabilities(values) {
  const best = values ? values.indexOf(Math.max(...values)) : -1;
  probabilityRows.forEach((li, digit) => {
    const p = values ? values[digit] : 0;
    li.classList.toggle("is-best", digit === best);
    li.querySelector(".probs__bar").style.setProperty("--p", String(p));
    li.querySelector(".probs__value").textContent = values ? `${(p * 100).toFixed(1)}%` : "–";
    li.setAttribute("aria-label", values ? `${digit}: ${(p * 100).toFixed(1)}%` : `${digit}: no value`);
  });
}

function setBusy(busy) {
  $("prediction-card").setAttribute("aria-busy", String(busy));
}

function showPrediction(result, source, label = null) {
  const prediction = $("prediction");
  const digit = result.predicted_digit;
  const pct = (result.confidence * 100).toFixed(1);
  $("predicted-digit").textContent = String(digit);
  $("prediction-model").textContent = result.model ?? state.model ?? "–";
  let headline = `Predicted ${digit} with ${pct}% confidence.`;
  let sourceText = source;
  if (label !== null) {
    const right = label === digit;
    sourceText += ` · true label ${label} — ${right ? "correct" : "misclassified"}`;
    headline = right ? `${headline} Correct.` : `${headline} Wrong: the label is ${label}.`;
    prediction.dataset.state = right ? "correct" : "wrong";
  } else {
    prediction.dataset.state = "done";
  }
  $("prediction-text").textContent = headline;
  $("prediction-source").textContent = sourceText;
  $("prediction-error").hidden = true;
  showProbabilities(result.probabilities);
}

function showPredictionError(message) {
  const error = $("prediction-error");
  error.textContent = message;
  error.hidden = false;
}

function paintSeen(pixels) {
  paintPixels($("seen"), pixels, 28, 28, ink);
}

function resetPrediction() {
  clearTimeout(drawTimer);
  cancel("predict");
  setBusy(false);
  state.input = { kind: "empty" };
  clearCurrentSample();
  $("prediction").dataset.state = "empty";
  $("predicted-digit").textContent = "?";
  const waiting = { loading: "Loading models…", "no-model": "No model to predict with yet." };
  $("prediction-text").textContent = state.model
    ? "Draw a digit or pick a sample below."
    : (waiting[app.dataset.state] ?? "No predictions: the model list could not be loaded.");
  $("prediction-source").textContent = "";
  $("prediction-model").textContent = state.model ?? "–";
  $("prediction-error").hidden = true;
  paintSeen(new Array(784).fill(0));
  showProbabilities(null);
  layerView.clear();
  resetInspector();
  const empty = document.createElement("p");
  empty.className = "empty-state";
  empty.textContent = "Draw a digit or pick a sample to see every layer light up.";
  $("layers").replaceChildren(empty);
}

// ---------------------------------------------------------------- running the current input

function rerunInput() {
  if (state.input.kind === "drawing") runDrawing();
  else if (state.input.kind === "sample") runSample(state.input.sample, state.input.dataset);
  else resetPrediction();
}

async function runDrawing() {
  if (!state.model || pad.isEmpty) return;
  const signal = begin("predict");
  const model = state.model;
  setBusy(true);
  try {
    const result = await api.predictImage(pad.toDataURL(), model, signal);
    showPrediction(result, "Your drawing");
    paintSeen(result.pixels);
    showLayers(await api.activations(result.pixels, model, signal));
  } catch (error) {
    if (!isAbort(error)) report(error, "input", showPredictionError);
  } finally {
    if (isCurrent("predict", signal)) setBusy(false);
  }
}

async function runSample(sample, dataset) {
  paintSeen(sample.pixels);
  if (!state.model) {
    $("prediction-source").textContent = `${datasetName(dataset)} sample ${sample.index} · true label ${sample.label}`;
    return;
  }
  const signal = begin("predict");
  setBusy(true);
  try {
    const result = await api.activations(sample.pixels, state.model, signal);
    showPrediction(result, `${datasetName(dataset)} sample ${sample.index}`, sample.label);
    showLayers(result);
  } catch (error) {
    if (!isAbort(error)) report(error, "input", showPredictionError);
  } finally {
    if (isCurrent("predict", signal)) setBusy(false);
  }
}

// ---------------------------------------------------------------- the sketchpad

function updatePadButtons() {
  $("undo").disabled = !pad.enabled || !pad.canUndo;
  $("clear").disabled = !pad.enabled || pad.isEmpty;
  $("pad-wrap").classList.toggle("pad--empty", pad.isEmpty);
}

pad.addEventListener("change", () => {
  updatePadButtons();
  if (pad.isEmpty) {
    resetPrediction();
    return;
  }
  if (state.input.kind === "sample") clearCurrentSample();
  state.input = { kind: "drawing" };
  clearTimeout(drawTimer);
  drawTimer = setTimeout(runDrawing, DEBOUNCE_MS);
});
$("undo").addEventListener("click", () => pad.undo());
$("clear").addEventListener("click", () => pad.clear());

// ---------------------------------------------------------------- layers and the inspector

const layerView = new LayerView($("layers"), $("neuron-tooltip"), {
  onInspect: inspect,
  onLeave: () => {},
});

function showLayers(result) {
  let details = result.layer_details;
  if (!Array.isArray(details)) {
    // The original Hippo API only had `layers`; name the activations from the model summary.
    const model = modelByName(result.model);
    details = result.layers.map((values, index, all) => ({
      index,
      size: values.length,
      values,
      pre_activations: null,
      activation: index === 0 ? "input" : index === all.length - 1 ? model?.output : model?.activation,
    }));
  }
  layerView.render(details);
  if (state.inspecting) {
    const { layer, neuron } = state.inspecting;
    const detail = details[layer];
    if (detail) describeNeuron({ layer, neuron, detail, count: details.length });
  }
}

function describeNeuron({ layer, neuron, detail, count }) {
  const title = layerTitle(detail, count);
  const value = detail.values[neuron];
  const pre = detail.pre_activations ? detail.pre_activations[neuron] : null;
  let text;
  if (layer === 0) {
    text = `${title} pixel (${neuron % 28}, ${Math.floor(neuron / 28)}): ink ${formatValue(value)}.`;
  } else if (layer === count - 1) {
    text = `${title} neuron for digit ${neuron}: probability ${(value * 100).toFixed(1)}%.`;
  } else {
    text = `${title}, neuron ${neuron}: activation ${formatValue(value)}`;
    text += pre === null ? "." : ` (weighted input ${formatValue(pre)}).`;
  }
  $("inspector-text").textContent = text;
}

function inspect(info) {
  state.inspecting = { layer: info.layer, neuron: info.neuron };
  describeNeuron(info);
  if (info.layer !== 1) {
    $("weights").hidden = true;
    return;
  }
  showWeights(state.model, info.neuron);
}

function neuronWeights(model, neuron) {
  if (!state.weights.has(model)) state.weights.set(model, new Map());
  const cache = state.weights.get(model);
  if (!cache.has(neuron)) {
    const request = api.neuronWeights(model, neuron);
    request.catch(() => cache.delete(neuron));
    cache.set(neuron, request);
  }
  return cache.get(neuron);
}

async function showWeights(model, neuron) {
  if (!model) return;
  try {
    const payload = await neuronWeights(model, neuron);
    const now = state.inspecting;
    if (state.model !== model || now?.layer !== 1 || now.neuron !== neuron) return;
    const weights = payload.weights;
    const [h, w] = payload.image_shape ?? [28, 28];
    const max = Math.max(...weights.map(Math.abs)) || 1;
    paintPixels($("weights-canvas"), weights, w, h, (v) => diverging(v / max));
    $("weights-min").textContent = `−${formatValue(max)}`;
    $("weights-max").textContent = `+${formatValue(max)}`;
    $("weights").hidden = false;
  } catch (error) {
    if (isAbort(error)) return;
    $("weights").hidden = true;
    $("inspector-text").textContent += ` (Its weights could not be loaded: ${error.message})`;
  }
}

// ---------------------------------------------------------------- the gallery

/** @param {string|Node} message */
function galleryStatus(message, kind = "info") {
  const status = $("gallery-status");
  status.replaceChildren(message);
  status.dataset.kind = kind;
}

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
function showGallerySkeleton(count) {
  const tiles = Array.from({ length: count }, () => {
    const li = document.createElement("li");
    li.className = "sample-skeleton";
    li.setAttribute("aria-hidden", "true");
    return li;
  });
  $("gallery").replaceChildren(...tiles);
}

function drawGallery() {
  const input = state.input;
  const current = input.kind === "sample" && input.dataset === state.sampleDataset ? input.sample.index : null;
  renderGallery($("gallery"), state.samples, state.galleryPredictions, state.sampleDataset, pickSample, current);
}

/** Drawing replaces the loaded sample, so no gallery tile is "current" any more. */
function clearCurrentSample() {
  for (const tile of $("gallery").querySelectorAll("[aria-current]")) tile.removeAttribute("aria-current");
}

async function loadGallery() {
  const dataset = $("gallery-dataset").value;
  const count = Number($("gallery-count").value);
  const signal = begin("gallery");
  cancel("gallery-predictions");
  galleryStatus(`Loading ${count} ${datasetName(dataset).toLowerCase()} samples…`);
  $("gallery").setAttribute("aria-busy", "true");
  if (state.samples.length === 0) showGallerySkeleton(Math.min(count, 20));
  try {
    const payload = await api.samples(dataset, count, signal);
    state.samples = payload.samples ?? [];
    state.sampleDataset = payload.dataset ?? dataset;
    state.galleryPredictions = null;
    drawGallery();
    await predictGallery();
  } catch (error) {
    if (isAbort(error)) return;
    state.samples = [];
    $("gallery").replaceChildren();
    if (error.code === "mnist_unavailable") {
      galleryStatus(mnistMissingMessage(), "error");
    } else {
      report(error, "gallery", (message) => galleryStatus(`Samples could not be loaded: ${message}`, "error"));
    }
  } finally {
    if (isCurrent("gallery", signal)) $("gallery").setAttribute("aria-busy", "false");
  }
}

function summariseGallery() {
  const where = `${state.samples.length} random ${datasetName(state.sampleDataset).toLowerCase()} samples`;
  const predictions = state.galleryPredictions;
  if (!predictions) {
    galleryStatus(state.model ? `${where}.` : `${where}. Predictions appear once a model exists.`);
    return;
  }
  const wrong = predictions.filter((p, i) => p.predicted_digit !== state.samples[i].label).length;
  const right = predictions.length - wrong;
  galleryStatus(`${where}: ${state.model} got ${right} right and ${wrong} wrong.`, wrong ? "warn" : "ok");
}

async function predictGallery() {
  if (state.samples.length === 0) return;
  if (!state.model) {
    summariseGallery();
    return;
  }
  const signal = begin("gallery-predictions");
  try {
    const payload = await api.predictBatch(state.samples.map((s) => s.pixels), state.model, signal);
    state.galleryPredictions = payload.predictions;
    drawGallery();
    summariseGallery();
  } catch (error) {
    if (isAbort(error)) return;
    report(error, "gallery-predictions", (message) =>
      galleryStatus(`The samples loaded, but predicting them failed: ${message}`, "error"),
    );
  }
}

function pickSample(sample) {
  pad.setBackgroundPixels(sample.pixels);
  updatePadButtons();
  clearTimeout(drawTimer);
  state.input = { kind: "sample", sample, dataset: state.sampleDataset };
  runSample(sample, state.sampleDataset);
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  $("prediction-card").scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "nearest" });
}

$("gallery-controls").addEventListener("submit", (event) => {
  event.preventDefault();
  loadGallery();
});
$("gallery-dataset").addEventListener("change", () => loadGallery());
$("gallery-count").addEventListener("change", () => loadGallery());

// ---------------------------------------------------------------- start

document.documentElement.style.setProperty("--sequential", SEQUENTIAL_GRADIENT);
document.documentElement.style.setProperty("--diverging", DIVERGING_GRADIENT);
resetPrediction();
updatePadButtons();
loadModels();
loadGallery();
