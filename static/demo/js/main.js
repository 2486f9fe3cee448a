// The demo page: wires the sketchpad, image input, model selector, the network views, the model
// comparison, the gallery and the training charts to the public API. State lives in one object;
// every request that can go stale (a prediction while the user keeps drawing, samples while the
// user changes the dataset) is cancelled with an AbortController when a newer one starts.

import { createApi, isAbort } from "./api.js";
import { renderConfusion, renderCurves } from "./charts.js";
import { definitionItems } from "./dom.js";
import { DIVERGING_GRADIENT, SEQUENTIAL_GRADIENT, diverging, ink, paintPixels } from "./colors.js";
import { projectToInput, topContributions } from "./contributions.js";
import { isPassThrough, layerExplanation, layerTitle, layerType, mapShape } from "./explain.js";
import { drawFlow, prefersReducedMotion } from "./flow.js";
import { datasetName, renderGallery } from "./gallery.js";
import { LayerView, formatPercent, formatValue } from "./layers.js";
import { describeSource, formatAccuracy, friendlyName } from "./models.js";
import { NeuronView } from "./neurons.js";
import { Sketchpad } from "./sketchpad.js";
import { renderSparkline } from "./sparkline.js";
import { assess, inkStats } from "./uncertainty.js";
import { wireImageInput } from "./upload.js";

const LIVE_MS = 100; // while drawing, at most one prediction per this many milliseconds
const LINKS_PER_GAP = 28; // connection lines drawn between two layers
const $ = (id) => document.getElementById(id);

const app = $("app");
const api = createApi(app.dataset.apiBase ?? "");
const pad = new Sketchpad($("pad"));
const state = {
  models: [],
  model: null,
  input: { kind: "empty" },
  result: null,
  history: [],
  liveCount: 0,
  view: "grids",
  samples: [],
  sampleDataset: "test",
  galleryPredictions: null,
  galleryMode: { kind: "random" },
  weights: new Map(),
  failed: new Set(),
  inspecting: null,
};
const controllers = new Map();
let liveTimer = 0;
let lastLive = 0;

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

function modelByName(name) {
  return state.models.find((m) => m.name === name) ?? null;
}

function modelLabel(name) {
  const model = modelByName(name);
  return model ? friendlyName(model) : (name ?? "–");
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
  $("model-source-list").replaceChildren();
  $("prediction-text").textContent = "No model to predict with yet.";
  $("training-hint").textContent = "Train a model to see its learning curves and confusion matrix here.";
  $("curves").replaceChildren();
  $("training-facts").replaceChildren();
  $("confusion").replaceChildren();
  showEmptyNetwork("No model yet: train one to see inside it.");
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
      showEmptyNetwork("The network appears once the server answers.");
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
      const parts = [friendlyName(m), formatAccuracy(m.accuracy)];
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
  loadFirstSample();
}

function showModelFacts(model) {
  // An MLP reads best as its layer sizes; other networks as their layer specs (conv, pool, ...).
  const spec = String(model.architecture ?? "");
  const layered = /conv|pool|dropout|flatten/i.test(spec);
  $("model-architecture").textContent =
    (layered ? spec.split("-").join(" → ") : model.sizes?.join(" → ")) || spec || "–";
  $("model-activation").textContent = [model.activation, model.output].filter(Boolean).join(" / ") || "–";
  $("model-accuracy").textContent = formatAccuracy(model.accuracy);
  const source = describeSource(model);
  $("model-source").textContent = source.summary;
  $("model-source-list").replaceChildren(...definitionItems(source.details));
}

function resetInspector() {
  state.inspecting = null;
  $("weights").dataset.shown = "false";
  $("weights-explain").textContent = "";
  $("inspector-text").textContent =
    "Point at a neuron (or focus a layer and use the arrow keys) to see its value and what drives it.";
}

async function selectModel(name) {
  // The inspected neuron belonged to the previous model (whose layers may differ).
  if (state.model !== name) resetInspector();
  state.model = name;
  const model = modelByName(name);
  if (model) showModelFacts(model);
  app.dataset.model = name;
  $("prediction-model").textContent = modelLabel(name);
  $("prediction-model").dataset.model = name;
  fillCompareSelect();
  loadDetail(name);
  rerunInput();
  if (state.galleryMode.kind === "random") predictGallery();
  else loadGallery();
}

$("model-select").addEventListener("change", (event) => selectModel(event.target.value));

// ---------------------------------------------------------------- training record

const details = new Map();

function modelDetail(name, signal) {
  if (!details.has(name)) {
    const request = api.getModel(name, signal);
    request.catch(() => details.delete(name));
    details.set(name, request);
  }
  return details.get(name);
}

