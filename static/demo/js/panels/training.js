// "How the model was trained": the selected model's learning curves, key facts of its training
// run and its test-set confusion matrix (alone, or against another model's). A cell of the matrix
// opens those images in the gallery.

import { isAbort, remember } from "../api.js";
import { renderConfusion, renderCurves } from "../charts.js";
import { definitionItems } from "../dom.js";
import { formatBytes, formatDuration } from "../format.js";
import { friendlyName } from "../models.js";
import { availableModels, modelLabel } from "../state.js";

/** Key facts of the training run, from whatever the model's record holds (absent ones are left out). */
function trainingFacts(detail) {
  const training = detail.training ?? {};
  // Training runs record their settings under `config`; older records kept them at the top level.
  const config = { ...training, ...(training.config ?? {}) };
  const history = Array.isArray(detail.history) ? detail.history : [];
  const seconds =
    training.duration_seconds ?? (history.length ? history.reduce((t, h) => t + (h.seconds ?? 0), 0) : null);
  return [
    ["Epochs", config.epochs ?? (history.length || null)],
    ["Batch size", config.mini_batch_size],
    ["Learning rate", config.learning_rate],
    ["Optimizer", config.optimizer],
    ["Test loss", Number.isFinite(detail.metrics?.test_loss) ? detail.metrics.test_loss.toFixed(3) : null],
    ["Training time", Number.isFinite(seconds) && seconds > 0 ? formatDuration(seconds) : null],
    ["Weights file", Number.isFinite(detail.size_bytes) ? formatBytes(detail.size_bytes) : null],
  ].filter(([, value]) => value !== null && value !== undefined && value !== "");
}

/** Accuracies are percentages by contract; older records stored fractions, so scale those. */
function percentHistory(history) {
  if (!Array.isArray(history)) return [];
  const values = history.map((h) => h.validation_accuracy).filter(Number.isFinite);
  if (values.length === 0 || Math.max(...values) > 1) return history;
  return history.map((h) => ({ ...h, validation_accuracy: h.validation_accuracy * 100 }));
}

/**
 * @param {{els: object, api: object, latest: import("../api.js").Latest, state: object, report: Function}} page
 * @param {{onCell: (truth: number, predicted: number) => void}} hooks
 */
export function initTraining({ els, api, latest, state, report }, { onCell }) {
  const details = new Map();

  /** `GET /models/{name}`, fetched once per model. */
  function modelDetail(name, signal) {
    return remember(details, name, () => api.getModel(name, signal));
  }

  /** Empty the panel, saying why in its hint (`confusion`: the matrix goes too). */
  function clear(hint, { confusion = false } = {}) {
    els.trainingHint.textContent = hint;
    els.curves.replaceChildren();
    els.trainingFacts.replaceChildren();
    if (confusion) els.confusion.replaceChildren();
  }

  async function drawConfusion(detail) {
    const other = els.confusionCompare.value;
    const matrix = detail.metrics?.confusion_matrix;
    if (other) {
      const second = await modelDetail(other);
      // No per-class accuracy column here: it would be the first model's alone.
      renderConfusion(els.confusion, matrix, null, {
        compare: second.metrics?.confusion_matrix,
        names: [modelLabel(state, detail.name), modelLabel(state, other)],
      });
      return;
    }
    renderConfusion(els.confusion, matrix, detail.metrics?.per_class_accuracy, { onCell });
  }

  async function load(name) {
    const signal = latest.begin("detail");
    els.trainingHint.textContent = `Learning curves and test-set confusion matrix of ${modelLabel(state, name)}.`;
    try {
      const detail = await modelDetail(name, signal);
      if (!latest.isCurrent("detail", signal)) return;
      renderCurves(els.curves, percentHistory(detail.history));
      els.trainingFacts.replaceChildren(...definitionItems(trainingFacts(detail)));
      await drawConfusion(detail);
    } catch (error) {
      if (isAbort(error)) return;
      details.delete(name);
      report(error, "detail", (message) => {
        const p = document.createElement("p");
        p.className = "inline-error";
        p.textContent = `The training record could not be loaded: ${message}`;
        els.curves.replaceChildren(p);
        els.trainingFacts.replaceChildren();
        els.confusion.replaceChildren();
      });
    }
  }

  /** The "compare its matrix with" choices: every other available model. */
  function fillCompareSelect() {
    const select = els.confusionCompare;
    const previous = select.value;
    const others = availableModels(state).filter((m) => m.name !== state.model);
    select.replaceChildren(new Option("— nothing —", ""), ...others.map((m) => new Option(friendlyName(m), m.name)));
    select.value = others.some((m) => m.name === previous) ? previous : "";
    select.disabled = others.length === 0;
  }

  els.confusionCompare.addEventListener("change", async () => {
    if (!state.model) return;
    try {
      await drawConfusion(await modelDetail(state.model));
    } catch (error) {
      if (!isAbort(error)) report(error, "detail", () => {});
    }
  });

  return { load, clear, fillCompareSelect };
}
