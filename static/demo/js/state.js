// The page's state: one object every panel reads and writes, and the questions asked of it that
// more than one panel needs (which models can answer, what a model is called).

import { friendlyName } from "./models.js";

export function createState() {
  return {
    /** Every enabled model of `GET /models`, and the selected one's name (null: none). */
    models: [],
    model: null,
    /** What the prediction shows: {kind: "empty" | "drawing" | "sample" | "image", ...}. `auto`:
     *  put there on arrival as a demonstration (the first stroke replaces it). */
    input: { kind: "empty" },
    /** The last activations shown: {result, pixels, details, model}. */
    result: null,
    /** Probability vectors of the current drawing's live predictions, oldest first. */
    history: [],
    liveCount: 0,
    /** "grids" or "neurons". */
    view: "grids",
    samples: [],
    sampleDataset: "test",
    galleryPredictions: null,
    /** {kind: "random"} | {kind: "mistakes", total?} | {kind: "cell", truth, predicted, total?}. */
    galleryMode: { kind: "random" },
    /** The neuron being inspected: {layer, neuron} or null. */
    inspecting: null,
    /** Tasks whose last request found the server unreachable (the banner's Retry redoes them). */
    failed: new Set(),
  };
}

export function modelByName(state, name) {
  return state.models.find((m) => m.name === name) ?? null;
}

/** The selected or named model as the page names it ("–" when there is none). */
export function modelLabel(state, name) {
  const model = modelByName(state, name);
  return model ? friendlyName(model) : (name ?? "–");
}

/** Models that can answer right now (registered but broken or missing ones cannot). */
export function availableModels(state) {
  return state.models.filter((m) => m.status === "available");
}
