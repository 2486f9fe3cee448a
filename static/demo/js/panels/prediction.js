// The prediction card: the answer for the current input (drawing, sample or image) with its honest
// verdict, the probabilities, the 28 × 28 image the network saw, the confidence sparkline of a
// drawing, and the compact copy that stays in view on phones. Every prediction is the newest
// request of kind "predict": a newer input cancels the one still on its way.

import { isAbort } from "../api.js";
import { ink, paintPixels } from "../colors.js";
import { prefersReducedMotion } from "../flow.js";
import { formatPercent } from "../format.js";
import { datasetName } from "../gallery.js";
import { renderSparkline } from "../sparkline.js";
import { modelLabel } from "../state.js";
import { assess, inkStats } from "../uncertainty.js";

const IMAGE_SOURCES = { upload: "Your uploaded image", paste: "Your pasted image", drop: "Your dropped image" };

function probabilityRow(digit) {
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
  return li;
}

/**
 * @param {{els: object, api: object, latest: import("../api.js").Latest, state: object,
 *   pad: import("../sketchpad.js").Sketchpad, report: Function}} page
 * @param {{network: {showResult: Function, showEmpty: (message: string) => void, resetInspector: () => void},
 *   compare: {cancel: () => void, showMessage: (text: string) => void},
 *   drawing: {cancelLive: () => void, showPixels: (pixels: number[]) => void, showUploadError: (message: string|null) => void},
 *   gallery: {clearCurrent: () => void}}} hooks
 */