async function loadDetail(name) {
  const signal = begin("detail");
  $("training-hint").textContent = `Learning curves and test-set confusion matrix of ${modelLabel(name)}.`;
  try {
    const detail = await modelDetail(name, signal);
    if (!isCurrent("detail", signal)) return;
    renderCurves($("curves"), percentHistory(detail.history));
    renderTrainingFacts($("training-facts"), detail);
    await drawConfusion(detail);
  } catch (error) {
    if (isAbort(error)) return;
    details.delete(name);
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

function fillCompareSelect() {
  const select = $("confusion-compare");
  const previous = select.value;
  const others = state.models.filter((m) => m.name !== state.model && (m.status ?? "available") === "available");
  select.replaceChildren(new Option("— nothing —", ""), ...others.map((m) => new Option(friendlyName(m), m.name)));
  select.value = others.some((m) => m.name === previous) ? previous : "";
  select.disabled = others.length === 0;
}

async function drawConfusion(detail) {
  const other = $("confusion-compare").value;
  const matrix = detail.metrics?.confusion_matrix;
  if (other) {
    const second = await modelDetail(other);
    // No per-class accuracy column here: it would be the first model's alone.
    renderConfusion($("confusion"), matrix, null, {
      compare: second.metrics?.confusion_matrix,
      names: [modelLabel(detail.name), modelLabel(other)],
    });
    return;
  }
  renderConfusion($("confusion"), matrix, detail.metrics?.per_class_accuracy, {
    onCell: (truth, predicted) => showConfusionCell(truth, predicted),
  });
}

$("confusion-compare").addEventListener("change", async () => {
  if (!state.model) return;
  try {
    await drawConfusion(await modelDetail(state.model));
  } catch (error) {
    if (!isAbort(error)) report(error, "detail", () => {});
  }
});

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
  container.replaceChildren(...definitionItems(facts));
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
  const name = document.createElement("span");
  name.className = "probs__digit";
  name.textContent = String(digit);
  const track = document.createElement("span");
  track.className = "probs__track";
  const bar = document.createElement("span");
  bar.className = "probs__bar";
  track.append(bar);
  const value = document.createElement("span");
  value.className = "probs__value";
  value.textContent = "–";
  li.append(name, track, value);
  probabilities.append(li);
  return li;
});

function showProbabilities(values) {
  const best = values ? values.indexOf(Math.max(...values)) : -1;
  probabilityRows.forEach((li, digit) => {
    const p = values ? values[digit] : 0;
    // Under half a percent the bar would be a sliver that reads as "something": draw none.
    const visible = p >= 0.005;
    li.classList.toggle("is-best", digit === best);
    li.classList.toggle("is-zero", !visible);
    li.querySelector(".probs__bar").style.setProperty("--p", String(visible ? p : 0));
    li.querySelector(".probs__value").textContent = values ? formatPercent(p) : "–";
    li.setAttribute("aria-label", values ? `${digit}: ${formatPercent(p)}` : `${digit}: no value`);
  });
}

function setBusy(busy) {
  $("prediction-card").setAttribute("aria-busy", String(busy));
}

function showMini(digitText, text, kind) {
  $("mini-digit").textContent = digitText;
  $("mini-text").textContent = text;
  $("mini-result").dataset.state = kind;
}

/** Show a prediction with its honest verdict (`stats`: the input's ink statistics, if known). */
function showPrediction(result, source, { label = null, stats = null } = {}) {
  const prediction = $("prediction");
  const digit = result.predicted_digit;
  const pct = (result.confidence * 100).toFixed(1);
  const verdict = assess(result.probabilities, stats);
  $("predicted-digit").textContent = verdict.kind === "not-a-digit" ? "?" : String(digit);
  $("prediction-model").textContent = modelLabel(result.model ?? state.model);
  $("prediction-model").dataset.model = result.model ?? state.model ?? "";
  let headline = `Predicted ${digit} with ${pct}% confidence.`;
  if (verdict.kind === "unsure") headline = `${verdict.headline} Best guess ${digit}.`;
  if (verdict.kind === "not-a-digit") headline = verdict.headline;
  let sourceText = source;
  if (label !== null) {
    const right = label === digit;
    sourceText += ` · true label ${label} — ${right ? "correct" : "misclassified"}`;
    headline = right ? `${headline} Correct.` : `${headline} Wrong: the label is ${label}.`;
    prediction.dataset.state = right ? "correct" : "wrong";
  } else {
    prediction.dataset.state = "done";
  }
  prediction.dataset.verdict = verdict.kind;
  const verdictLine = $("verdict");
  if (verdict.kind === "confident") {
    verdictLine.hidden = true;
  } else {
    verdictLine.hidden = false;
    verdictLine.dataset.kind = verdict.kind;
    verdictLine.textContent =
      verdict.kind === "unsure"
        ? `The model is unsure: ${verdict.reasons.join(", ")}. Near-even probabilities mean "could be either".`
        : `The network still answers ${digit} (${pct}%): trained only on digits, it has no "none of these" answer. Don't trust it.`;
  }
  $("prediction-text").textContent = headline;
  $("prediction-source").textContent = sourceText;
  $("prediction-error").hidden = true;
  showProbabilities(result.probabilities);
  const mini = { confident: `${pct}% sure`, unsure: `unsure (${pct}%)`, "not-a-digit": "not a digit?" };
  showMini(verdict.kind === "not-a-digit" ? "?" : String(digit), mini[verdict.kind], verdict.kind);
}

