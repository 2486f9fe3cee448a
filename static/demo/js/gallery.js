// The MNIST sample gallery: one <button> per sample with its label and, once a model has answered,
// its prediction and confidence. Misclassified samples are marked in colour, icon and text.

import { ink, paintPixels } from "./colors.js";

const DATASET_NAMES = { test: "Test", validation: "Validation", train: "Training" };

export function datasetName(dataset) {
  return DATASET_NAMES[dataset] ?? dataset;
}

/**
 * @param {HTMLElement} list the <ul> to fill
 * @param {{index: number, label: number, pixels: number[]}[]} samples
 * @param {({predicted_digit: number, confidence: number}|null)[]|null} predictions
 * @param {string} dataset
 * @param {(sample: object, prediction: object|null) => void} onPick
 * @param {number|null} current index of the sample shown in the main view, if it is one of these
 */
export function renderGallery(list, samples, predictions, dataset, onPick, current = null) {
  list.replaceChildren();
  samples.forEach((sample, i) => {
    const prediction = predictions?.[i] ?? null;
    const wrong = prediction !== null && prediction.predicted_digit !== sample.label;
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = `sample${wrong ? " sample--wrong" : ""}${prediction ? "" : " sample--pending"}`;
    button.dataset.index = String(sample.index);
    button.dataset.label = String(sample.label);
    if (prediction) button.dataset.predicted = String(prediction.predicted_digit);
    if (sample.index === current) button.setAttribute("aria-current", "true");
    const canvas = document.createElement("canvas");
    canvas.className = "sample__image";
    paintPixels(canvas, sample.pixels, 28, 28, ink);
    const label = document.createElement("span");
    label.className = "sample__label";
    label.textContent = `Label ${sample.label}`;
    const verdict = document.createElement("span");
    verdict.className = "sample__verdict";
    let description = `${datasetName(dataset)} sample ${sample.index}, label ${sample.label}`;
    if (prediction) {
      const pct = Math.round(prediction.confidence * 100);
      verdict.textContent = `${wrong ? "✗" : "✓"} ${prediction.predicted_digit} · ${pct}%`;
      description += wrong
        ? `, misclassified as ${prediction.predicted_digit} (${pct}% confident)`
        : `, predicted correctly (${pct}% confident)`;
    } else {
      verdict.textContent = "no prediction";
    }
    button.setAttribute("aria-label", `${description}. Load into the main view.`);
    button.append(canvas, label, verdict);
    button.addEventListener("click", () => {
      for (const other of list.querySelectorAll("[aria-current]")) other.removeAttribute("aria-current");
      button.setAttribute("aria-current", "true");
      onPick(sample, prediction);
    });
    item.append(button);
    list.append(item);
  });
}