export function initPrediction({ els, api, latest, state, pad, report }, { network, compare, drawing, gallery }) {
  const rows = Array.from({ length: 10 }, (_, digit) => probabilityRow(digit));
  els.probabilities.append(...rows);

  function showProbabilities(values) {
    const best = values ? values.indexOf(Math.max(...values)) : -1;
    rows.forEach((li, digit) => {
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
    els.predictionCard.setAttribute("aria-busy", String(busy));
  }

  function showMini(digitText, text, kind) {
    els.miniDigit.textContent = digitText;
    els.miniText.textContent = text;
    els.miniResult.dataset.state = kind;
  }

  function setHeadline(text) {
    els.predictionText.textContent = text;
  }

  /** Name the model about to answer (`data-model` changes only once it has: see showModel). */
  function showModelLabel(name) {
    els.predictionModel.textContent = modelLabel(state, name);
  }

  /** Name the model that answered (or is selected). */
  function showModel(name) {
    showModelLabel(name);
    els.predictionModel.dataset.model = name ?? "";
  }

  function paintSeen(pixels) {
    paintPixels(els.seen, pixels, 28, 28, ink);
  }

  function resetHistory() {
    state.history = [];
    renderSparkline(els.sparkline, []);
  }

  /** Show a prediction with its honest verdict (`stats`: the input's ink statistics, if known). */
  function showPrediction(result, source, { label = null, stats = null } = {}) {
    const digit = result.predicted_digit;
    const pct = (result.confidence * 100).toFixed(1);
    const verdict = assess(result.probabilities, stats);
    els.predictedDigit.textContent = verdict.kind === "not-a-digit" ? "?" : String(digit);
    showModel(result.model);
    let headline = `Predicted ${digit} with ${pct}% confidence.`;
    if (verdict.kind === "unsure") headline = `${verdict.headline} Best guess ${digit}.`;
    if (verdict.kind === "not-a-digit") headline = verdict.headline;
    let sourceText = source;
    if (label !== null) {
      const right = label === digit;
      sourceText += ` · true label ${label} — ${right ? "correct" : "misclassified"}`;
      headline = right ? `${headline} Correct.` : `${headline} Wrong: the label is ${label}.`;
      els.prediction.dataset.state = right ? "correct" : "wrong";
    } else {
      els.prediction.dataset.state = "done";
    }
    els.prediction.dataset.verdict = verdict.kind;
    if (verdict.kind === "confident") {
      els.verdict.hidden = true;
    } else {
      els.verdict.hidden = false;
      els.verdict.dataset.kind = verdict.kind;
      els.verdict.textContent =
        verdict.kind === "unsure"
          ? `The model is unsure: ${verdict.reasons.join(", ")}. Near-even probabilities mean "could be either".`
          : `The network still answers ${digit} (${pct}%): trained only on digits, it has no "none of these" answer. Don't trust it.`;
    }
    setHeadline(headline);
    els.predictionSource.textContent = sourceText;
    els.predictionError.hidden = true;
    showProbabilities(result.probabilities);
    const mini = { confident: `${pct}% sure`, unsure: `unsure (${pct}%)`, "not-a-digit": "not a digit?" };
    showMini(verdict.kind === "not-a-digit" ? "?" : String(digit), mini[verdict.kind], verdict.kind);
  }

  function showError(message) {
    els.predictionError.textContent = message;
    els.predictionError.hidden = false;
    // The last answer belongs to an input or model that is no longer shown: do not keep it.
    els.prediction.dataset.state = "error";
    els.predictedDigit.textContent = "–";
    showModel(state.model);
    setHeadline(`No answer from ${modelLabel(state, state.model)}: ${message}`);
    els.predictionSource.textContent = "";
    els.verdict.hidden = true;
    showProbabilities(null);
    showMini("–", "no answer", "error");
    // Nor the network's insides or the other models' answers for that old input.
    state.result = null;
    compare.cancel();
    network.resetInspector();
    network.showEmpty("No answer from the server for this input, so there is nothing to show inside the network.");
    compare.showMessage("No answer for this input.");
  }

  function reset() {
    drawing.cancelLive();
    latest.cancel("predict");
    compare.cancel();
    setBusy(false);
    state.input = { kind: "empty" };
    state.result = null;
    resetHistory();
    gallery.clearCurrent();
    els.prediction.dataset.state = "empty";
    els.prediction.dataset.verdict = "none";
    els.verdict.hidden = true;
    els.predictedDigit.textContent = "?";
    const waiting = { loading: "Loading models…", "no-model": "No model to predict with yet." };
    setHeadline(
      state.model
        ? "Draw a digit, drop an image or pick a sample below."
        : (waiting[els.app.dataset.state] ?? "No predictions: the model list could not be loaded."),
    );
    els.predictionSource.textContent = "";
    showModelLabel(state.model);
    els.predictionError.hidden = true;
    paintSeen(new Array(784).fill(0));
    showProbabilities(null);
    showMini("?", "Draw a digit", "empty");
    network.resetInspector();
    network.showEmpty("Draw a digit or pick a sample to see every layer light up.");
    compare.showMessage("Waiting for an input…");
  }

  /**
   * Run `work(signal, isCurrent)` as the newest prediction, with the card busy meanwhile. A
   * superseded one ends quietly (the newer one owns the card); other failures go to `onError`.
   */
  async function predictLatest(work, onError = showError) {
    const signal = latest.begin("predict");
    const isCurrent = () => latest.isCurrent("predict", signal);
    setBusy(true);
    try {
      await work(signal, isCurrent);
    } catch (error) {
      if (!isAbort(error)) report(error, "input", onError);
    } finally {
      if (isCurrent()) setBusy(false);
    }
  }

  /** Show the activations of `pixels` with everything that follows. */
  function runPixels(pixels, source, { label = null, stats = null } = {}) {
    if (!state.model) return Promise.resolve();
    const model = state.model;
    showModelLabel(model);
    return predictLatest(async (signal, isCurrent) => {
      const result = await api.activations(pixels, model, signal);
      if (!isCurrent()) return;
      paintSeen(pixels);
      showPrediction(result, source, { label, stats });
      network.showResult(result, pixels, { live: false });
    });
  }

  /** Predict the drawing. `final`: the stroke has ended (animate, compare every model). */
  function runDrawing(final = false) {
    if (!state.model || pad.isEmpty) return Promise.resolve();
    const model = state.model;
    const stroking = !final;
    showModelLabel(model);
    return predictLatest(async (signal, isCurrent) => {
      const seen = await api.predictImage(pad.toDataURL(), model, signal);
      const result = await api.activations(seen.pixels, model, signal);
      if (!isCurrent()) return;
      paintSeen(seen.pixels);
      const stats = inkStats(pad.inkGrid(56), 56, 56);
      showPrediction(result, "Your drawing", { stats });
      state.history.push(result.probabilities);
      if (stroking) {
        state.liveCount += 1;
        els.prediction.dataset.liveCount = String(state.liveCount);
      }
      renderSparkline(els.sparkline, state.history);
      network.showResult(result, seen.pixels, { live: stroking });
    });
  }

  function runSample(sample, dataset) {
    paintSeen(sample.pixels);
    const source = `${datasetName(dataset)} sample ${sample.index}`;
    if (!state.model) {
      els.predictionSource.textContent = `${source} · true label ${sample.label}`;
      return Promise.resolve();
    }
    // MNIST images are digits by construction: only the model's own uncertainty is checked.
    return runPixels(sample.pixels, source, { label: sample.label });
  }

  /** An image the user brought (`how`: "upload", "paste" or "drop"). */
  function runImage(blob, how) {
    if (!state.model) return Promise.resolve();
    drawing.showUploadError(null);
    const model = state.model;
    const unreadable = (message) => drawing.showUploadError(`That image could not be read: ${message}`);
    return predictLatest(async (signal, isCurrent) => {
      const seen = await api.predictImageFile(blob, model, signal);
      if (!isCurrent()) return;
      // The pad shows what the network saw: the image reduced to MNIST's 28 × 28 format.
      drawing.showPixels(seen.pixels);
      resetHistory();
      const source = IMAGE_SOURCES[how];
      const stats = inkStats(seen.pixels, 28, 28);
      state.input = { kind: "image", pixels: seen.pixels, source, stats };
      gallery.clearCurrent();
      // The activations are a prediction of their own (it takes over the card's busy state).
      await runPixels(seen.pixels, source, { stats });
    }, unreadable);
  }

  /** Load a gallery sample as the input (`auto`: shown on arrival, not picked by the user). */
  function useSample(sample, dataset, { scroll = true, auto = false } = {}) {
    drawing.showPixels(sample.pixels);
    drawing.cancelLive();
    resetHistory();
    state.input = { kind: "sample", sample, dataset, auto };
    runSample(sample, dataset);
    if (!scroll) return;
    const reduce = prefersReducedMotion();
    els.predictionCard.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "nearest" });
  }

  /** Predict the current input again (after the model changed or the server came back). */
  function rerun() {
    const input = state.input;
    if (input.kind === "drawing") runDrawing(true);
    else if (input.kind === "sample") runSample(input.sample, input.dataset);
    else if (input.kind === "image") runPixels(input.pixels, input.source, { stats: input.stats });
    else reset();
  }

  return { reset, rerun, runDrawing, runImage, useSample, resetHistory, setHeadline, showModel };
}