function showPredictionError(message) {
  const error = $("prediction-error");
  error.textContent = message;
  error.hidden = false;
  // The last answer belongs to an input or model that is no longer shown: do not keep it.
  $("prediction").dataset.state = "error";
  $("predicted-digit").textContent = "–";
  $("prediction-model").textContent = modelLabel(state.model);
  $("prediction-model").dataset.model = state.model ?? "";
  $("prediction-text").textContent = `No answer from ${modelLabel(state.model)}: ${message}`;
  $("prediction-source").textContent = "";
  $("verdict").hidden = true;
  showProbabilities(null);
  showMini("–", "no answer", "error");
  // Nor the network's insides or the other models' answers for that old input.
  state.result = null;
  cancel("compare");
  resetInspector();
  showEmptyNetwork("No answer from the server for this input, so there is nothing to show inside the network.");
  $("compare").replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "No answer for this input." }));
}

function paintSeen(pixels) {
  paintPixels($("seen"), pixels, 28, 28, ink);
}

function showEmptyNetwork(message) {
  layerView.clear();
  neuronView.clear();
  $("flow").replaceChildren();
  $("layer-explain").replaceChildren();
  const empty = document.createElement("p");
  empty.className = "empty-state";
  empty.textContent = message;
  $("layers").replaceChildren(empty);
}

function resetPrediction() {
  clearTimeout(liveTimer);
  liveTimer = 0;
  cancel("predict");
  cancel("compare");
  setBusy(false);
  state.input = { kind: "empty" };
  state.result = null;
  state.history = [];
  renderSparkline($("sparkline"), []);
  clearCurrentSample();
  $("prediction").dataset.state = "empty";
  $("prediction").dataset.verdict = "none";
  $("verdict").hidden = true;
  $("predicted-digit").textContent = "?";
  const waiting = { loading: "Loading models…", "no-model": "No model to predict with yet." };
  $("prediction-text").textContent = state.model
    ? "Draw a digit, drop an image or pick a sample below."
    : (waiting[app.dataset.state] ?? "No predictions: the model list could not be loaded.");
  $("prediction-source").textContent = "";
  $("prediction-model").textContent = modelLabel(state.model);
  $("prediction-error").hidden = true;
  paintSeen(new Array(784).fill(0));
  showProbabilities(null);
  showMini("?", "Draw a digit", "empty");
  resetInspector();
  showEmptyNetwork("Draw a digit or pick a sample to see every layer light up.");
  $("compare").replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Waiting for an input…" }));
}

// ---------------------------------------------------------------- running the current input

function rerunInput() {
  const input = state.input;
  if (input.kind === "drawing") runDrawing(true);
  else if (input.kind === "sample") runSample(input.sample, input.dataset);
  else if (input.kind === "image") runPixels(input.pixels, input.source, { stats: input.stats });
  else resetPrediction();
}

/** Show the activations of `pixels` (already predicted or not) with everything that follows. */
async function runPixels(pixels, source, { label = null, stats = null, live = false } = {}) {
  if (!state.model) return;
  const signal = begin("predict");
  const model = state.model;
  $("prediction-model").textContent = modelLabel(model);
  setBusy(true);
  try {
    const result = await api.activations(pixels, model, signal);
    if (!isCurrent("predict", signal)) return;
    paintSeen(pixels);
    showPrediction(result, source, { label, stats });
    showResult(result, pixels, { live });
  } catch (error) {
    if (!isAbort(error)) report(error, "input", showPredictionError);
  } finally {
    if (isCurrent("predict", signal)) setBusy(false);
  }
}

