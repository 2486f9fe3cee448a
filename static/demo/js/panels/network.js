// "Inside the network": every layer's activations for the current input, as grids or as neurons,
// the plain-language line per layer, conv kernels, and the connection lines (the strongest
// weight × activation into each dense layer) that sweep through the layers on a new answer.

import { isAbort, remember } from "../api.js";
import { topContributions } from "../contributions.js";
import { isPassThrough, layerExplanation, layerTitle, layerType } from "../explain.js";
import { drawFlow, prefersReducedMotion } from "../flow.js";
import { LayerView } from "../layers.js";
import { NeuronView } from "../neurons.js";

const LINKS_PER_GAP = 28; // connection lines drawn between two layers

/**
 * @param {{els: object, api: object, state: object}} page
 * @param {{onInspect: (info: object) => void, onRedescribe: (info: object) => void,
 *   resetInspector: () => void, onAnswer: (pixels: number[], model: string) => void}} hooks
 *   `onInspect`: the user points at a neuron; `onRedescribe`: the inspected neuron has a new value;
 *   `onAnswer`: a final (not live) answer is shown.
 */
export function initNetwork({ els, api, state }, hooks) {
  const weights = new Map();
  const callbacks = { onInspect: hooks.onInspect, onLeave: () => {}, onLayout: () => drawLinks(false) };
  const layerView = new LayerView(els.layers, els.neuronTooltip, callbacks);
  const neuronView = new NeuronView(els.layers, els.neuronTooltip, callbacks);
  const activeView = () => (state.view === "neurons" ? neuronView : layerView);

  /** A layer's parameters (`GET /models/{name}/weights?layer=`), fetched once per model and layer. */
  function layerWeights(model, layer) {
    return remember(weights, JSON.stringify([model, layer]), () => api.layerWeights(model, layer));
  }

  function showEmpty(message) {
    layerView.clear();
    neuronView.clear();
    els.flow.replaceChildren();
    els.layerExplain.replaceChildren();
    const empty = document.createElement("p");
    empty.className = "empty-state";
    empty.textContent = message;
    els.layers.replaceChildren(empty);
  }

  function setView(view) {
    state.view = view;
    els.viewGrids.setAttribute("aria-pressed", String(view === "grids"));
    els.viewNeurons.setAttribute("aria-pressed", String(view === "neurons"));
    els.networkStage.dataset.view = view;
    hooks.resetInspector();
    if (state.result) {
      layerView.clear();
      neuronView.clear();
      showResult(state.result.result, state.result.pixels, { live: false, relayout: true });
    }
  }

  /** Show an answer of `POST /activations` for `pixels`. `live`: mid-stroke (no animation, no
   *  comparison); `relayout`: the same answer drawn again (view or theme changed). */
  function showResult(result, pixels, { live, relayout = false }) {
    const all = result.layer_details;
    state.result = { result, pixels, details: all, model: result.model };
    renderExplanations(all);
    activeView().render(all);
    els.networkStage.dataset.layers = String(all.length);
    if (state.inspecting) {
      const { layer, neuron } = state.inspecting;
      if (all[layer]) hooks.onRedescribe({ layer, neuron, detail: all[layer], details: all });
    }
    loadKernels(all, state.result.model);
    drawLinks(!live && !relayout && !prefersReducedMotion());
    if (!live) hooks.onAnswer(pixels, state.result.model);
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
    els.layerExplain.replaceChildren(...items);
  }

  function loadKernels(all, model) {
    for (const detail of all) {
      if (layerType(detail) !== "conv2d" || detail.weights_layer === null) continue;
      layerWeights(model, detail.weights_layer)
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
      if (index === 0 || layerType(detail) !== "dense" || detail.weights_layer === null) return;
      gaps.push({ index, layer: detail.weights_layer, inputs: all[index - 1].values });
    });
    let payloads;
    try {
      payloads = await Promise.all(gaps.map((gap) => layerWeights(model, gap.layer)));
    } catch (error) {
      if (!isAbort(error)) els.flow.dataset.error = error.message;
      return;
    }
    if (state.result !== current) return;
    const stage = els.networkStage;
    // The neuron view draws its lines into its own SVG, so they are placed in its coordinates.
    const box = (state.view === "neurons" && neuronView.svg ? neuronView.svg : stage).getBoundingClientRect();
    const shown = (i, n) => (view.isShown ? view.isShown(i, n) : true);
    const lines = [];
    gaps.forEach((gap, k) => {
      const links = topContributions(
        payloads[k].weights,
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
    const target = state.view === "neurons" ? neuronView.overlay : els.flow;
    if (state.view === "neurons") els.flow.replaceChildren();
    drawFlow(target, lines, { animate, width: box.width, height: box.height });
    els.flow.dataset.lines = String(lines.length);
    els.flow.dataset.animated = String(animate);
    if (animate) {
      // The layers light up one after another, as the signal reaches them.
      for (const figure of stage.querySelectorAll(".layer, .neurons__column")) {
        figure.classList.remove("is-arriving");
        void figure.getBoundingClientRect();
        figure.classList.add("is-arriving");
      }
    }
  }

  function redraw() {
    if (state.result) showResult(state.result.result, state.result.pixels, { live: false, relayout: true });
  }

  els.viewGrids.addEventListener("click", () => setView("grids"));
  els.viewNeurons.addEventListener("click", () => setView("neurons"));
  // The tooltip is fixed to the window: after a scroll it would point at nothing.
  window.addEventListener("scroll", () => activeView().hideTooltip(), { passive: true, capture: true });
  // Canvases take their label colours from the theme: redraw them when it changes.
  document.addEventListener("hippo:theme", redraw);

  return { showResult, showEmpty, layerWeights };
}