/** Predict the drawing. `final`: the stroke has ended (animate, compare every model). */
async function runDrawing(final = false) {
  if (!state.model || pad.isEmpty) return;
  const signal = begin("predict");
  const model = state.model;
  const stroking = !final;
  $("prediction-model").textContent = modelLabel(model);
  setBusy(true);
  try {
    const seen = await api.predictImage(pad.toDataURL(), model, signal);
    const result = await api.activations(seen.pixels, model, signal);
    if (!isCurrent("predict", signal)) return;
    paintSeen(seen.pixels);
    const stats = inkStats(pad.inkGrid(56), 56, 56);
    showPrediction(result, "Your drawing", { stats });
    state.history.push(result.probabilities);
    if (stroking) {
      state.liveCount += 1;
      $("prediction").dataset.liveCount = String(state.liveCount);
    }
    renderSparkline($("sparkline"), state.history);
    showResult(result, seen.pixels, { live: stroking });
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
  // MNIST images are digits by construction: only the model's own uncertainty is checked.
  await runPixels(sample.pixels, `${datasetName(dataset)} sample ${sample.index}`, { label: sample.label });
}

async function runImage(blob, how) {
  if (!state.model) return;
  $("upload-error").hidden = true;
  const signal = begin("predict");
  setBusy(true);
  try {
    const seen = await api.predictImageFile(blob, state.model, signal);
    if (!isCurrent("predict", signal)) return;
    // The pad shows what the network saw: the image reduced to MNIST's 28 × 28 format.
    pad.setBackgroundPixels(seen.pixels);
    updatePadButtons();
    state.history = [];
    renderSparkline($("sparkline"), []);
    const source = { upload: "Your uploaded image", paste: "Your pasted image", drop: "Your dropped image" }[how];
    const stats = inkStats(seen.pixels, 28, 28);
    state.input = { kind: "image", pixels: seen.pixels, source, stats };
    clearCurrentSample();
    setBusy(false);
    await runPixels(seen.pixels, source, { stats });
  } catch (error) {
    if (isAbort(error)) return;
    setBusy(false);
    report(error, "input", (message) => {
      $("upload-error").textContent = `That image could not be read: ${message}`;
      $("upload-error").hidden = false;
    });
  }
}

// ---------------------------------------------------------------- the sketchpad and images

function updatePadButtons() {
  $("undo").disabled = !pad.enabled || !pad.canUndo;
  $("clear").disabled = !pad.enabled || pad.isEmpty;
  $("pad-wrap").classList.toggle("pad--empty", pad.isEmpty);
}

pad.addEventListener("strokestart", () => {
  // The sample shown on arrival is a demonstration: the first stroke starts a fresh drawing.
  if (state.input.auto) {
    pad.background = null;
    pad.strokes = pad.current ? [pad.current] : [];
    pad.redraw();
  }
  if (state.input.kind !== "drawing") {
    state.history = [];
    renderSparkline($("sparkline"), []);
  }
});

pad.addEventListener("change", () => {
  updatePadButtons();
  if (pad.isEmpty) {
    resetPrediction();
    return;
  }
  if (state.input.kind !== "drawing") clearCurrentSample();
  state.input = { kind: "drawing" };
  // Live while drawing: throttled (one request per LIVE_MS, the newest cancelling the last).
  const wait = LIVE_MS - (performance.now() - lastLive);
  if (wait <= 0) {
    lastLive = performance.now();
    runDrawing(pad.current === null);
  } else if (!liveTimer) {
    liveTimer = setTimeout(() => {
      liveTimer = 0;
      lastLive = performance.now();
      runDrawing(pad.current === null);
    }, wait);
  }
});
pad.addEventListener("strokeend", () => {
  clearTimeout(liveTimer);
  liveTimer = 0;
  lastLive = performance.now();
  runDrawing(true);
});
$("undo").addEventListener("click", () => pad.undo());
$("clear").addEventListener("click", () => pad.clear());
$("pen-width").addEventListener("change", (event) => {
  const value = event.target.value;
  pad.setPenWidth(value === "auto" ? "auto" : Number(value));
});

wireImageInput({
  input: $("image-input"),
  dropTarget: $("pad-wrap"),
  onImage: (blob, how) => runImage(blob, how),
  onReject: (message) => {
    $("upload-error").textContent = message;
    $("upload-error").hidden = false;
  },
});

// ---------------------------------------------------------------- the network views

const tooltip = $("neuron-tooltip");
const viewCallbacks = { onInspect: inspect, onLeave: () => {}, onLayout: () => drawLinks(false) };
const layerView = new LayerView($("layers"), tooltip, viewCallbacks);
const neuronView = new NeuronView($("layers"), tooltip, viewCallbacks);
const activeView = () => (state.view === "neurons" ? neuronView : layerView);

// The tooltip is fixed to the window: after a scroll it would point at nothing.
window.addEventListener("scroll", () => activeView().hideTooltip(), { passive: true, capture: true });

function setView(view) {
  state.view = view;
  $("view-grids").setAttribute("aria-pressed", String(view === "grids"));
  $("view-neurons").setAttribute("aria-pressed", String(view === "neurons"));
  $("network-stage").dataset.view = view;
  resetInspector();
  if (state.result) {
    layerView.clear();
    neuronView.clear();
    showResult(state.result.result, state.result.pixels, { live: false, relayout: true });
  }
}
$("view-grids").addEventListener("click", () => setView("grids"));
$("view-neurons").addEventListener("click", () => setView("neurons"));

/** The layer details of a result (older servers only send `layers`: name them from the model). */
function layerDetails(result) {
  if (Array.isArray(result.layer_details)) return result.layer_details;
  const model = modelByName(result.model);
  return result.layers.map((values, index, all) => ({
    index,
    size: values.length,
    values,
    pre_activations: null,
    activation: index === 0 ? "input" : index === all.length - 1 ? model?.output : model?.activation,
  }));
}

/** The `layer` to ask `/models/{name}/weights` for a layer's incoming parameters (contract:
 *  `weights_layer`; servers from before it have only dense layers, so it is the index minus 1). */
function weightsLayerOf(detail, all) {
  if ("weights_layer" in detail) return detail.weights_layer;
  if (detail.index === 0 || all.some((d) => d.type && d.type !== "dense" && d.type !== "input")) return null;
  return detail.index - 1;
}

function layerWeights(model, layer) {
  if (!state.weights.has(model)) state.weights.set(model, new Map());
  const cache = state.weights.get(model);
  if (!cache.has(layer)) {
    const request = api.layerWeights(model, layer);
    request.catch(() => cache.delete(layer));
    cache.set(layer, request);
  }
  return cache.get(layer);
}

function showResult(result, pixels, { live, relayout = false }) {
  const all = layerDetails(result);
  state.result = { result, pixels, details: all, model: result.model ?? state.model };
  renderExplanations(all);
  activeView().render(all);
  $("network-stage").dataset.layers = String(all.length);
  if (state.inspecting) {
    const { layer, neuron } = state.inspecting;
    if (all[layer]) describeNeuron({ layer, neuron, detail: all[layer], details: all });
  }
  loadKernels(all, state.result.model);
  drawLinks(!live && !relayout && !prefersReducedMotion());
  if (!live) compareModels(pixels, state.result.model);
}

function renderExplanations(all) {
  const items = all
    .filter((d, i) => i === 0 || i === all.length - 1 || !isPassThrough(d))
    .map((detail) => {
      const li = document.createElement("li");
      const title = document.createElement("strong");
      title.textContent = layerTitle(detail, all);
      li.append(title, ` — ${layerExplanation(detail, all)}`);
      return li;
    });
  $("layer-explain").replaceChildren(...items);
}

function loadKernels(all, model) {
  for (const detail of all) {
    if (layerType(detail) !== "conv2d") continue;
    const layer = weightsLayerOf(detail, all);
    if (layer === null || layer === undefined) continue;
    layerWeights(model, layer)
      .then((payload) => {
        if (state.result?.model === model && payload.type === "conv2d") layerView.setKernels(detail.index, payload);
      })
      .catch(() => {});
  }
}

/** Draw the strongest contributions into every dense layer, once their weights have arrived. */
async function drawLinks(animate) {
  const current = state.result;
  if (!current) return;
  const { details: all, model } = current;
  const view = activeView();
  const gaps = [];
  all.forEach((detail, index) => {
    if (index === 0 || layerType(detail) !== "dense") return;
    const layer = weightsLayerOf(detail, all);
    if (layer === null || layer === undefined) return;
    gaps.push({ index, layer, inputs: all[index - 1].values });
  });
  let payloads;
  try {
    payloads = await Promise.all(gaps.map((gap) => layerWeights(model, gap.layer)));
  } catch (error) {
    if (!isAbort(error)) $("flow").dataset.error = error.message;
    return;
  }
  if (state.result !== current) return;
  const stage = $("network-stage");
  // The neuron view draws its lines into its own SVG, so they are placed in its coordinates.
  const box = (state.view === "neurons" && neuronView.svg ? neuronView.svg : stage).getBoundingClientRect();
  const lines = [];
  gaps.forEach((gap, k) => {
    const payload = payloads[k];
    if (payload.type && payload.type !== "dense") return;
    const shown = (i, n) => (view.isShown ? view.isShown(i, n) : true);
    const links = topContributions(
      payload.weights,
      gap.inputs,
      LINKS_PER_GAP,
      (to) => shown(gap.index, to),
      (from) => shown(gap.index - 1, from),
    );
    for (const link of links) {
      const from = view.centreOf(gap.index - 1, link.from, box);
      const to = view.centreOf(gap.index, link.to, box);
      if (from && to) lines.push({ from, to, value: link.value, gap: k });
    }
  });
  const target = state.view === "neurons" ? neuronView.overlay : $("flow");
  if (state.view === "neurons") $("flow").replaceChildren();
  drawFlow(target, lines, { animate, width: box.width, height: box.height });
  $("flow").dataset.lines = String(lines.length);
  $("flow").dataset.animated = String(animate);
  if (animate) {
    // The layers light up one after another, as the signal reaches them.
    for (const figure of stage.querySelectorAll(".layer, .neurons__column")) {
      figure.classList.remove("is-arriving");
      void figure.getBoundingClientRect();
      figure.classList.add("is-arriving");
    }
  }
}

function describeNeuron({ layer, neuron, detail, details: all }) {
  const title = layerTitle(detail, all);
  const value = detail.values[neuron];
  const pre = detail.pre_activations ? detail.pre_activations[neuron] : null;
  let text;
  if (layer === 0) {
    text = `${title} pixel (${neuron % 28}, ${Math.floor(neuron / 28)}): ink ${formatValue(value)}.`;
  } else if (layer === all.length - 1) {
    text = `${title} neuron for digit ${neuron}: probability ${formatPercent(value)}`;
    text += pre === null ? "." : ` (score before softmax ${formatValue(pre)}).`;
  } else if (mapShape(detail)) {
    const [, h, w] = mapShape(detail);
    const channel = Math.floor(neuron / (h * w));
    const rest = neuron % (h * w);
    text = `${title}, map ${channel} at (${rest % w}, ${Math.floor(rest / w)}): ${formatValue(value)}.`;
  } else {
    text = `${title}, neuron ${neuron}: activation ${formatValue(value)}`;
    text += pre === null ? "." : ` (weighted input ${formatValue(pre)}).`;
  }
  $("inspector-text").textContent = text;
}

function inspect(info) {
  state.inspecting = { layer: info.layer, neuron: info.neuron };
  describeNeuron(info);
  showDrivers(info);
}

function hideDrivers(message = "") {
  $("weights").dataset.shown = "false";
  $("weights-explain").textContent = message;
}

/** What drives the inspected neuron, as a 28 × 28 map (or a conv kernel). */
async function showDrivers({ layer, neuron, detail, details: all }) {
  const model = state.result?.model ?? state.model;
  if (!model || layer === 0) {
    hideDrivers(layer === 0 ? "An input pixel is just the image: nothing drives it." : "");
    return;
  }
  const still = () => state.inspecting?.layer === layer && state.inspecting?.neuron === neuron && state.result?.model === model;
  try {
    if (layerType(detail) === "conv2d" && mapShape(detail)) {
      const [, h, w] = mapShape(detail);
      const channel = Math.floor(neuron / (h * w));
      const payload = await api.neuronWeights(model, channel, undefined, weightsLayerOf(detail, all));
      if (!still()) return;
      const [kh, kw] = payload.image_shape ?? [3, 3];
      const [inC] = payload.kernel_shape ?? [1];
      const summed = Array.from({ length: kh * kw }, (_, p) => {
        let v = 0;
        for (let c = 0; c < inC; c += 1) v += payload.weights[c * kh * kw + p];
        return v;
      });
      paintDrivers(summed, kw, kh, `Map ${channel}'s kernel (${kh} × ${kw}${inC > 1 ? `, summed over ${inC} input maps` : ""}): the pattern this map looks for, wherever it is.`);
      return;
    }
    const chain = all.slice(1, layer + 1);
    if (!chain.every((d) => layerType(d) === "dense")) {
      hideDrivers("Projection back to the pixels is drawn for dense layers after the input; this one sits after convolutions.");
      return;
    }
    const matrices = await Promise.all(chain.map((d) => layerWeights(model, weightsLayerOf(d, all))));
    if (!still()) return;
    const map = projectToInput(
      matrices.map((m) => m.weights),
      all,
      layer,
      neuron,
    );
    const explain =
      layer === 1
        ? "Its weights: ink on red pixels raises its activation, ink on blue pixels lowers it."
        : `Its weights projected back to the pixels through the neurons that are active for this input: ink on red pixels raises ${layer === all.length - 1 ? `the score of ${neuron}` : "it"}, ink on blue lowers it.`;
    paintDrivers(map, 28, 28, explain);
  } catch (error) {
    if (isAbort(error)) return;
    hideDrivers(`Its weights could not be loaded: ${error.message}`);
  }
}

function paintDrivers(values, width, height, explain) {
  const max = Math.max(...values.map(Math.abs)) || 1;
  paintPixels($("weights-canvas"), values, width, height, (v) => diverging(v / max));
  $("weights-min").textContent = `−${formatValue(max)}`;
  $("weights-max").textContent = `+${formatValue(max)}`;
  $("weights-explain").textContent = explain;
  $("weights").dataset.shown = "true";
}

// ---------------------------------------------------------------- every model on this input

async function compareModels(pixels, shownModel) {
  const models = state.models.filter((m) => (m.status ?? "available") === "available");
  if (models.length === 0 || !pixels) return;
  const signal = begin("compare");
  const results = await Promise.all(
    models.map((m) =>
      api.predict(pixels, m.name, signal).then(
        (r) => ({ model: m, result: r }),
        (error) => ({ model: m, error }),
      ),
    ),
  );
  if (!isCurrent("compare", signal)) return;
  if (results.every((r) => r.error && isAbort(r.error))) return;
  const label = state.input.kind === "sample" ? state.input.sample.label : null;
  const table = document.createElement("table");
  table.className = "compare__table";
  const head = table.createTHead().insertRow();
  for (const name of ["Model", "Answer", "Confidence", ...(label === null ? [] : ["Verdict"])]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  for (const { model, result, error } of results) {
    const tr = body.insertRow();
    tr.dataset.model = model.name;
    if (model.name === shownModel) tr.classList.add("is-current");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = friendlyName(model);
    tr.append(th);
    if (error) {
      const td = tr.insertCell();
      td.colSpan = label === null ? 2 : 3;
      td.textContent = `no answer: ${error.message}`;
      continue;
    }
    const verdict = assess(result.probabilities, null);
    const answer = tr.insertCell();
    answer.className = "compare__digit";
    answer.textContent = String(result.predicted_digit);
    const confidence = tr.insertCell();
    const bar = document.createElement("span");
    bar.className = "compare__bar";
    bar.style.setProperty("--p", String(result.confidence));
    confidence.append(bar, ` ${formatPercent(result.confidence)}${verdict.kind === "unsure" ? " · unsure" : ""}`);
    if (label !== null) {
      const cell = tr.insertCell();
      const right = result.predicted_digit === label;
      cell.textContent = right ? "✓ correct" : `✗ wrong (label ${label})`;
      cell.className = right ? "is-right" : "is-wrong";
    }
  }
  const agree = new Set(results.filter((r) => r.result).map((r) => r.result.predicted_digit));
  const summary = document.createElement("p");
  summary.className = "compare__summary";
  summary.textContent =
    results.length === 1
      ? `Only one model is available; it says ${[...agree][0] ?? "nothing"}.`
      : agree.size === 1
      ? `All ${results.length} models agree: ${[...agree][0]}.`
      : `The models disagree: ${[...agree].sort().join(", ")}.`;
  $("compare").replaceChildren(summary, table);
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

/** Fetch the gallery's images: random samples, the model's mistakes, or one confusion cell. */
async function fetchGallery(dataset, count, signal) {
  const mode = state.galleryMode;
  if (mode.kind === "random") {
    const payload = await api.samples(dataset, count, signal);
    return { samples: payload.samples ?? [], dataset: payload.dataset ?? dataset, predictions: null };
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

async function loadGallery() {
  const dataset = $("gallery-dataset").value;
  const count = Number($("gallery-count").value);
  const signal = begin("gallery");
  cancel("gallery-predictions");
  galleryStatus(`Loading ${count} ${datasetName(dataset).toLowerCase()} samples…`);
  $("gallery").setAttribute("aria-busy", "true");
  if (state.samples.length === 0) showGallerySkeleton(Math.min(count, 20));
  if (state.galleryMode.kind !== "random" && !state.model) {
    galleryStatus("Choosing images by what a model predicts needs a model.", "error");
    return;
  }
  try {
    const fetched = await fetchGallery(dataset, count, signal);
    if (!isCurrent("gallery", signal)) return;
    state.samples = fetched.samples;
    state.sampleDataset = fetched.dataset;
    state.galleryPredictions = fetched.predictions;
    drawGallery();
    if (fetched.predictions) summariseGallery();
    else await predictGallery();
    loadFirstSample();
  } catch (error) {
    if (isAbort(error)) return;
    if (error.code === "mnist_unavailable") {
      state.samples = [];
      $("gallery").replaceChildren();
      galleryStatus(mnistMissingMessage(), "error");
      loadFirstSample();
      return;
    }
    // A failed refresh keeps the tiles already shown: they are still valid samples.
    if (state.samples.length === 0) $("gallery").replaceChildren();
    const keep = state.samples.length > 0 ? " The samples below are the previous ones." : "";
    report(error, "gallery", (message) => galleryStatus(`Samples could not be loaded: ${message}${keep}`, "error"));
  } finally {
    if (isCurrent("gallery", signal)) $("gallery").setAttribute("aria-busy", "false");
  }
}

function summariseGallery() {
  const mode = state.galleryMode;
  const name = modelLabel(state.model);
  const set = datasetName(state.sampleDataset).toLowerCase();
  if (mode.kind === "mistakes") {
    galleryStatus(`${state.samples.length} of the ${mode.total} ${set} images ${name} gets wrong.`, mode.total ? "warn" : "ok");
    return;
  }
  if (mode.kind === "cell") {
    const what = mode.truth === mode.predicted ? `${mode.truth}s it reads correctly` : `${mode.truth}s it reads as ${mode.predicted}`;
    galleryStatus(`${state.samples.length} of the ${mode.total} ${set} ${what} (${name}).`, mode.truth === mode.predicted ? "ok" : "warn");
    return;
  }
  const where = `${state.samples.length} random ${set} samples`;
  const predictions = state.galleryPredictions;
  if (!predictions) {
    galleryStatus(state.model ? `${where}.` : `${where}. Predictions appear once a model exists.`);
    return;
  }
  const wrong = predictions.filter((p, i) => p.predicted_digit !== state.samples[i].label).length;
  const right = predictions.length - wrong;
  galleryStatus(`${where}: ${name} got ${right} right and ${wrong} wrong.`, wrong ? "warn" : "ok");
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

function pickSample(sample, _prediction, { scroll = true, auto = false } = {}) {
  pad.setBackgroundPixels(sample.pixels);
  updatePadButtons();
  clearTimeout(liveTimer);
  liveTimer = 0;
  state.history = [];
  renderSparkline($("sparkline"), []);
  state.input = { kind: "sample", sample, dataset: state.sampleDataset, auto };
  runSample(sample, state.sampleDataset);
  if (!scroll) return;
  const reduce = prefersReducedMotion();
  $("prediction-card").scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "nearest" });
}

function showConfusionCell(truth, predicted) {
  state.galleryMode = { kind: "cell", truth, predicted };
  $("gallery-mistakes").checked = false;
  $("gallery-dataset").value = "test";
  loadGallery();
  const reduce = prefersReducedMotion();
  $("gallery-title").scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
}

/** A sample on arrival, so the network view is never empty (a drawn 7 when MNIST is missing). */
let arrived = false;
function loadFirstSample() {
  if (arrived || !state.model || state.input.kind !== "empty" || !pad.isEmpty) return;
  const status = $("gallery-status").dataset.kind;
  if (state.samples.length > 0) {
    arrived = true;
    const tile = $("gallery").querySelector(".sample");
    tile?.setAttribute("aria-current", "true");
    pickSample(state.samples[0], null, { scroll: false, auto: true });
  } else if (status === "error") {
    arrived = true;
    const seven = [[70, 60], [210, 60], [195, 100], [160, 170], [135, 240]];
    pad.addStroke(seven);
    state.input.auto = true;
  }
}

$("gallery-controls").addEventListener("submit", (event) => {
  event.preventDefault();
  if (state.galleryMode.kind === "cell") state.galleryMode = { kind: "random" };
  loadGallery();
});
$("gallery-dataset").addEventListener("change", () => loadGallery());
$("gallery-count").addEventListener("change", () => loadGallery());
$("gallery-mistakes").addEventListener("change", (event) => {
  state.galleryMode = event.target.checked ? { kind: "mistakes" } : { kind: "random" };
  loadGallery();
});

// ---------------------------------------------------------------- start

document.documentElement.style.setProperty("--sequential", SEQUENTIAL_GRADIENT);
document.documentElement.style.setProperty("--diverging", DIVERGING_GRADIENT);
// Canvases take their label colours from the theme: redraw them when it changes.
document.addEventListener("hippo:theme", () => {
  if (state.result) showResult(state.result.result, state.result.pixels, { live: false, relayout: true });
});
resetPrediction();
$("prediction-text").textContent = "Loading a sample…";
updatePadButtons();
loadModels();
loadGallery();
